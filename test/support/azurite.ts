import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A real Azure Blob emulator (Azurite, pinned dev dependency) on 127.0.0.1, for the results
 * service stand-in to hand out SAS URLs into. Started as a plain `node` child (never npx: killing
 * npx would orphan the server) and stopped by its own PID.
 */

const repoRoot = path.resolve(import.meta.dirname, '../..');
const azuriteDist = path.join(repoRoot, 'node_modules/azurite/dist/src');
const azuriteBlobMain = path.join(azuriteDist, 'blob/main.js');

/** A running Azurite blob service. `stop()` is idempotent and resolves once the process exited. */
export interface Azurite {
  /** `http://127.0.0.1:PORT/devstoreaccount1` (path-style account URL, no trailing slash). */
  readonly blobEndpoint: string;
  readonly accountName: string;
  /** The emulator's well-known shared key (base64), read from Azurite's own constants. */
  readonly accountKey: string;
  /** The x-ms-version Azurite 3.35 implements; SAS tokens are minted with this `sv`. */
  readonly apiVersion: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const READY_DEADLINE_MS = 20_000;
const STOP_GRACE_MS = 5_000;
const OUTPUT_LIMIT = 64 * 1024;

/** The well-known account and API version, read from Azurite's constants files (not hard-coded). */
export function azuriteConstants(): { accountName: string; accountKey: string; apiVersion: string } {
  const require = createRequire(import.meta.url);
  const common = require(path.join(azuriteDist, 'common/utils/constants.js')) as {
    EMULATOR_ACCOUNT_NAME: string;
    EMULATOR_ACCOUNT_KEY: Buffer;
  };
  const blob = require(path.join(azuriteDist, 'blob/utils/constants.js')) as { BLOB_API_VERSION: string };
  return {
    accountName: common.EMULATOR_ACCOUNT_NAME,
    accountKey: common.EMULATOR_ACCOUNT_KEY.toString('base64'),
    apiVersion: blob.BLOB_API_VERSION,
  };
}

/**
 * Starts Azurite with in-memory persistence on a port the OS picks (`--blobPort 0`, so no race
 * with other tests for a "free" port) and resolves once `GET /<account>?comp=list` answers 403
 * (the server is up and enforcing auth). Rejects with Azurite's output if it exits or is not
 * ready within 20 s; the process is killed in that case.
 */
export async function startAzurite(): Promise<Azurite> {
  const constants = azuriteConstants();
  const cwd = mkdtempSync(path.join(tmpdir(), 'repoxy-azurite-'));
  const args = [azuriteBlobMain, '--blobHost', '127.0.0.1', '--blobPort', '0', '--inMemoryPersistence'];
  args.push('--disableTelemetry', '--skipApiVersionCheck', '--silent');
  const env = { ...process.env };
  delete env['AZURITE_ACCOUNTS']; // would replace the well-known account
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = collectOutput(child);
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = once(async () => {
    process.removeListener('exit', killOnExit);
    await stopProcess(child);
    rmSync(cwd, { recursive: true, force: true });
  });
  try {
    const port = await waitForListeningPort(child, output);
    const blobEndpoint = `http://127.0.0.1:${port}/${constants.accountName}`;
    await waitForAuthEnforced(child, output, blobEndpoint);
    if (child.pid === undefined) throw new Error('Azurite started without a PID');
    return { ...constants, blobEndpoint, pid: child.pid, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** True while a process with this PID exists (signal 0 probe). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface CollectedOutput {
  text(): string;
}

function collectOutput(child: ChildProcess): CollectedOutput {
  let text = '';
  const append = (chunk: Buffer): void => {
    if (text.length < OUTPUT_LIMIT) text += chunk.toString('utf8');
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return { text: () => text };
}

function failure(what: string, output: CollectedOutput): Error {
  return new Error(`Azurite ${what}. Its output was:\n${output.text() || '(nothing)'}`);
}

/** Azurite prints "successfully listens on http://127.0.0.1:PORT" once bound, even with --silent. */
async function waitForListeningPort(child: ChildProcess, output: CollectedOutput): Promise<number> {
  const deadline = Date.now() + READY_DEADLINE_MS;
  while (Date.now() < deadline) {
    const match = /listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(output.text());
    if (match?.[1] !== undefined) return Number(match[1]);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw failure(`exited (${child.exitCode ?? child.signalCode}) before listening`, output);
    }
    await sleep(50);
  }
  throw failure(`did not report a listening port within ${READY_DEADLINE_MS} ms`, output);
}

async function waitForAuthEnforced(
  child: ChildProcess,
  output: CollectedOutput,
  endpoint: string,
): Promise<void> {
  const deadline = Date.now() + READY_DEADLINE_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw failure('exited while starting', output);
    try {
      const res = await fetch(`${endpoint}?comp=list`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 403) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await sleep(100);
  }
  throw failure(
    `did not answer 403 at ${endpoint}?comp=list within ${READY_DEADLINE_MS} ms (last: ${last})`,
    output,
  );
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process has exited. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
