import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { RepoxyError } from '../domain/errors.ts';

/** A running static HTTPS server for a mirror directory. */
export interface MirrorServer {
  /** `https://127.0.0.1:PORT/`: the network_mirror URL, with its trailing slash (PROTOCOL.md §1.2). */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, drops open connections; idempotent. */
  close(): Promise<void>;
}

export interface MirrorServerOptions {
  /** Loopback only by default: the mirror is for this machine's clients. */
  readonly host?: string;
  /** 0 (default) lets the OS pick a free port. */
  readonly port?: number;
}

/** Content types by extension; `.json` must be `application/json` (PROTOCOL.md §1.5). */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.json': 'application/json',
  '.zip': 'application/zip',
  '.sig': 'application/pgp-signature',
};

/**
 * Serves the files under `root` over HTTPS with `tls`, read-only: GET and HEAD of regular files, 404
 * for anything missing, any directory (no listings) and any path that is not plainly inside `root`
 * (`..`, encoded slashes, NUL, or a symlink leading out). Throws IO when `root` is not a directory.
 */
export async function startMirrorServer(
  root: string,
  tls: { certPem: string; keyPem: string },
  options: MirrorServerOptions = {},
): Promise<MirrorServer> {
  const realRoot = await realpath(root).catch((cause: Error) => {
    throw new RepoxyError('IO', `cannot serve ${root}: ${cause.message}`, { cause });
  });
  if (!(await stat(realRoot)).isDirectory())
    throw new RepoxyError('IO', `cannot serve ${root}: not a directory`);
  const server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    handle(realRoot, req, res).catch(() => res.destroy());
  });
  const host = options.host ?? '127.0.0.1';
  await listen(server, host, options.port ?? 0);
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `https://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (cause: Error) =>
      reject(new RepoxyError('SERVE', `cannot listen on ${host}:${port}: ${cause.message}`, { cause })),
    );
    server.listen(port, host, () => resolve());
  });
}

async function handle(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    return;
  }
  const file = await resolveFile(root, req.url ?? '/');
  if (!file) {
    send(res, 404, 'not found\n');
    return;
  }
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[path.extname(file.path).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': String(file.size),
    'X-Content-Type-Options': 'nosniff',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await pipeline(createReadStream(file.path), res);
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

/** The regular file a request path names inside `root`, or undefined (see `startMirrorServer`). */
export async function resolveFile(
  root: string,
  requestUrl: string,
): Promise<{ path: string; size: number } | undefined> {
  const segments = requestSegments(requestUrl);
  if (!segments) return undefined;
  try {
    const real = await realpath(path.join(root, ...segments));
    if (!real.startsWith(root + path.sep)) return undefined;
    const st = await stat(real);
    return st.isFile() ? { path: real, size: st.size } : undefined;
  } catch {
    return undefined;
  }
}

/** Decoded path segments, or undefined for the root, a trailing slash or anything unsafe. */
function requestSegments(requestUrl: string): string[] | undefined {
  let pathname: string;
  try {
    pathname = new URL(requestUrl, 'https://mirror.invalid').pathname;
  } catch {
    return undefined;
  }
  const raw = pathname.split('/').slice(1);
  const segments: string[] = [];
  for (const s of raw) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(s);
    } catch {
      return undefined;
    }
    if (decoded === '' || decoded === '.' || decoded === '..' || /[/\\\0]/.test(decoded)) return undefined;
    segments.push(decoded);
  }
  return segments.length ? segments : undefined;
}
