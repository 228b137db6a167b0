import * as actionsCore from '@actions/core';
import { formatAddress } from '../domain/address.ts';
import { formatPlatform } from '../domain/platform.ts';
import type { EngineEvent, Reporter } from '../events.ts';
import { listTokens, redactMessage } from '../upstream/tokens.ts';
import { passedCheckWarnings } from '../verify/check-report.ts';

/**
 * Renders engine events into the job log and annotations, each message with URL query strings dropped
 * and `secrets` (default: every TF_TOKEN_ value) redacted: masking covers only the exact strings.
 */
export function actionReporter(secrets: readonly string[] = listTokens(process.env)): Reporter {
  const core = redactingCore(secrets);
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
        for (const w of passedCheckWarnings(r)) core.warning(w);
        return;
      }
      case 'check-skipped':
        core.warning(e.message, { title: `${e.check} check skipped` });
        return;
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

/** The @actions/core log functions this reporter uses, each redacting its message first. */
function redactingCore(secrets: readonly string[]) {
  const r = (text: string) => redactMessage(text, secrets);
  return {
    info: (text: string) => actionsCore.info(r(text)),
    debug: (text: string) => actionsCore.debug(r(text)),
    error: (text: string) => actionsCore.error(r(text)),
    warning: (text: string, props?: actionsCore.AnnotationProperties) =>
      actionsCore.warning(r(text), props && { ...props, title: props.title && r(props.title) }),
  };
}
