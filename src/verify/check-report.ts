import type { ArchiveRecord, CheckResult } from '../domain/package.ts';
import type { EngineEvent } from '../events.ts';
import { describePackage } from './verify-archive.ts';

export type CheckSkipped = Extract<EngineEvent, { type: 'check-skipped' }>;

/** Checks whose skipping a cautious user must hear about (issue 13): no signature, no lock-file hash. */
const REPORTED = ['signature', 'lock-hash'] as const;

/**
 * The `check-skipped` events of a verified archive: one per reported check that was skipped, with a
 * message that names the package and says what was not established.
 */
export function skippedCheckEvents(record: ArchiveRecord): CheckSkipped[] {
  return record.verification.checks.flatMap((c) => {
    const check = REPORTED.find((name) => name === c.check);
    if (!check || c.outcome !== 'skipped') return [];
    return [{ type: 'check-skipped', ref: record.ref, check, message: skippedMessage(record, c) }];
  });
}

function skippedMessage(record: ArchiveRecord, c: CheckResult): string {
  const what = describePackage(record.ref);
  if (c.check === 'signature') {
    return `${what}: SHA256SUMS was not signature-checked (${c.detail}); --require-signatures / require-signatures: true refuses this`;
  }
  return `${what}: not checked against a lock file (${c.detail}); only the registry's SHA256SUMS vouches for it`;
}

/**
 * Warnings of checks that passed (an expired key, a lock match by the unpacked h1: only). A skipped
 * check's warning is left to its `check-skipped` event, so front doors say it once.
 */
export function passedCheckWarnings(record: ArchiveRecord): string[] {
  return record.verification.checks.flatMap((c) => (c.outcome === 'passed' ? (c.warnings ?? []) : []));
}
