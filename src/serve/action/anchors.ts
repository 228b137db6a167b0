import { getOctokit } from '@actions/github';
import * as core from '@actions/core';
import { isRepoxyError, RepoxyError } from '../../domain/errors.ts';
import { parsePlatform } from '../../domain/platform.ts';
import { readLockFiles } from '../../lockfile/read.ts';
import { providerDir } from '../../mirror/network-mirror.ts';
import { buildPlan } from '../../plan/plan.ts';
import { anchorKey, type LockAnchors } from '../../publish/lock-anchor.ts';
import { DEFAULT_LOCKFILES, type OtherRun } from './inputs.ts';

/**
 * The consuming job's lock files as anchors for the artifact (issue 13): read and merged by the same
 * reader and planner as the build (LOCK_INVALID with diagnostics for a broken file). With the default
 * pattern and no lock file in the workspace, nothing is anchored (every archive is listed as such);
 * a pattern the user gave that matches nothing fails (LOCK_NOT_FOUND).
 */
export async function readLockAnchors(patterns: readonly string[], workspace: string): Promise<LockAnchors> {
  let files;
  try {
    files = await readLockFiles([...patterns], { cwd: workspace });
  } catch (err) {
    const isDefault = patterns.length === 1 && patterns[0] === DEFAULT_LOCKFILES;
    if (!isRepoxyError(err) || err.code !== 'LOCK_NOT_FOUND' || !isDefault) throw err;
    core.warning(
      `no lock file matches ${DEFAULT_LOCKFILES} in ${workspace}: no archive of the mirror is checked against ` +
        'a lock file (check out the repository before this step, or set the lockfiles input)',
    );
    return new Map();
  }
  const plan = buildPlan(files, { platforms: [parsePlatform('linux_amd64')], include: [], exclude: [] });
  return new Map(plan.providers.map((p) => [anchorKey(providerDir(p.address), p.version), p.hashes]));
}

/**
 * Refuses an artifact of another run that was triggered from a fork: its run's head repository
 * (`GET /repos/{owner}/{repo}/actions/runs/{run_id}`, `head_repository.full_name`) is not the
 * repository. A fork's pull request runs code the repository never reviewed, so what it uploaded is
 * not the repository's mirror. `allowFork` accepts it with a warning.
 */
export async function assertRunNotFromFork(run: OtherRun, allowFork: boolean): Promise<void> {
  const repository = `${run.owner}/${run.repo}`;
  let head: string | undefined;
  try {
    const { data } = await getOctokit(run.token).rest.actions.getWorkflowRun({
      owner: run.owner,
      repo: run.repo,
      run_id: run.runId,
    });
    head = data.head_repository?.full_name;
  } catch (cause) {
    throw new RepoxyError(
      'SERVE',
      `cannot look up run ${run.runId} of ${repository} to check where it came from (${(cause as Error).message}); ` +
        'the token needs actions: read',
      { cause },
    );
  }
  if (head !== undefined && head.toLowerCase() === repository.toLowerCase()) return;
  const from = head === undefined ? 'a head repository that no longer exists' : `the fork ${head}`;
  const message = `run ${run.runId} of ${repository} was triggered from ${from}`;
  if (!allowFork) {
    throw new RepoxyError(
      'SERVE',
      `${message}: its artifact is not the repository's mirror, refusing it (allow-fork-artifacts: true accepts it)`,
    );
  }
  core.warning(`${message}; using its artifact because allow-fork-artifacts is true`);
}
