import * as core from '@actions/core';
import { formatAddress } from '../domain/address.ts';
import { formatPlatform } from '../domain/platform.ts';
import type { EngineEvent, Reporter } from '../events.ts';

/** Renders engine events into the job log and annotations. */
export function actionReporter(): Reporter {
  return (e: EngineEvent) => {
    switch (e.type) {
      case 'diagnostic':
        if (e.diagnostic.severity === 'warning') {
          core.warning(e.diagnostic.summary, {
            title: e.diagnostic.code,
            file: e.diagnostic.path,
            startLine: e.diagnostic.line,
            startColumn: e.diagnostic.col,
          });
        }
        return;
      case 'plan':
        core.info(
          `Plan: ${e.plan.providers.length} provider version(s) × ${e.plan.platforms.length} platform(s)`,
        );
        return;
      case 'archive-done': {
        const r = e.record;
        const passed = r.verification.checks.filter((c) => c.outcome === 'passed').map((c) => c.check);
        core.info(
          `${r.source === 'store' ? 'reused ' : 'fetched'} ${formatAddress(r.ref.address)} ${r.ref.version} ${formatPlatform(r.ref.platform)} (${r.size} bytes; ${passed.join(', ')})`,
        );
        for (const c of r.verification.checks) for (const w of c.warnings ?? []) core.warning(w);
        return;
      }
      case 'archive-failed':
        core.error(
          `${formatAddress(e.ref.address)} ${e.ref.version} ${formatPlatform(e.ref.platform)}: [${e.code}] ${e.message}`,
        );
        return;
      case 'platform-missing':
      case 'store-corrupt':
      case 'warning':
        core.warning(e.message);
        return;
      case 'debug':
        core.debug(e.message);
        return;
      default:
        return;
    }
  };
}
