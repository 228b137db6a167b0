import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { errorDocument } from './documents.ts';
import { baseHeaders, flipByteAt, jsonPayload, sendPayload, type Payload } from './payload.ts';
import { isJsonRoute, type Route } from './routes.ts';
import type { FaultKind, FaultSpec } from './types.ts';

/** Scripted faults, each hitting at most `times` requests (undici test/interceptors/retry.js style). */
export interface FaultBook {
  add(f: FaultSpec): void;
  clear(): void;
  /** The first fault that matches and can affect this request, counted down; undefined when none. */
  take(path: string, route: Route): FaultSpec | undefined;
}

export function createFaultBook(): FaultBook {
  let faults: { spec: FaultSpec; remaining: number }[] = [];
  return {
    add: (spec) => void faults.push({ spec, remaining: spec.times ?? Infinity }),
    clear: () => void (faults = []),
    take: (path, route) => {
      const hit = faults.find(
        (f) => f.remaining > 0 && matches(f.spec.match, path) && applies(f.spec.kind, route),
      );
      if (!hit) return undefined;
      hit.remaining -= 1;
      return hit.spec;
    },
  };
}

function matches(match: string | RegExp, path: string): boolean {
  if (typeof match === 'string') return path.includes(match);
  match.lastIndex = 0;
  return match.test(path);
}

function applies(kind: FaultKind, route: Route): boolean {
  if (kind === 'bad-signature') return route.kind === 'file' && route.filename.endsWith('.sig');
  if (kind === 'wrong-shasum') return route.kind === 'download';
  if (kind === 'huge-json') return isJsonRoute(route);
  return true;
}

/** Fault kinds decided before authentication and routing: the request never reaches the registry. */
const EARLY_KINDS: ReadonlySet<FaultKind> = new Set<FaultKind>([
  '429',
  '500',
  '503',
  'not-found',
  'redirect-other-host',
  'redirect-loop',
]);

export function isEarlyFault(kind: FaultKind): boolean {
  return EARLY_KINDS.has(kind);
}

/** Answers with an early fault: an error status or a redirect. Returns the status sent. */
export function sendEarlyFault(
  req: IncomingMessage,
  res: ServerResponse,
  fault: FaultSpec,
  secondOrigin: string | undefined,
): number {
  if (fault.kind === 'redirect-other-host' || fault.kind === 'redirect-loop') {
    const target =
      fault.kind === 'redirect-loop' ? (req.url ?? '/') : `${secondOrigin ?? ''}${req.url ?? '/'}`;
    res.writeHead(302, { Location: target, 'Content-Length': 0 });
    res.end();
    return 302;
  }
  const status = fault.kind === 'not-found' ? 404 : Number(fault.kind);
  const payload = jsonPayload(errorDocument(`fixture fault ${fault.kind}`), status);
  const headers: Record<string, string | number> = baseHeaders(payload, payload.length);
  if ((status === 429 || status === 503) && fault.retryAfter !== undefined) {
    headers['Retry-After'] = String(fault.retryAfter);
  }
  res.writeHead(status, headers);
  res.end(Buffer.from(JSON.stringify(errorDocument(`fixture fault ${fault.kind}`))));
  return status;
}

/**
 * Sends `payload` shaped by a body fault: 'reset' (RST after half the body), 'truncate' (full
 * Content-Length, half the body, then FIN), 'wrong-length' (advertises and sends only half, then
 * closes: the response looks complete but is short), 'stall' (headers, then nothing until the
 * client or the registry gives up), 'corrupt' (one byte flipped, same length). Other kinds send it as is.
 */
export async function sendWithBodyFault(
  res: ServerResponse,
  payload: Payload,
  kind: FaultKind | undefined,
  head: boolean,
): Promise<void> {
  const half = Math.floor(payload.length / 2);
  switch (kind) {
    case 'reset':
      return sendPartThenClose(res, payload, payload.length, half, resetSocket);
    case 'truncate':
      return sendPartThenClose(res, payload, payload.length, half, (s) => s.end());
    case 'wrong-length':
      res.setHeader('Connection', 'close');
      return sendPartThenClose(res, payload, half, half, () => res.end());
    case 'stall':
      res.writeHead(payload.status, baseHeaders(payload, payload.length));
      res.flushHeaders();
      return; // the registry's close() destroys the connection
    case 'corrupt':
      res.writeHead(payload.status, baseHeaders(payload, payload.length));
      if (head) return void res.end();
      await pipeline(payload.open(0, payload.length), flipByteAt(half), res).catch(() => undefined);
      return;
    default:
      return sendPayload(res, payload, head);
  }
}

async function sendPartThenClose(
  res: ServerResponse,
  payload: Payload,
  advertised: number,
  sent: number,
  close: (socket: Socket) => void,
): Promise<void> {
  res.writeHead(payload.status, baseHeaders(payload, advertised));
  try {
    for await (const chunk of payload.open(0, sent)) {
      if (!res.write(chunk as Buffer)) await new Promise((resolve) => res.once('drain', resolve));
    }
  } catch {
    return; // the client went away first
  }
  await new Promise<void>((resolve) => res.write(Buffer.alloc(0), () => resolve()));
  const socket = res.socket;
  if (socket) close(socket);
}

/** RST where the socket allows it (plain TCP); a TLS socket is destroyed instead. */
function resetSocket(socket: Socket): void {
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}
