import * as core from '@actions/core';
import type { MirrorVerification } from '../../publish/verify-mirror.ts';

/**
 * The serve step's job summary: what was verified, and which archives no lock file anchors (their
 * versions are locked by no lock file of this job, so only the artifact's own hashes vouch for them).
 * Skipped with a debug line where the runner offers no summary file.
 */
export async function writeServeSummary(
  report: MirrorVerification,
  lockfiles: readonly string[],
): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) {
    core.debug('GITHUB_STEP_SUMMARY is not set; no job summary written');
    return;
  }
  const anchored = report.archives - report.unanchored.length;
  const s = core.summary
    .addHeading('Provider mirror served', 2)
    .addRaw(
      `${report.archives} archive(s) of ${report.providers.length} provider(s) matched their VERSION.json ` +
        `hashes; ${anchored} also matched the lock files (${lockfiles.join(', ')}).`,
      true,
    );
  if (report.unanchored.length === 0) s.addRaw('Every archive is anchored by a lock file.', true);
  else {
    s.addRaw('Archives no lock file anchors (no lock file of this job locks their version):', true);
    s.addList([...report.unanchored]);
  }
  await s.write();
}
