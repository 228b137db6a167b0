import { formatAddress } from '../domain/address.ts';
import { formatDiagnostic } from '../domain/diagnostic.ts';
import { formatPlatform } from '../domain/platform.ts';
import type { CheckResult, PackageRef } from '../domain/package.ts';
import type { EngineEvent, Reporter } from '../events.ts';
import { listTokens, redactMessage } from '../upstream/tokens.ts';
import { passedCheckWarnings } from '../verify/check-report.ts';

/**
 * Renders engine events as progress lines on stderr (a live counter when stderr is a TTY). Every line
 * has URL query strings dropped and `secrets` (default: every TF_TOKEN_ value) redacted.
 */
export function stderrReporter(
  stream: NodeJS.WriteStream = process.stderr,
  verbose = false,
  secrets: readonly string[] = listTokens(process.env),
): Reporter {
  const live = stream.isTTY === true;
  let total = 0;
  let done = 0;
  const line = (text: string) => {
    if (live) stream.write('\r\x1b[2K');
    stream.write(`${redactMessage(text, secrets)}\n`);
    if (live && total) stream.write(`[${done}/${total}] archives`);
  };
  return (e: EngineEvent) => {
    switch (e.type) {
      case 'diagnostic':
        // Errors are printed once, by the front door, from the thrown LOCK_INVALID.
        return e.diagnostic.severity === 'warning' ? line(formatDiagnostic(e.diagnostic)) : undefined;
      case 'plan':
        total = e.plan.providers.length * e.plan.platforms.length;
        return line(
          `plan: ${e.plan.providers.length} provider version(s) × ${e.plan.platforms.length} platform(s)`,
        );
      case 'archive-done':
        done++;
        line(
          `${e.record.source === 'store' ? 'reused ' : 'fetched'} ${describe(e.record.ref)} ` +
            `(${formatBytes(e.record.size)}, ${formatChecks(e.record.verification.checks)})`,
        );
        for (const w of passedCheckWarnings(e.record)) line(`warning: ${w}`);
        return undefined;
      case 'archive-failed':
        done++;
        return line(`FAILED  ${describe(e.ref)}: [${e.code}] ${e.message}`);
      case 'platform-missing':
        done++;
        return line(`warning: ${e.message}`);
      case 'retention':
        for (const d of e.decisions)
          line(
            `${d.outcome.padEnd(7)} ${formatAddress(d.address)} ${d.version}: ${d.reason} (from ${e.source})`,
          );
        return undefined;
      case 'check-skipped':
      case 'store-corrupt':
      case 'warning':
        return line(`warning: ${e.message}`);
      case 'debug':
        return verbose ? line(`debug: ${e.message}`) : undefined;
      case 'written':
        if (live) stream.write('\r\x1b[2K');
        return undefined;
      case 'archive-start':
        return undefined;
    }
  };
}

export function describe(ref: PackageRef): string {
  return `${formatAddress(ref.address)} ${ref.version} ${formatPlatform(ref.platform)}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/**
 * "5 checks passed", or "4 of 5 checks passed; skipped: registry-packages": what the checks are is
 * in `repoxy --help` (Checks) and the README.
 */
export function formatChecks(checks: readonly CheckResult[]): string {
  const skipped = checks.filter((c) => c.outcome === 'skipped').map((c) => c.check);
  const passed = checks.length - skipped.length;
  if (skipped.length === 0) return `${passed} checks passed`;
  return `${passed} of ${checks.length} checks passed; skipped: ${skipped.join(', ')}`;
}
