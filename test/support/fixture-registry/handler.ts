import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Catalog, VersionEntry } from './catalog.ts';
import { discoveryDocument, downloadDocument, errorDocument, versionsDocument } from './documents.ts';
import { isEarlyFault, sendEarlyFault, sendWithBodyFault, type FaultBook } from './faults.ts';
import type { NetworkShaper } from './network.ts';
import {
  bufferPayload,
  filePayload,
  hugeJsonPayload,
  jsonPayload,
  sendPayload,
  type Payload,
} from './payload.ts';
import { parseRoute, type Route } from './routes.ts';
import type { FaultSpec, RequestRecord } from './types.ts';

const HUGE_JSON_BYTES = 100 * 1024 * 1024;

/** What a request handler needs to know about its registry. */
export interface HandlerContext {
  readonly catalog: Catalog;
  readonly faults: FaultBook;
  readonly requests: RequestRecord[];
  readonly tokens: Readonly<Record<string, string>>;
  /** Keys listed in download documents, in order. */
  readonly listedKeys: () => readonly { keyId: string; armored: string }[];
  readonly primaryOrigin: () => string;
  readonly secondOrigin: () => string | undefined;
  /** Latency and per-connection pacing of every response (a no-op without a network model). */
  readonly network: NetworkShaper;
}

/** Serves one request on `origin`; faults only apply on the primary origin. */
export async function handleRequest(
  ctx: HandlerContext,
  origin: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://fixture.invalid').pathname;
  const route = parseRoute(path);
  const auth = req.headers.authorization;
  const record: RequestRecord = {
    method: req.method ?? 'GET',
    host: route.host,
    path,
    status: 0,
    authorization: auth,
    at: Date.now(),
    origin,
    fault: undefined,
  };
  ctx.requests.push(record);
  await ctx.network.beforeResponse();
  const fault = origin === ctx.primaryOrigin() ? ctx.faults.take(path, route) : undefined;
  record.fault = fault?.kind;
  if (fault && isEarlyFault(fault.kind)) {
    record.status = sendEarlyFault(req, res, fault, ctx.secondOrigin());
    return;
  }
  const payload = ctx.network.shape(respond(ctx, req, route, fault), req.socket);
  record.status = payload.status;
  const head = req.method === 'HEAD';
  if (payload.status !== 200) return sendPayload(res, payload, head);
  return sendWithBodyFault(res, payload, fault?.kind, head);
}

function respond(
  ctx: HandlerContext,
  req: IncomingMessage,
  route: Route,
  fault: FaultSpec | undefined,
): Payload {
  if (req.method !== 'GET' && req.method !== 'HEAD') return errorPayload(405, 'method not allowed');
  const denied = checkToken(ctx.tokens[route.host], route, req.headers.authorization);
  if (denied) return denied;
  const doc = routeDocument(ctx, route, fault);
  if (!doc) return route.kind === 'file' ? fileBody(ctx, route, fault) : errorPayload(404, 'not found');
  return fault?.kind === 'huge-json' ? hugeJsonPayload(doc, HUGE_JSON_BYTES) : jsonPayload(doc);
}

/** PROTOCOL.md §2.5: Bearer token per provider host; archives and SHA256SUMS are fetched without. */
function checkToken(
  token: string | undefined,
  route: Route,
  authorization: string | undefined,
): Payload | undefined {
  if (token === undefined || route.kind === 'file') return undefined;
  if (authorization === undefined) return errorPayload(401, 'authentication required');
  if (authorization !== `Bearer ${token}`) return errorPayload(403, 'the given credentials were rejected');
  return undefined;
}

/** The JSON document for a metadata route; undefined for files and for anything unknown. */
function routeDocument(ctx: HandlerContext, route: Route, fault: FaultSpec | undefined): object | undefined {
  if (route.kind === 'discovery') {
    return ctx.catalog.hosts().includes(route.host) ? discoveryDocument(route.host) : undefined;
  }
  if (route.kind === 'versions') {
    const versions = ctx.catalog.versionsOf(route.host, route.namespace, route.type);
    return versions ? versionsDocument(versions) : undefined;
  }
  if (route.kind === 'download') {
    const v = findVersion(ctx, route);
    if (!v?.archives.has(route.platform)) return undefined;
    return downloadDocument(v, route.platform, {
      keys: ctx.listedKeys(),
      wrongShasum: fault?.kind === 'wrong-shasum',
    });
  }
  return undefined;
}

function fileBody(
  ctx: HandlerContext,
  route: Route & { kind: 'file' },
  fault: FaultSpec | undefined,
): Payload {
  const v = findVersion(ctx, route);
  if (!v) return errorPayload(404, 'not found');
  if (route.filename === v.sumsFilename) return bufferPayload(v.sums, 'text/plain; charset=utf-8');
  if (route.filename === `${v.sumsFilename}.sig`) {
    const signature = fault?.kind === 'bad-signature' ? v.badSignature : v.signature;
    return bufferPayload(signature, 'application/octet-stream');
  }
  const archive = [...v.archives.values()].find((a) => a.filename === route.filename);
  if (!archive) return errorPayload(404, 'not found');
  return archive.path
    ? filePayload(archive.path, archive.size, 'application/zip')
    : bufferPayload(archive.bytes, 'application/zip');
}

function findVersion(
  ctx: HandlerContext,
  route: { host: string; namespace: string; type: string; version: string },
): VersionEntry | undefined {
  return ctx.catalog.find(`${route.host}/${route.namespace}/${route.type}`, route.version);
}

function errorPayload(status: number, message: string): Payload {
  return jsonPayload(errorDocument(message), status);
}
