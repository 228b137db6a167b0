import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { actionsEnv } from '../support/actions-env.ts';
import {
  runWithActionsEnv,
  startActionsBackends,
  type ActionsBackends,
  type ChildResult,
} from '../support/actions-harness.ts';
import { startFakeGitHubApi, type FakeGitHubApi, type FakeGitHubApiOptions } from './github-api.ts';

// The serve action end to end: the build action's publishMirror uploads the mirror with the real
// @actions/artifact (Azurite + results stand-in); the serve action, run from its entry file in a
// child with a runner environment, downloads, verifies, configures and (network mode) serves it.

export const SERVE_ENTRY = path.resolve(import.meta.dirname, '../../src/serve/action/index.ts');
export const TOKEN = 'ghs_serve_test_token';

export interface ServeHarness {
  readonly backends: ActionsBackends;
  readonly api: FakeGitHubApi;
  readonly scratch: string;
  /** A fresh runner environment (workspace, temp, command files) for one step of `runBackendId`. */
  newStep(jobBackendId: string, runBackendId?: string): Record<string, string>;
  /** Runs the serve action's entry with `inputs` as INPUT_* variables. */
  serve(env: Record<string, string>, inputs: Record<string, string>): Promise<ChildResult>;
  stop(): Promise<void>;
}

/** Starts the artifact backends and the GitHub API stand-in (`api` options besides the two it sets). */
export async function startServeHarness(
  api: Omit<FakeGitHubApiOptions, 'backends' | 'token'> = {},
): Promise<ServeHarness> {
  const scratch = mkdtempSync(path.join(tmpdir(), 'repoxy-serve-'));
  const backends = await startActionsBackends();
  const fake = await startFakeGitHubApi({ ...api, backends, token: TOKEN });
  let step = 0;
  return {
    backends,
    api: fake,
    scratch,
    newStep: (jobBackendId, runBackendId = 'run-1') => {
      const root = path.join(scratch, `step-${++step}`);
      return actionsEnv({
        results: backends.results,
        workspace: path.join(root, 'ws'),
        temp: path.join(root, 'temp'),
        runBackendId,
        jobBackendId,
        apiUrl: fake.url,
      });
    },
    serve: (env, inputs) => {
      const given = Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]);
      return runWithActionsEnv({ file: SERVE_ENTRY }, { ...env, ...Object.fromEntries(given) });
    },
    stop: async () => {
      await fake.stop();
      await backends.stop();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
