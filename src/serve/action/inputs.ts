import path from 'node:path';
import * as core from '@actions/core';
import { DEFAULT_ARTIFACT_NAME } from '../../action/constants.ts';
import { listInput } from '../../action/inputs.ts';
import { RepoxyError } from '../../domain/errors.ts';
import { ServeInputs } from './constants.ts';

export type ServeMode = 'filesystem' | 'network';

/** The lock files the artifact is checked against when the `lockfiles` input is empty. */
export const DEFAULT_LOCKFILES = '**/.terraform.lock.hcl';

/** Where the mirror comes from: an artifact (this run, or another run of a repository) or a directory. */
export type MirrorOrigin =
  | { readonly kind: 'directory'; readonly dir: string }
  | { readonly kind: 'artifact'; readonly name: string; readonly into: string; readonly otherRun?: OtherRun };

export interface OtherRun {
  readonly runId: number;
  readonly token: string;
  readonly owner: string;
  readonly repo: string;
}

/** Every input of serve/action.yml, typed and validated once. */
export interface ServeActionInputs {
  readonly origin: MirrorOrigin;
  readonly mode: ServeMode;
  readonly allowDirect: boolean;
  /** Lock-file paths or globs, relative to the workspace: the anchors every archive is checked against. */
  readonly lockfiles: readonly string[];
  readonly workspace: string;
  readonly allowForkArtifacts: boolean;
}

/** Reads and validates the inputs; throws INPUT_INVALID naming the input and what it accepts. */
export function getServeInputs(env: NodeJS.ProcessEnv = process.env): ServeActionInputs {
  const workspace = env['GITHUB_WORKSPACE'] ?? process.cwd();
  const mirrorDir = core.getInput(ServeInputs.MirrorDir).trim();
  const origin: MirrorOrigin = mirrorDir
    ? { kind: 'directory', dir: path.resolve(workspace, mirrorDir) }
    : artifactOrigin(env, workspace);
  const lockfiles = listInput(ServeInputs.Lockfiles);
  return {
    origin,
    mode: modeInput(),
    allowDirect: boolInput(ServeInputs.AllowDirect),
    lockfiles: lockfiles.length ? lockfiles : [DEFAULT_LOCKFILES],
    workspace,
    allowForkArtifacts: boolInput(ServeInputs.AllowForkArtifacts),
  };
}

function artifactOrigin(env: NodeJS.ProcessEnv, workspace: string): MirrorOrigin {
  const name = core.getInput(ServeInputs.ArtifactName).trim() || DEFAULT_ARTIFACT_NAME;
  const temp = env['RUNNER_TEMP'] ?? path.join(workspace, '.repoxy-tmp');
  const into = path.resolve(
    workspace,
    core.getInput(ServeInputs.Path).trim() || path.join(temp, 'provider-mirror'),
  );
  const runId = core.getInput(ServeInputs.RunId).trim();
  if (runId === '') return { kind: 'artifact', name, into };
  if (!/^[1-9]\d*$/.test(runId)) {
    throw new RepoxyError(
      'INPUT_INVALID',
      `input "run-id" must be a workflow run ID (a whole number), got "${runId}"`,
    );
  }
  const token = core.getInput(ServeInputs.GithubToken).trim();
  if (!token)
    throw new RepoxyError(
      'INPUT_INVALID',
      'input "github-token" is needed with "run-id" (a token with actions: read)',
    );
  core.setSecret(token);
  const repository = core.getInput(ServeInputs.Repository).trim() || (env['GITHUB_REPOSITORY'] ?? '');
  const [owner, repo, extra] = repository.split('/');
  if (!owner || !repo || extra !== undefined) {
    throw new RepoxyError('INPUT_INVALID', `input "repository" must be OWNER/NAME, got "${repository}"`);
  }
  return { kind: 'artifact', name, into, otherRun: { runId: Number(runId), token, owner, repo } };
}

function modeInput(): ServeMode {
  const raw = core.getInput(ServeInputs.Mode).trim() || 'filesystem';
  if (raw === 'filesystem' || raw === 'network') return raw;
  throw new RepoxyError('INPUT_INVALID', `input "mode" must be filesystem or network, got "${raw}"`);
}

function boolInput(name: string): boolean {
  const raw = core.getInput(name).trim();
  if (raw === '' || ['false', 'False', 'FALSE'].includes(raw)) return false;
  if (['true', 'True', 'TRUE'].includes(raw)) return true;
  throw new RepoxyError('INPUT_INVALID', `input "${name}" must be true or false, got "${raw}"`);
}
