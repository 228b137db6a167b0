import type { ArchiveRecord } from '../domain/package.ts';
import type { Reporter } from '../events.ts';
import { describePackage } from '../verify/verify-archive.ts';

/**
 * Reports each check an accepted archive skipped that a cautious user wants to know about (`check-skipped`):
 * the signature (the registry sent no keys) and the lock-file hash (the lock files record none).
 */
export function reportSkippedChecks(record: ArchiveRecord, report: Reporter): void {
  for (const c of record.verification.checks) {
    if (c.outcome !== 'skipped' || (c.check !== 'signature' && c.check !== 'lock-hash')) continue;
    report({
      type: 'check-skipped',
      ref: record.ref,
      check: c.check,
      message: `${describePackage(record.ref)}: ${c.check} check skipped: ${c.detail}`,
    });
  }
}
