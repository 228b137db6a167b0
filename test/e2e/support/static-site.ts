import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

/**
 * A static HTTPS site on 127.0.0.1 that serves a directory under a path prefix, the way GitHub
 * Pages serves a project site (`https://ORG.github.io/REPO/`): `.json` as application/json, any
 * other file as application/octet-stream, 404 for everything else (outside the prefix, directories,
 * missing files, `..`).
 */
export interface StaticSite {
  /** `https://127.0.0.1:PORT/PREFIX/`: the network_mirror URL, with its trailing slash. */
  readonly url: string;
  readonly origin: string;
  /** Every request: method, path (no query) and the status it got. */
  readonly requests: { method: string; path: string; status: number }[];
  close(): Promise<void>;
}

/** Starts the site; `prefix` is a single path segment such as 'my-repo'. The caller must close() it. */
export async function startStaticSite(options: {
  root: string;
  prefix: string;
  tls: { certPem: string; keyPem: string };
}): Promise<StaticSite> {
  const requests: StaticSite['requests'] = [];
  const base = `/${options.prefix}/`;
  const server = createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, (req, res) => {
    serve(options.root, base, req, res, requests).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}${base}`,
    origin,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serve(
  root: string,
  base: string,
  req: IncomingMessage,
  res: ServerResponse,
  requests: StaticSite['requests'],
): Promise<void> {
  const pathname = new URL(req.url ?? '/', 'https://site.invalid').pathname;
  const record = { method: req.method ?? 'GET', path: pathname, status: 404 };
  requests.push(record);
  const file =
    req.method === 'GET' || req.method === 'HEAD' ? await fileFor(root, base, pathname) : undefined;
  if (!file) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    return;
  }
  record.status = 200;
  res.writeHead(200, {
    'Content-Type': file.path.endsWith('.json') ? 'application/json' : 'application/octet-stream',
    'Content-Length': String(file.size),
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await pipeline(createReadStream(file.path), res);
}

async function fileFor(
  root: string,
  base: string,
  pathname: string,
): Promise<{ path: string; size: number } | undefined> {
  if (!pathname.startsWith(base)) return undefined;
  const segments = pathname.slice(base.length).split('/').map(decodeURIComponent);
  if (segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\\'))) return undefined;
  const file = path.join(root, ...segments);
  const st = await stat(file).catch(() => undefined);
  return st?.isFile() ? { path: file, size: st.size } : undefined;
}
