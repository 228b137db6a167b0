import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { isProcessAlive, startAzurite, type Azurite } from './azurite.ts';
import { collectChildOutput, type ChildOutput } from './child-output.ts';
import { startResultsService, type ResultsService } from './results-service.ts';

/**
 * Runs code that uses the real @actions/* libraries in a child Node process with a runner-like
 * environment. A child is needed because those libraries read process.env at call time, and tests
 * run concurrently in one process.
 */

const repoRoot = path.resolve(import.meta.dirname, '../..');
const tsxImport = import.meta.resolve('tsx');
const INHERITED_RUNNER_PREFIXES = ['GITHUB_', 'ACTIONS_', 'RUNNER_', 'INPUT_', 'STATE_'];
const LOOPBACK_NO_PROXY = '127.0.0.1,127.0.0.2,localhost';

/** A TypeScript/ESM file run with `node --import tsx`, or ESM JavaScript resolved from the repo root. */
export type ChildScript = { file: string; args?: string[] } | { code: string };

export type ChildResult = ChildOutput;

export interface RunOptions {
  /** Working directory of the step; defaults to env.GITHUB_WORKSPACE, as on a runner. */
  cwd?: string;
  /** Kill the child (by its PID) after this long; defaults to 120 s. */
  timeoutMs?: number;
}

/**
 * The child's environment: this process's env minus anything a real runner (or an outer CI job)
 * set for GitHub Actions, plus `env`, with loopback excluded from any proxy.
 */
export function childEnvironment(env: Record<string, string>): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || name === 'NODE_TEST_CONTEXT') continue;
    if (INHERITED_RUNNER_PREFIXES.some((prefix) => name.toUpperCase().startsWith(prefix))) continue;
    merged[name] = value;
  }
  const noProxy = [process.env['NO_PROXY'] ?? process.env['no_proxy'], LOOPBACK_NO_PROXY]
    .filter(Boolean)
    .join(',');
  return { ...merged, NO_PROXY: noProxy, no_proxy: noProxy, ...env };
}

/**
 * Runs `script` in a child of this same Node binary (so Node 20 and 24 runs both exercise the
 * libraries) and resolves with its exit status and output; never rejects for a non-zero exit.
 * A `code` script is evaluated as an ES module whose imports resolve from the repo root; it starts
 * by changing into `cwd`, which is where @actions/cache resolves relative paths.
 */
export function runWithActionsEnv(
  script: ChildScript,
  env: Record<string, string>,
  options: RunOptions = {},
): Promise<ChildResult> {
  const cwd = options.cwd ?? env['GITHUB_WORKSPACE'] ?? repoRoot;
  const args =
    'file' in script
      ? ['--import', tsxImport, path.resolve(script.file), ...(script.args ?? [])]
      : [
          '--import',
          tsxImport,
          '--input-type=module',
          '--eval',
          `process.chdir(${JSON.stringify(cwd)});\n${script.code}`,
        ];
  const child = spawn(process.execPath, args, {
    cwd: 'file' in script ? cwd : repoRoot,
    env: childEnvironment(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collectChildOutput(child, { timeoutMs: options.timeoutMs ?? 120_000, label: 'harness' });
}

/** One `::command key=value,...::message` line an action printed (annotations, masks, groups). */
export interface WorkflowCommand {
  command: string;
  properties: Record<string, string>;
  message: string;
}

/** The workflow commands in a step's stdout, decoded the way the runner decodes them. */
export function parseWorkflowCommands(stdout: string): WorkflowCommand[] {
  const commands: WorkflowCommand[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const match = /^::([\w-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!match) continue;
    const [, command = '', props = '', message = ''] = match;
    const properties: Record<string, string> = {};
    for (const pair of props.split(',').filter(Boolean)) {
      const eq = pair.indexOf('=');
      if (eq > 0) properties[pair.slice(0, eq)] = decodeProperty(pair.slice(eq + 1));
    }
    commands.push({ command, properties, message: decodeData(message) });
  }
  return commands;
}

const COMMAND_ESCAPES: Record<string, string> = {
  '%25': '%',
  '%0D': '\r',
  '%0A': '\n',
  '%3A': ':',
  '%2C': ',',
};

/** Reverses @actions/core's escaping in one pass (data escapes %, CR, LF; properties also : and ,). */
function decodeData(value: string): string {
  return value.replace(/%(25|0D|0A)/g, (escape) => COMMAND_ESCAPES[escape] ?? escape);
}

function decodeProperty(value: string): string {
  return value.replace(/%(25|0D|0A|3A|2C)/g, (escape) => COMMAND_ESCAPES[escape] ?? escape);
}

/** Azurite plus a results service on top of it: everything @actions/cache and @actions/artifact need. */
export interface ActionsBackends {
  azurite: Azurite;
  results: ResultsService;
  /** Stops the results service, then Azurite by its PID; idempotent. */
  stop(): Promise<void>;
}

/** Starts Azurite and a results service bound to it; on failure stops whatever did start. */
export async function startActionsBackends(): Promise<ActionsBackends> {
  const azurite = await startAzurite();
  let results: ResultsService;
  try {
    results = await startResultsService({ azurite });
  } catch (err) {
    await azurite.stop();
    throw err;
  }
  return {
    azurite,
    results,
    stop: async () => {
      await results.stop();
      await azurite.stop();
    },
  };
}

/**
 * Stops `backends` (when they started), removes `scratch` (when given) and asserts that Azurite's
 * process has exited.
 */
export async function stopActionsBackends(
  backends: ActionsBackends | undefined,
  scratch?: string,
): Promise<void> {
  const pid = backends?.azurite.pid;
  await backends?.stop();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  if (pid !== undefined) assert.equal(isProcessAlive(pid), false, `Azurite PID ${pid} still running`);
}
