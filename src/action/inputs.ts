import * as core from '@actions/core';
import { RepoxyError } from '../domain/errors.ts';
import { DEFAULT_ARTIFACT_NAME, DEFAULT_KEEP_DAYS, Inputs } from './constants.ts';
import type { UpdateLockfiles } from './lockfiles.ts';

/** Where the mirror goes; the `publish` input lists any of them (`none` or empty: nowhere). */
export type PublishTarget = 'pages' | 'artifact' | 'oci';

/** Every input of action.yml, typed and validated once (docker/build-push-action context.ts). */
export interface ActionInputs {
  readonly lockfiles: string[];
  readonly platforms: string[];
  readonly output: string;
  readonly upstreams: string[];
  readonly include: string[];
  readonly exclude: string[];
  readonly concurrency: number | undefined;
  readonly requireAllPlatforms: boolean;
  readonly requireSignatures: boolean;
  readonly registryView: boolean;
  readonly cache: boolean;
  readonly cacheKeyPrefix: string;
  readonly publish: readonly PublishTarget[];
  readonly mirrorUrl: string;
  readonly artifactName: string;
  readonly retentionDays: number | undefined;
  readonly allowPrivateProviders: boolean;
  readonly githubToken: string;
  /** Lower-cased: OCI repository names are lower case (PROTOCOL.md §6.1). */
  readonly ociRepositoryTemplate: string;
  readonly ociUsername: string;
  readonly ociPassword: string;
  readonly updateLockfiles: UpdateLockfiles;
  readonly keepDays: number;
}

/** Lines and commas both separate list items; blank items and `#` comments are dropped. */
export function listInput(name: string): string[] {
  return core
    .getInput(name)
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '' && !s.startsWith('#'));
}

function boolInput(name: string, fallback: boolean): boolean {
  const raw = core.getInput(name).trim();
  if (raw === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(raw)) return true;
  if (['false', 'False', 'FALSE'].includes(raw)) return false;
  throw new RepoxyError('INPUT_INVALID', `input "${name}" must be true or false, got "${raw}"`);
}

function intInput(name: string, min: number, max: number): number | undefined {
  const raw = core.getInput(name).trim();
  if (raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new RepoxyError(
      'INPUT_INVALID',
      `input "${name}" must be a whole number from ${min} to ${max}, got "${raw}"`,
    );
  }
  return n;
}

function publishInput(): PublishTarget[] {
  const targets: PublishTarget[] = [];
  for (const raw of listInput(Inputs.Publish)) {
    if (raw === 'none') continue;
    if (raw !== 'pages' && raw !== 'artifact' && raw !== 'oci') {
      throw new RepoxyError(
        'INPUT_INVALID',
        `input "publish" must list pages, artifact and/or oci (or be none), got "${raw}"`,
      );
    }
    if (!targets.includes(raw)) targets.push(raw);
  }
  return targets;
}

function updateLockfilesInput(): UpdateLockfiles {
  const raw = core.getInput(Inputs.UpdateLockfiles).trim() || 'none';
  if (raw === 'none' || raw === 'check' || raw === 'write') return raw;
  throw new RepoxyError(
    'INPUT_INVALID',
    `input "update-lockfiles" must be none, check or write, got "${raw}"`,
  );
}

/** Reads and validates all inputs; throws INPUT_INVALID naming the input and what it accepts. */
export function getInputs(): ActionInputs {
  const lockfiles = listInput(Inputs.Lockfiles);
  return {
    lockfiles: lockfiles.length ? lockfiles : ['**/.terraform.lock.hcl'],
    platforms: listInput(Inputs.Platforms),
    output: core.getInput(Inputs.Output).trim() || 'provider-mirror',
    upstreams: listInput(Inputs.Upstreams),
    include: listInput(Inputs.Include),
    exclude: listInput(Inputs.Exclude),
    concurrency: intInput(Inputs.Concurrency, 1, 256),
    requireAllPlatforms: boolInput(Inputs.RequireAllPlatforms, false),
    requireSignatures: boolInput(Inputs.RequireSignatures, false),
    registryView: boolInput(Inputs.RegistryView, true),
    cache: boolInput(Inputs.Cache, true),
    cacheKeyPrefix: core.getInput(Inputs.CacheKeyPrefix).trim() || 'repoxy-providers',
    publish: publishInput(),
    mirrorUrl: core.getInput(Inputs.MirrorUrl).trim(),
    artifactName: core.getInput(Inputs.ArtifactName).trim() || DEFAULT_ARTIFACT_NAME,
    retentionDays: intInput(Inputs.RetentionDays, 1, 90),
    allowPrivateProviders: boolInput(Inputs.AllowPrivateProviders, false),
    githubToken: core.getInput(Inputs.GithubToken).trim(),
    ociRepositoryTemplate: core.getInput(Inputs.OciRepositoryTemplate).trim().toLowerCase(),
    ociUsername: core.getInput(Inputs.OciUsername).trim(),
    ociPassword: core.getInput(Inputs.OciPassword).trim(),
    updateLockfiles: updateLockfilesInput(),
    keepDays: intInput(Inputs.KeepDays, 0, 3650) ?? DEFAULT_KEEP_DAYS,
  };
}
