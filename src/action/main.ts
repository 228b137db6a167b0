import path from 'node:path';
import * as core from '@actions/core';
import { buildMirror, planFromLockFiles, type BuildOptions } from '../engine.ts';
import { silentReporter } from '../events.ts';
import { listTokens } from '../upstream/tokens.ts';
import { utcDay } from '../mirror/retention.ts';
import { mirrorBaseUrl } from '../mirror/client-config.ts';
import { restoreStore, saveStore, type RestoredCache } from './cache.ts';
import { Outputs } from './constants.ts';
import { getInputs, type ActionInputs } from './inputs.ts';
import { updateLockfiles } from './lockfiles.ts';
import { lookUpPagesUrl, publishMirror } from './publish.ts';
import { actionReporter } from './report.ts';
import { writeJobSummary } from './summary.ts';

/** The build action: plan → restore cache → build mirror → save cache → publish → outputs and summary. */
export async function run(): Promise<void> {
  for (const token of listTokens(process.env)) core.setSecret(token);
  const inputs = getInputs();
  if (inputs.githubToken) core.setSecret(inputs.githubToken);
  const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
  const options = { ...buildOptions(inputs, workspace), previousMirrorUrl: await previousMirrorUrl(inputs) };
  const plan = await planFromLockFiles(options, silentReporter);
  const today = utcDay(options.now ?? new Date());
  let restored: RestoredCache | undefined;
  if (options.cacheDir)
    restored = await restoreStore(options.cacheDir, plan, inputs.cacheKeyPrefix, {
      ...options,
      keepDays: inputs.keepDays,
      today,
    });
  const result = await core.group('Build the provider mirror', () => buildMirror(options, actionReporter()));
  const saved =
    options.cacheDir && restored
      ? await saveStore(options.cacheDir, inputs.cacheKeyPrefix, result.archives, restored)
      : undefined;
  const hit = restored?.hit ?? 'false';
  await updateLockfiles(inputs.updateLockfiles, options, result);
  const published = await publishMirror(inputs, result);
  core.setOutput(Outputs.MirrorDir, result.out);
  core.setOutput(Outputs.Providers, String(result.plan.providers.length));
  core.setOutput(Outputs.Archives, String(result.archives.length));
  core.setOutput(Outputs.Bytes, String(result.bytes));
  core.setOutput(Outputs.CacheHit, hit);
  core.setOutput(Outputs.ArchivesFetched, String(result.fetched));
  core.setOutput(Outputs.ArchivesReused, String(result.reused));
  if (published.mirrorUrl) core.setOutput(Outputs.MirrorUrl, published.mirrorUrl);
  if (published.artifactId !== undefined) core.setOutput(Outputs.ArtifactId, String(published.artifactId));
  if (published.oci) core.setOutput(Outputs.OciRepositories, published.oci.repositories.join('\n'));
  if (published.oci) core.setOutput(Outputs.OciPushed, String(published.oci.manifestsPushed));
  core.setOutput(Outputs.CacheBytesRestored, String(restored?.bytes ?? 0));
  core.setOutput(Outputs.CacheBytesSaved, String(saved?.bytes ?? 0));
  await writeJobSummary(result, {
    cacheHit: hit,
    mirrorUrl: published.mirrorUrl,
    ociConfig: published.oci?.cliConfig,
  });
}

function buildOptions(inputs: ActionInputs, workspace: string): BuildOptions {
  const temp = process.env.RUNNER_TEMP ?? path.join(workspace, '.repoxy-tmp');
  return {
    lockfiles: inputs.lockfiles,
    cwd: workspace,
    platforms: inputs.platforms,
    include: inputs.include,
    exclude: inputs.exclude,
    out: path.resolve(workspace, inputs.output),
    upstreams: inputs.upstreams,
    cacheDir: inputs.cache ? path.join(temp, 'repoxy-store') : undefined,
    concurrency: inputs.concurrency,
    requireAllPlatforms: inputs.requireAllPlatforms,
    requireSignatures: inputs.requireSignatures,
    registryView: inputs.registryView,
    keepDays: inputs.keepDays,
    env: process.env,
  };
}

/** The published mirror whose mirror.json lists what to keep when the store is gone (none with keep-days 0). */
async function previousMirrorUrl(inputs: ActionInputs): Promise<string | undefined> {
  if (inputs.keepDays === 0) return undefined;
  if (inputs.mirrorUrl) return mirrorBaseUrl(inputs.mirrorUrl);
  return inputs.publish.includes('pages') ? lookUpPagesUrl(inputs.githubToken) : undefined;
}
