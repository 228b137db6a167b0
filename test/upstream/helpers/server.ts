import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** One request as the server saw it. */
export interface SeenRequest {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
}

export type Handler = (req: IncomingMessage, res: ServerResponse, seen: SeenRequest) => void | Promise<void>;

/** A real HTTP server on a loopback address, with every request recorded and a path router. */
export interface TestServer {
  /** `http://HOST:PORT` (no trailing slash). */
  readonly origin: string;
  readonly port: number;
  readonly requests: SeenRequest[];
  /** Routes an exact path (query ignored) to a handler; the last route set for a path wins. */
  route(path: string, handler: Handler): void;
  /** How many requests hit `path` so far. */
  count(path: string): number;
  /** Requests in flight right now, and the most seen at once. */
  readonly inFlight: { now: number; max: number };
  close(): Promise<void>;
}

/** Starts a server on `host` (127.0.0.1 or 127.0.0.2) and an ephemeral port. Unrouted paths → 404. */
export async function startServer(host = '127.0.0.1'): Promise<TestServer> {
  const routes = new Map<string, Handler>();
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const inFlight = { now: 0, max: 0 };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const seen = { path, headers: req.headers };
    requests.push(seen);
    inFlight.now++;
    inFlight.max = Math.max(inFlight.max, inFlight.now);
    res.on('close', () => inFlight.now--);
    const handler = routes.get(path);
    if (!handler) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    Promise.resolve(handler(req, res, seen)).catch((err: unknown) => {
      res.destroy(err instanceof Error ? err : new Error(String(err)));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as { port: number }).port;
  return {
    origin: `http://${host}:${port}`,
    port,
    requests,
    inFlight,
    route: (path, handler) => void routes.set(path, handler),
    count: (path) => requests.filter((r) => r.path === path).length,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Responds 200 with a JSON body and `application/json`. */
export function sendJson(res: ServerResponse, value: unknown, status = 200): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
}

/** Responds 200 with bytes and an exact Content-Length. */
export function sendBytes(res: ServerResponse, body: Buffer, type = 'application/octet-stream'): void {
  res.writeHead(200, { 'content-type': type, 'content-length': body.length }).end(body);
}

/** Responds with a redirect to `location`. */
export function redirect(res: ServerResponse, location: string, status = 302): void {
  res.writeHead(status, { location }).end();
}
