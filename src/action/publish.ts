import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DefaultArtifactClient } from '@actions/artifact';
import * as core from '@actions/core';
import { getOctokit } from '@actions/github';
import type { BuildResult } from '../engine.ts';
import { RepoxyError } from '../domain/errors.ts';
import { listMirrorTree } from '../publish/mirror-tree.ts';
import { assertPagesPolicy } from '../publish/pages-policy.ts';
import { listPagesEntries, PAGES_TAR_NAME, pagesTarSize, writePagesTar } from '../publish/pages-tar.ts';
import { checkPagesSize, formatBytes, measureMirror, retentionCost } from '../publish/size-check.ts';
import { mirrorBaseUrl } from '../mirror/client-config.ts';
import { PAGES_ARTIFACT_NAME } from './constants.ts';
import type { ActionInputs } from './inputs.ts';
import { publishOci, type OciPublished } from './publish-oci.ts';

export interface Published {
  readonly mirrorUrl?: string;
  readonly artifactId?: number;
  readonly oci?: OciPublished;
}

/** upload-pages-artifact's default: the Pages artifact is only needed until deploy-pages ran. */
const PAGES_RETENTION_DAYS = 1;

/** Publishes the built mirror to every target the `publish` input lists. Throws PUBLISH when it cannot. */
export async function publishMirror(inputs: ActionInputs, result: BuildResult): Promise<Published> {
  let published: Published = inputs.mirrorUrl ? { mirrorUrl: mirrorBaseUrl(inputs.mirrorUrl) } : {};
  if (inputs.publish.includes('pages'))
    published = await core.group('Publish to GitHub Pages', () => publishPages(inputs, result));
  if (inputs.publish.includes('artifact')) {
    const artifact = await core.group('Publish the mirror artifact', () => publishArtifact(inputs, result));
    published = { ...published, artifactId: artifact.artifactId };
  }
  if (inputs.publish.includes('oci')) {
    const oci = await core.group('Push to the OCI registry', () => publishOci(inputs, result));
    published = { ...published, oci };
  }
  return published;
}

/**
 * `github-pages`: policy and size checks, then one `artifact.tar` of the mirror (files and directories
 * only) uploaded as the artifact actions/deploy-pages deploys. The tar is removed after the upload.
 */
async function publishPages(inputs: ActionInputs, result: BuildResult): Promise<Published> {
  assertPagesPolicy(
    result.archives.map((a) => a.ref.address),
    inputs.allowPrivateProviders,
  );
  const entries = await listPagesEntries(result.out);
  const tarBytes = pagesTarSize(entries);
  const retained = retentionCost(result.archives, result.retention.decisions, inputs.keepDays);
  const { warning } = checkPagesSize(tarBytes, { ...measureMirror(entries), retained });
  if (warning) core.warning(warning);
  const temp = await mkdtemp(path.join(process.env['RUNNER_TEMP'] ?? os.tmpdir(), 'repoxy-pages-'));
  try {
    const tar = await writePagesTar(entries, path.join(temp, PAGES_TAR_NAME));
    core.info(
      `Wrote ${tar.path}: ${tar.files} file(s), ${tar.directories} directories, ${formatBytes(tar.bytes)}`,
    );
    const artifactId = await upload(
      PAGES_ARTIFACT_NAME,
      [tar.path],
      temp,
      inputs.retentionDays ?? PAGES_RETENTION_DAYS,
    );
    const mirrorUrl = inputs.mirrorUrl
      ? mirrorBaseUrl(inputs.mirrorUrl)
      : await lookUpPagesUrl(inputs.githubToken);
    return { artifactId, ...(mirrorUrl ? { mirrorUrl } : {}) };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/** The whole mirror directory as `artifact-name`, for the serve action in later jobs. */
async function publishArtifact(inputs: ActionInputs, result: BuildResult): Promise<Published> {
  const files = (await listMirrorTree(result.out)).filter((e) => e.kind === 'file').map((e) => e.absolute);
  const artifactId = await upload(inputs.artifactName, files, result.out, inputs.retentionDays);
  return { artifactId, ...(inputs.mirrorUrl ? { mirrorUrl: mirrorBaseUrl(inputs.mirrorUrl) } : {}) };
}

async function upload(
  name: string,
  files: string[],
  root: string,
  retentionDays: number | undefined,
): Promise<number> {
  try {
    // Archives are zips already: compressing them again costs time and saves nothing.
    const res = await new DefaultArtifactClient().uploadArtifact(name, files, root, {
      compressionLevel: 0,
      ...(retentionDays === undefined ? {} : { retentionDays }),
    });
    if (res.id === undefined) throw new Error('the artifact service returned no artifact ID');
    core.info(
      `Uploaded artifact "${name}" (ID ${res.id}, ${formatBytes(res.size ?? 0)}, ${files.length} file(s))`,
    );
    return res.id;
  } catch (cause) {
    throw new RepoxyError('PUBLISH', `uploading artifact "${name}" failed: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/**
 * The Pages site URL from `GET /repos/{owner}/{repo}/pages` (`html_url`), with its trailing slash
 * (PROTOCOL.md §1.2). A failed lookup is a warning: the mirror is published either way.
 */
export async function lookUpPagesUrl(token: string): Promise<string | undefined> {
  const [owner, repo] = (process.env['GITHUB_REPOSITORY'] ?? '').split('/');
  const hint = 'set the mirror-url input, or give the job "pages: read" permission';
  if (!owner || !repo || !token) {
    core.warning(`cannot look up the GitHub Pages URL (no repository or token); ${hint}`);
    return undefined;
  }
  try {
    const { data } = await getOctokit(token).rest.repos.getPages({ owner, repo });
    if (!data.html_url) throw new Error('the Pages site has no html_url yet');
    return mirrorBaseUrl(data.html_url);
  } catch (err) {
    core.warning(
      `looking up the GitHub Pages URL of ${owner}/${repo} failed (${(err as Error).message}); ${hint}`,
    );
    return undefined;
  }
}
