import * as core from '@actions/core';
import type { Diagnostic } from '../domain/diagnostic.ts';
import { RepoxyError } from '../domain/errors.ts';
import type { BuildOptions, BuildResult } from '../engine.ts';
import { completeLockFiles } from '../lock.ts';
import { Outputs } from './constants.ts';

export type UpdateLockfiles = 'none' | 'check' | 'write';

/**
 * `update-lockfiles`: completes the lock files from the archives the mirror build just verified (one
 * pass for both). `check` fails with an annotation on each provider block lacking a platform;
 * `write` rewrites the files in the workspace and sets `updated-lockfiles`.
 */
export async function updateLockfiles(
  mode: UpdateLockfiles,
  options: BuildOptions,
  result: BuildResult,
): Promise<void> {
  if (mode === 'none') return;
  const done = await completeLockFiles(
    options,
    result.plan,
    result.packages,
    result.missing,
    mode === 'check',
  );
  if (mode === 'write') {
    core.setOutput(Outputs.UpdatedLockfiles, done.written.join('\n'));
    core.info(done.written.length ? `Updated ${done.written.join(', ')}` : 'Every lock file was complete');
    return;
  }
  const diagnostics: Diagnostic[] = done.files.flatMap((f) =>
    f.changes.map((c) => ({
      severity: 'error' as const,
      code: 'LOCK_INCOMPLETE',
      path: c.path,
      line: c.line,
      col: 1,
      summary: `${c.address} ${c.version} lacks ${c.missingPlatforms.length ? c.missingPlatforms.join(', ') : `${c.added.length} hash(es)`}`,
      detail: 'run repoxy lock (or this action with update-lockfiles: write) to complete it',
    })),
  );
  if (diagnostics.length) {
    throw new RepoxyError(
      'LOCK_INVALID',
      `${diagnostics.length} provider block(s) lack a requested platform`,
      {
        diagnostics,
      },
    );
  }
  core.info('Every lock file holds every requested platform');
}
