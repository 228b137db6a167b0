/**
 * The front doors as users run them: the bundled CLI (`node dist/cli.js`) and the bundled action
 * (`node dist/index.js` with INPUT_* variables and a runner-like environment), each in a child of
 * this same Node binary, so Node 20 and Node 24 runs both exercise the bundles.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { actionsEnv } from '../../support/actions-env.ts';
import { childEnvironment } from '../../support/actions-harness.ts';
import { collectChildOutput, type ChildOutput } from '../../support/child-output.ts';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
export const CLI_BUNDLE = path.join(REPO_ROOT, 'dist', 'cli.js');
export const ACTION_BUNDLE = path.join(REPO_ROOT, 'dist', 'index.js');

export type ProcessResult = ChildOutput;

export interface SpawnedProcess {
  readonly child: ChildProcess;
  /** Settles when the child has exited and its output is closed; never rejects for an exit code. */
  readonly done: Promise<ProcessResult>;
}

/** Starts `node <bundle> ...args`; the child is killed by its PID after `timeoutMs` (default 60 s). */
export function spawnBundle(
  bundle: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs?: number },
): SpawnedProcess {
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build`);
  const child = spawn(process.execPath, [bundle, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const done = collectChildOutput(child, { timeoutMs: options.timeoutMs ?? 60_000, label: 'test' });
  return { child, done };
}

/**
 * The environment of a CLI child: this process's env without runner and TF_TOKEN_ variables, loopback
 * excluded from proxies, then `extra`.
 */
export function cliEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  const base = childEnvironment({});
  for (const name of Object.keys(base)) if (name.startsWith('TF_TOKEN_')) delete base[name];
  return { ...base, ...extra };
}

/** Runs the bundled CLI to completion. */
export function runCli(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<ProcessResult> {
  return spawnBundle(CLI_BUNDLE, args, {
    cwd: options.cwd,
    env: cliEnvironment(options.env),
    timeoutMs: options.timeoutMs,
  }).done;
}

export interface ActionRun extends ProcessResult {
  /** The runner variables the step ran with (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, ... files). */
  readonly runnerEnv: Record<string, string>;
}

/**
 * Runs the bundled action as a runner would: `inputs` become INPUT_<NAME> (upper case, as
 * @actions/core reads them), the workspace is `workspace`, command files live under `temp`. The
 * results service points at a closed loopback port: these runs use `cache: false`.
 */
export async function runBundledAction(
  inputs: Record<string, string>,
  options: { workspace: string; temp: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<ActionRun> {
  const runnerEnv = actionsEnv({
    results: { url: 'http://127.0.0.1:9/' },
    workspace: options.workspace,
    temp: options.temp,
  });
  const inputEnv = Object.fromEntries(
    Object.entries(inputs).map(([name, value]) => [`INPUT_${name.replace(/ /g, '_').toUpperCase()}`, value]),
  );
  const env = cliEnvironment({ ...runnerEnv, ...inputEnv, ...options.env });
  const result = await spawnBundle(ACTION_BUNDLE, [], {
    cwd: options.workspace,
    env,
    timeoutMs: options.timeoutMs,
  }).done;
  return { ...result, runnerEnv };
}

/** True when `text` shows a JavaScript stack trace. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+[(:]\d+/m.test(text) || /\bat (async )?[\w.<>]+ \(/.test(text);
}
