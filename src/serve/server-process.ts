import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { RepoxyError } from '../domain/errors.ts';
import { readServerState, serverArgv, type ServerArgs, type ServerState } from './server-main.ts';

/** How to run the script that enters server mode on `SERVE_MIRROR_FLAG` (the serve bundle itself). */
export interface ServerEntry {
  /** The script: `process.argv[1]` of the serve action (its bundle, or the .ts file under tsx). */
  readonly script: string;
  /** Node flags to repeat, e.g. `--import tsx` in tests; `process.execArgv`. */
  readonly execArgv?: readonly string[];
}

export interface DetachedServerOptions extends ServerArgs {
  /** Where the server's stdout and stderr go. */
  readonly logFile: string;
  readonly env: NodeJS.ProcessEnv;
  /** How long to wait for it to listen; default 30 s. */
  readonly readyTimeoutMs?: number;
}

const POLL_MS = 50;

/**
 * Starts the mirror server as a detached process that outlives this one (its own process group, no
 * pipes to us; it inherits `env`, so a runner's orphan-process cleanup still finds it when the job
 * ends). Resolves with its state once it listens. Throws SERVE with its log when it exits first or
 * does not listen in time (then it is killed by its PID).
 */
export async function startDetachedServer(
  entry: ServerEntry,
  options: DetachedServerOptions,
): Promise<ServerState> {
  const log = openSync(options.logFile, 'a', 0o600);
  let exited: string | undefined;
  const child = spawn(process.execPath, [...(entry.execArgv ?? []), entry.script, ...serverArgv(options)], {
    detached: true,
    stdio: ['ignore', log, log],
    env: options.env,
  });
  closeSync(log);
  child.once(
    'exit',
    (code, signal) => (exited = signal ? `was killed by ${signal}` : `exited with status ${code}`),
  );
  child.once('error', (err) => (exited = `could not start: ${err.message}`));
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  try {
    while (Date.now() < deadline) {
      const state = await readServerState(options.stateFile);
      if (state) return state;
      if (exited) throw await startFailure(`the mirror server ${exited}`, options.logFile);
      await sleep(POLL_MS);
    }
    if (child.pid !== undefined) stopServer(child.pid);
    throw await startFailure(
      `the mirror server did not listen within ${options.readyTimeoutMs ?? 30_000} ms and was stopped`,
      options.logFile,
    );
  } finally {
    child.unref();
  }
}

async function startFailure(what: string, logFile: string): Promise<RepoxyError> {
  const log = await readFile(logFile, 'utf8').catch(() => '');
  return new RepoxyError('SERVE', `${what}; its log (${logFile}):\n${log.slice(-4000) || '(empty)'}`);
}

/** Sends SIGTERM to the server `pid`. Returns false when no such process runs (already stopped). */
export function stopServer(pid: number): boolean {
  if (!isServerRunning(pid)) return false;
  try {
    process.kill(pid, 'SIGTERM');
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw new RepoxyError('SERVE', `cannot stop the mirror server (PID ${pid}): ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** True while a process with this PID runs (an exited one its parent has not reaped yet does not count). */
export function isServerRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** Linux: the state letter after the command in /proc/PID/stat is `Z` for an exited, unreaped process. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}
