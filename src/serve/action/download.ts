import { mkdir, readdir } from 'node:fs/promises';
import { DefaultArtifactClient, type FindOptions } from '@actions/artifact';
import * as core from '@actions/core';
import { RepoxyError } from '../../domain/errors.ts';
import type { MirrorOrigin } from './inputs.ts';

type ArtifactOrigin = Extract<MirrorOrigin, { kind: 'artifact' }>;

/**
 * Downloads the mirror artifact into `origin.into` (which must be empty or new, so nothing stale is
 * mixed in) and checks the download against the digest recorded at upload. Returns the directory.
 * Throws SERVE naming the artifact and the run when it is missing or its digest differs.
 */
export async function downloadMirrorArtifact(origin: ArtifactOrigin): Promise<string> {
  await assertEmptyOrNew(origin.into);
  const client = new DefaultArtifactClient();
  const find: FindOptions = origin.otherRun
    ? {
        findBy: {
          token: origin.otherRun.token,
          workflowRunId: origin.otherRun.runId,
          repositoryOwner: origin.otherRun.owner,
          repositoryName: origin.otherRun.repo,
        },
      }
    : {};
  const where = origin.otherRun
    ? `run ${origin.otherRun.runId} of ${origin.otherRun.owner}/${origin.otherRun.repo}`
    : 'this workflow run';
  let artifact;
  try {
    ({ artifact } = await client.getArtifact(origin.name, find));
  } catch (cause) {
    throw new RepoxyError(
      'SERVE',
      `artifact "${origin.name}" not found in ${where} (${(cause as Error).message.split('\n')[0]}). ` +
        'Upload it with publish: artifact in an earlier job and list that job under needs:, or set run-id.',
      { cause },
    );
  }
  core.info(
    `Downloading artifact "${origin.name}" (ID ${artifact.id}, ${artifact.size} bytes) from ${where} into ${origin.into}`,
  );
  const result = await client.downloadArtifact(artifact.id, {
    ...find,
    path: origin.into,
    expectedHash: artifact.digest,
  });
  if (result.digestMismatch) {
    throw new RepoxyError(
      'SERVE',
      `artifact "${origin.name}" (ID ${artifact.id}) does not match the digest recorded at upload (${artifact.digest}); refusing to use it`,
    );
  }
  if (!artifact.digest)
    core.warning(`artifact "${origin.name}" has no recorded digest; relying on the per-archive hashes alone`);
  return origin.into;
}

async function assertEmptyOrNew(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const entries = await readdir(dir);
  if (entries.length > 0) {
    throw new RepoxyError(
      'SERVE',
      `download directory ${dir} is not empty; set the "path" input to an empty or new directory`,
    );
  }
}
