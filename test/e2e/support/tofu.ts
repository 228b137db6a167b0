import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The real OpenTofu CLI for the end-to-end suite: found through TOFU_BIN or built by
 * scripts/build-tofu.sh (Go module proxy, cached outside the repository). Never skipped: when the
 * client cannot be found or built, resolving it throws and the suite fails.
 */

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const BUILD_SCRIPT = path.join(repoRoot, 'scripts/build-tofu.sh');
/** Building from source takes minutes on 2 cores; the cached binary answers at once. */
const BUILD_TIMEOUT_MS = 20 * 60_000;
/** A closed loopback port: any request that would leave the machine fails fast through it. */
const DEAD_PROXY = 'http://127.0.0.1:9';

export interface Tofu {
  /** Absolute path of the binary. */
  readonly bin: string;
  /** The first line of `tofu version`, e.g. "OpenTofu v1.12.6". */
  readonly version: string;
}

export interface ProcessResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

let resolved: Promise<Tofu> | undefined;

/** The client (once per process): TOFU_BIN when set, else `bash scripts/build-tofu.sh`. Throws when neither works. */
export function resolveTofu(): Promise<Tofu> {
  resolved ??= locate();
  return resolved;
}

async function locate(): Promise<Tofu> {
  const fromEnv = process.env['TOFU_BIN'];
  const bin = fromEnv ? path.resolve(fromEnv) : await buildWithScript();
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    throw new Error(
      `the OpenTofu binary ${bin} (${fromEnv ? 'from TOFU_BIN' : 'from scripts/build-tofu.sh'}) ` +
        'is not an executable file; unset TOFU_BIN or run `bash scripts/build-tofu.sh`',
    );
  }
  const env = tofuEnv({ home: tmpdir(), cliConfigFile: '/dev/null' });
  const run = await runProcess(bin, ['version'], { cwd: repoRoot, env });
  const version = run.stdout.split('\n')[0]?.trim() ?? '';
  if (run.code !== 0 || run.stderr.trim() !== '' || !/^OpenTofu v\d/.test(version)) {
    throw new Error(`\`${bin} version\` failed (exit ${run.code}):\n${run.stdout}${run.stderr}`);
  }
  process.stdout.write(`real client: ${version} (${bin})\n`);
  return { bin, version };
}

async function buildWithScript(): Promise<string> {
  const run = await runProcess('bash', [BUILD_SCRIPT], {
    cwd: repoRoot,
    env: process.env,
    timeoutMs: BUILD_TIMEOUT_MS,
    stderrTo: process.stderr,
  });
  const bin = run.stdout.trim().split('\n').at(-1) ?? '';
  if (run.code !== 0 || bin === '') {
    throw new Error(
      `cannot build the OpenTofu client with scripts/build-tofu.sh (exit ${run.code}); the end-to-end ` +
        `suite needs it (set TOFU_BIN to a built binary to skip the build):\n${run.stderr.slice(-4000)}`,
    );
  }
  return bin;
}

/** What a `tofu` child gets: an isolated HOME and CLI configuration, loopback only. */
export interface TofuEnvOptions {
  /** A throw-away HOME (no ~/.terraformrc, ~/.terraform.d). */
  readonly home: string;
  /** TF_CLI_CONFIG_FILE. */
  readonly cliConfigFile: string;
  /** SSL_CERT_FILE: the roots Go trusts (on Linux it replaces the system bundle file). */
  readonly caFile?: string;
  readonly extra?: Readonly<Record<string, string>>;
}

/**
 * The environment for the client: this process's minus every TF_*, proxy and TLS setting, then
 * HOME, TF_CLI_CONFIG_FILE, SSL_CERT_FILE, CHECKPOINT_DISABLE=1, TF_IN_AUTOMATION=1, and a dead
 * proxy for everything but loopback, so nothing can reach the Internet even by mistake.
 */
export function tofuEnv(options: TofuEnvOptions): Record<string, string> {
  const dropped = /^(TF_|CHECKPOINT_|OPENTOFU_|SSL_CERT_|HTTPS?_PROXY$|NO_PROXY$|ALL_PROXY$)/i;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !dropped.test(name) && name !== 'NODE_TEST_CONTEXT') env[name] = value;
  }
  return {
    ...env,
    HOME: options.home,
    TF_CLI_CONFIG_FILE: options.cliConfigFile,
    CHECKPOINT_DISABLE: '1',
    TF_IN_AUTOMATION: '1',
    HTTPS_PROXY: DEAD_PROXY,
    HTTP_PROXY: DEAD_PROXY,
    NO_PROXY: '127.0.0.1,127.0.0.2,localhost',
    ...(options.caFile ? { SSL_CERT_FILE: options.caFile } : {}),
    ...options.extra,
  };
}

/** Runs `tofu ARGS` in `cwd`; resolves with its output whatever the exit status. */
export function runTofu(
  tofu: Tofu,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs?: number },
): Promise<ProcessResult> {
  return runProcess(tofu.bin, args, options);
}

/** Like runTofu, but throws with the client's output when it exits non-zero. */
export async function tofuOk(
  tofu: Tofu,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs?: number },
): Promise<ProcessResult> {
  const run = await runTofu(tofu, args, options);
  if (run.code !== 0) throw new Error(`tofu ${args.join(' ')} failed (exit ${run.code}):\n${describe(run)}`);
  return run;
}

/** Both streams of a finished process, for assertion messages. */
export function describe(run: ProcessResult): string {
  return `--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

/**
 * Spawns `command` and collects its output; kills it by PID after `timeoutMs` (default 120 s).
 * Never rejects for a non-zero exit; rejects only when it cannot be started.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: {
    cwd: string;
    env: NodeJS.ProcessEnv;
    timeoutMs?: number;
    stderrTo?: NodeJS.WritableStream;
  },
): Promise<ProcessResult> {
  const started = performance.now();
  const child = spawn(command, [...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    options.stderrTo?.write(chunk);
  });
  const timeoutMs = options.timeoutMs ?? 120_000;
  const timer = setTimeout(() => {
    stderr += `\n[e2e] killed PID ${child.pid} after ${timeoutMs} ms\n`;
    child.kill('SIGKILL');
  }, timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${command}: ${err.message}`, { cause: err }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}
