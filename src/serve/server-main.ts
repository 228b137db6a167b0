import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RepoxyError } from '../domain/errors.ts';
import { generateLoopbackCertificate } from './certificate.ts';
import { startMirrorServer } from './https-server.ts';

/**
 * The detached mirror server process. The serve action's bundle runs itself again with
 * `--serve-mirror DIR --state FILE`; that process generates its certificate (the key never leaves
 * its memory), serves DIR, writes its state file once listening, and stops on SIGTERM or SIGINT,
 * removing the state file.
 */

export const SERVE_MIRROR_FLAG = '--serve-mirror';

/** What the server process writes once it is listening. */
export interface ServerState {
  readonly pid: number;
  readonly port: number;
  /** `https://127.0.0.1:PORT/`. */
  readonly url: string;
  readonly root: string;
  /** The CA certificate clients must trust. */
  readonly caCertPem: string;
}

export interface ServerArgs {
  readonly root: string;
  readonly stateFile: string;
  readonly port: number;
}

/** The argv (after the script) that starts server mode. */
export function serverArgv(args: ServerArgs): string[] {
  return [SERVE_MIRROR_FLAG, args.root, '--state', args.stateFile, '--port', String(args.port)];
}

/** Parses `serverArgv`'s output; throws INPUT_INVALID for anything else. */
export function parseServerArgv(argv: readonly string[]): ServerArgs {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    const v = i >= 0 ? argv[i + 1] : undefined;
    if (v === undefined || v.startsWith('--'))
      throw new RepoxyError('INPUT_INVALID', `mirror server: ${flag} needs a value`);
    return v;
  };
  const port = Number(argv.includes('--port') ? value('--port') : '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new RepoxyError('INPUT_INVALID', `mirror server: bad --port`);
  return { root: path.resolve(value(SERVE_MIRROR_FLAG)), stateFile: path.resolve(value('--state')), port };
}

/**
 * Server mode: runs until SIGTERM/SIGINT. Resolves once listening (the open server keeps the process
 * alive); rejects when it cannot start, before any state file exists.
 */
export async function runMirrorServerProcess(argv: readonly string[]): Promise<void> {
  const args = parseServerArgv(argv);
  const certificate = await generateLoopbackCertificate();
  const server = await startMirrorServer(args.root, certificate, { port: args.port });
  // Exit explicitly once stopped: modules bundled beside the server may hold timers that delay it.
  const stop = () => {
    void server
      .close()
      .then(() => rm(args.stateFile, { force: true }))
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const state: ServerState = {
    pid: process.pid,
    port: server.port,
    url: server.url,
    root: args.root,
    caCertPem: certificate.caCertPem,
  };
  await writeStateFile(args.stateFile, state);
  process.stdout.write(`serving ${args.root} at ${server.url} (PID ${process.pid})\n`);
}

/** Writes the state file whole or not at all (written beside it, then renamed). */
async function writeStateFile(file: string, state: ServerState): Promise<void> {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

/** The state a server wrote, or undefined when there is no such file (not started yet, or stopped). */
export async function readServerState(file: string): Promise<ServerState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RepoxyError('IO', `cannot read the mirror server state ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const state = JSON.parse(text) as ServerState;
  if (!Number.isInteger(state.pid) || typeof state.url !== 'string' || typeof state.caCertPem !== 'string') {
    throw new RepoxyError('SERVE', `the mirror server state ${file} is not one this version wrote`);
  }
  return state;
}
