import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The environment a GitHub runner gives an action step, pointed at local stand-ins: the results
 * service (cache v2 + artifacts) and per-step command files under RUNNER_TEMP, so @actions/core
 * writes outputs, exported variables, state, path additions and the step summary to files a test
 * can read back.
 */

export interface ActionsEnvOptions {
  /** The results service (its `url` becomes ACTIONS_RESULTS_URL). */
  results: { url: string };
  /** GITHUB_WORKSPACE; created if missing. */
  workspace: string;
  /** RUNNER_TEMP; created if missing. Command files go to `<temp>/_runner_file_commands/`. */
  temp: string;
  /** Backend ids carried in the runtime token's `Actions.Results:<run>:<job>` scope. */
  runBackendId?: string;
  jobBackendId?: string;
  /**
   * GITHUB_API_URL. Defaults to a closed loopback port so a stray GitHub API call fails fast
   * instead of leaving the machine; point it at a local fake API server when one is needed.
   */
  apiUrl?: string;
}

const DEFAULT_API_URL = 'http://127.0.0.1:9';

/** Names of the per-step command files, as the runner names the variables pointing at them. */
export const COMMAND_FILE_VARIABLES = [
  'GITHUB_OUTPUT',
  'GITHUB_ENV',
  'GITHUB_STATE',
  'GITHUB_PATH',
  'GITHUB_STEP_SUMMARY',
] as const;

/**
 * An unsigned JWT (`alg: none`, empty signature) whose `scp` carries the results scope the
 * libraries parse with jwt-decode (`Actions.Results:<runBackendId>:<jobBackendId>`).
 */
export function runtimeToken(runBackendId: string, jobBackendId: string): string {
  const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const scp = `Actions.GenericRead:${runBackendId} Actions.Results:${runBackendId}:${jobBackendId}`;
  return `${encode({ typ: 'JWT', alg: 'none' })}.${encode({ scp, iat: now, exp: now + 6 * 3600 })}.`;
}

/**
 * Builds the step environment and creates its directories and empty command files. Returns only
 * the runner's variables: merge it over a cleaned process.env (see actions-harness.ts), never
 * into this process's env, because @actions/* read process.env at call time.
 */
export function actionsEnv(options: ActionsEnvOptions): Record<string, string> {
  const runBackendId = options.runBackendId ?? 'run-1';
  const jobBackendId = options.jobBackendId ?? 'job-1';
  const commandDir = path.join(options.temp, '_runner_file_commands');
  mkdirSync(options.workspace, { recursive: true });
  mkdirSync(commandDir, { recursive: true });
  const env: Record<string, string> = {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    ACTIONS_CACHE_SERVICE_V2: 'true',
    ACTIONS_RESULTS_URL: options.results.url,
    ACTIONS_RUNTIME_TOKEN: runtimeToken(runBackendId, jobBackendId),
    GITHUB_WORKSPACE: options.workspace,
    RUNNER_TEMP: options.temp,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    GITHUB_REPOSITORY: 'owner/repo',
    GITHUB_REPOSITORY_OWNER: 'owner',
    GITHUB_RUN_ID: '1',
    GITHUB_RUN_NUMBER: '1',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'build',
    GITHUB_ACTION: 'repoxy',
    GITHUB_ACTOR: 'repoxy-test',
    GITHUB_WORKFLOW: 'ci',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
    GITHUB_SHA: '0000000000000000000000000000000000000000',
    GITHUB_RETENTION_DAYS: '90',
    // github.com keeps isGhes() false: on GHES the cache falls back to v1 and artifacts refuse.
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: options.apiUrl ?? DEFAULT_API_URL,
    GITHUB_GRAPHQL_URL: `${options.apiUrl ?? DEFAULT_API_URL}/graphql`,
    GITHUB_EVENT_PATH: path.join(commandDir, 'event.json'),
  };
  writeFileSync(env['GITHUB_EVENT_PATH'] as string, '{}\n');
  for (const name of COMMAND_FILE_VARIABLES) {
    const file = path.join(commandDir, `${name.toLowerCase()}`);
    writeFileSync(file, '');
    env[name] = file;
  }
  return env;
}

/**
 * Parses a runner command file (GITHUB_OUTPUT / GITHUB_ENV / GITHUB_STATE): `name<<DELIM` heredoc
 * blocks and plain `name=value` lines; a later value for a name replaces an earlier one. Throws
 * on a heredoc without its closing delimiter.
 */
export function parseCommandFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name = '', delimiter = ''] = heredoc;
      const end = lines.indexOf(delimiter, i + 1);
      if (end < 0) throw new Error(`command file: no closing delimiter ${delimiter} for ${name}`);
      values[name] = lines.slice(i + 1, end).join('\n');
      i = end;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`command file: cannot parse line ${i + 1}: ${line}`);
    values[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return values;
}

function readCommandFile(
  env: Record<string, string>,
  variable: (typeof COMMAND_FILE_VARIABLES)[number],
): string {
  const file = env[variable];
  if (!file) throw new Error(`${variable} is not set in this environment`);
  return readFileSync(file, 'utf8');
}

/** Outputs the step set with core.setOutput. */
export function readOutputs(env: Record<string, string>): Record<string, string> {
  return parseCommandFile(readCommandFile(env, 'GITHUB_OUTPUT'));
}

/** Variables the step exported with core.exportVariable. */
export function readEnvFile(env: Record<string, string>): Record<string, string> {
  return parseCommandFile(readCommandFile(env, 'GITHUB_ENV'));
}

/** State the step saved with core.saveState. */
export function readState(env: Record<string, string>): Record<string, string> {
  return parseCommandFile(readCommandFile(env, 'GITHUB_STATE'));
}

/** Directories the step added with core.addPath, in order. */
export function readPathAdditions(env: Record<string, string>): string[] {
  return readCommandFile(env, 'GITHUB_PATH').split(/\r?\n/).filter(Boolean);
}

/** The step summary markdown written by core.summary.write(). */
export function readStepSummary(env: Record<string, string>): string {
  return readCommandFile(env, 'GITHUB_STEP_SUMMARY');
}
