import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
  type ContainerClient,
} from '@azure/storage-blob';
import type { Azurite } from './azurite.ts';

/**
 * An in-memory stand-in for GitHub's "results" twirp service (cache v2 + artifacts v4), enough
 * for the real @actions/cache and @actions/artifact to save, restore, upload, list, download and
 * delete against Azurite. JSON only, protobuf field names (what the generated clients send with
 * `useProtoFieldName: true`); int64 values are strings, timestamps RFC 3339, wrappers bare.
 */

const TWIRP_PREFIX = '/twirp/github.actions.results.api.v1.';
const SAS_LIFETIME_MS = 60 * 60 * 1000;

type Json = Record<string, unknown>;
export type ResultsRpcService = 'CacheService' | 'ArtifactService';

/** One RPC as received (after auth), with the HTTP status it was answered with. */
export interface RecordedRpc {
  service: ResultsRpcService;
  method: string;
  body: Json;
  status: number;
}

export interface CacheEntry {
  id: number;
  key: string;
  version: string;
  blobName: string;
  finalized: boolean;
  sizeBytes?: number;
  /** Finalize order; restore picks the highest among prefix matches ("newest"). */
  finalizedSeq?: number;
}

export interface ArtifactRecord {
  id: number;
  runBackendId: string;
  jobBackendId: string;
  name: string;
  mimeType: string;
  blobName: string;
  createdAt: Date;
  expiresAt?: string;
  finalized: boolean;
  size?: number;
  /** `sha256:<hex>` as sent by FinalizeArtifact and checked against the blob. */
  digest?: string;
}

/** A running results service. Stores are live views; `stop()` closes the server (idempotent). */
export interface ResultsService {
  /** `http://127.0.0.1:PORT/` — use as ACTIONS_RESULTS_URL. */
  readonly url: string;
  readonly containerName: string;
  readonly requests: readonly RecordedRpc[];
  readonly caches: readonly CacheEntry[];
  readonly artifacts: readonly ArtifactRecord[];
  /** Methods called so far, in order, e.g. `['CreateCacheEntry', 'FinalizeCacheEntryUpload']`. */
  methodsCalled(service?: ResultsRpcService): string[];
  /**
   * Answer the next `times` calls of `method` with a twirp error of this HTTP status. Note the
   * libraries retry 500/502/503/504 up to 5 times with 3 s+ backoff; 4xx fail at once.
   */
  failNext(method: string, status: number, times?: number): void;
  /** Forgets the cache entries with `key`, as GitHub does when it evicts them; returns how many. */
  evictCache(key: string): number;
  stop(): Promise<void>;
}

class TwirpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

interface Context {
  container: ContainerClient;
  credential: StorageSharedKeyCredential;
  azurite: Azurite;
  containerName: string;
  caches: CacheEntry[];
  artifacts: ArtifactRecord[];
  nextId: number;
  nextSeq: number;
}

interface BackendIds {
  runBackendId: string;
  jobBackendId: string;
}

type Handler = (ctx: Context, body: Json, token: BackendIds) => Promise<Json>;

/**
 * Starts the service on 127.0.0.1 (OS-chosen port) and creates its blob container in Azurite.
 * Every RPC requires `Authorization: Bearer <jwt>` whose `scp` holds `Actions.Results:<run>:<job>`.
 */
export async function startResultsService(options: {
  azurite: Azurite;
  containerName?: string;
}): Promise<ResultsService> {
  const { azurite } = options;
  const containerName = options.containerName ?? 'actions-results';
  const credential = new StorageSharedKeyCredential(azurite.accountName, azurite.accountKey);
  const container = new BlobServiceClient(azurite.blobEndpoint, credential).getContainerClient(containerName);
  await container.createIfNotExists();
  const ctx: Context = {
    container,
    credential,
    azurite,
    containerName,
    caches: [],
    artifacts: [],
    nextId: 1,
    nextSeq: 1,
  };
  const requests: RecordedRpc[] = [];
  const faults = new Map<string, { status: number; times: number }>();
  const server = createServer((req, res) => void serveRpc(ctx, requests, faults, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/`,
    containerName,
    requests,
    caches: ctx.caches,
    artifacts: ctx.artifacts,
    methodsCalled: (service) =>
      requests.filter((r) => !service || r.service === service).map((r) => r.method),
    failNext: (method, status, times = 1) => void faults.set(method, { status, times }),
    evictCache: (key) => {
      const before = ctx.caches.length;
      ctx.caches.splice(0, before, ...ctx.caches.filter((e) => e.key !== key));
      return before - ctx.caches.length;
    },
    stop: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

async function serveRpc(
  ctx: Context,
  requests: RecordedRpc[],
  faults: Map<string, { status: number; times: number }>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    const { service, method, handler } = route(req);
    const token = backendIdsFromAuthorization(req.headers.authorization);
    const body = await readJsonBody(req);
    const record: RecordedRpc = { service, method, body, status: 200 };
    requests.push(record);
    const fault = faults.get(method);
    if (fault && fault.times-- > 0) {
      record.status = fault.status;
      throw new TwirpError(fault.status, 'internal', `injected fault for ${method}`);
    }
    const answer = await handler(ctx, body, token).catch((err: unknown) => {
      record.status = err instanceof TwirpError ? err.status : 500;
      throw err;
    });
    sendJson(res, 200, answer);
  } catch (err) {
    const twirp = err instanceof TwirpError ? err : new TwirpError(500, 'internal', String(err));
    sendJson(res, twirp.status, { code: twirp.code, msg: twirp.message });
  }
}

function route(req: IncomingMessage): { service: ResultsRpcService; method: string; handler: Handler } {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (req.method !== 'POST' || !path.startsWith(TWIRP_PREFIX)) {
    throw new TwirpError(404, 'bad_route', `no route for ${req.method} ${path}`);
  }
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
    throw new TwirpError(415, 'bad_route', 'only application/json twirp requests are served');
  }
  const [service, method = ''] = path.slice(TWIRP_PREFIX.length).split('/');
  const table =
    service === 'CacheService' ? cacheHandlers : service === 'ArtifactService' ? artifactHandlers : {};
  const handler = table[method];
  if (!handler) throw new TwirpError(404, 'bad_route', `unknown method ${service}/${method}`);
  return { service: service as ResultsRpcService, method, handler };
}

/** Backend ids from the runtime token, as @actions/artifact's getBackendIdsFromToken reads them. */
function backendIdsFromAuthorization(header: string | undefined): BackendIds {
  const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
  const payload = token?.split('.')[1];
  if (!payload) throw new TwirpError(401, 'unauthenticated', 'missing bearer runtime token');
  let scp: unknown;
  try {
    scp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Json).scp;
  } catch {
    throw new TwirpError(401, 'unauthenticated', 'runtime token payload is not JSON');
  }
  const scope = String(scp ?? '')
    .split(' ')
    .map((s) => s.split(':'))
    .find((parts) => parts[0] === 'Actions.Results' && parts.length === 3);
  if (!scope?.[1] || !scope[2])
    throw new TwirpError(401, 'unauthenticated', 'token has no Actions.Results scope');
  return { runBackendId: scope[1], jobBackendId: scope[2] };
}

async function readJsonBody(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Json;
  } catch {
    // fall through
  }
  throw new TwirpError(400, 'malformed', 'request body is not a JSON object');
}

function sendJson(res: ServerResponse, status: number, body: Json): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function str(body: Json, field: string, required = true): string {
  const value = body[field];
  if (typeof value === 'string' && (value !== '' || !required)) return value;
  if (value === undefined && !required) return '';
  throw new TwirpError(400, 'invalid_argument', `${field} is required and must be a string`);
}

function signedUrl(ctx: Context, blobName: string, permissions: string, contentDisposition?: string): string {
  const sas = generateBlobSASQueryParameters(
    {
      containerName: ctx.containerName,
      blobName,
      permissions: BlobSASPermissions.parse(permissions),
      expiresOn: new Date(Date.now() + SAS_LIFETIME_MS),
      version: ctx.azurite.apiVersion, // sign with the version Azurite implements, not the SDK's newer default
      ...(contentDisposition === undefined ? {} : { contentDisposition }),
    },
    ctx.credential,
  ).toString();
  const encodedName = blobName.split('/').map(encodeURIComponent).join('/');
  return `${ctx.azurite.blobEndpoint}/${ctx.containerName}/${encodedName}?${sas}`;
}

/** Size (and, if asked, streamed sha256) of an uploaded blob, or undefined when nothing was uploaded. */
async function blobFacts(
  ctx: Context,
  blobName: string,
  withSha256 = false,
): Promise<{ size: number; sha256?: string } | undefined> {
  const blob = ctx.container.getBlobClient(blobName);
  if (!(await blob.exists())) return undefined;
  if (!withSha256) return { size: (await blob.getProperties()).contentLength ?? 0 };
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of (await blob.download()).readableStreamBody ?? []) {
    size += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
  }
  return { size, sha256: hash.digest('hex') };
}

// ---- CacheService (cache v2) -------------------------------------------------------------

const cacheHandlers: Record<string, Handler> = {
  async CreateCacheEntry(ctx, body) {
    const key = str(body, 'key');
    const version = str(body, 'version');
    if (ctx.caches.some((e) => e.key === key && e.version === version)) {
      return {
        ok: false,
        message: `cache entry with the same key, version, and scope already exists: ${key}`,
      };
    }
    const id = ctx.nextId++;
    const entry: CacheEntry = { id, key, version, blobName: `caches/${id}/archive`, finalized: false };
    ctx.caches.push(entry);
    return { ok: true, signed_upload_url: signedUrl(ctx, entry.blobName, 'rcw') };
  },

  async FinalizeCacheEntryUpload(ctx, body) {
    const key = str(body, 'key');
    const version = str(body, 'version');
    const sizeBytes = Number(str(body, 'size_bytes', false) || '0');
    const entry = ctx.caches.find((e) => e.key === key && e.version === version);
    if (!entry) throw new TwirpError(404, 'not_found', `no reserved cache entry for key ${key}`);
    if (entry.finalized) return { ok: false, message: `cache entry ${key} is already finalized` };
    const facts = await blobFacts(ctx, entry.blobName);
    if (facts?.size !== sizeBytes) {
      return {
        ok: false,
        message: `uploaded size ${facts?.size ?? 'none'} differs from size_bytes ${sizeBytes}`,
      };
    }
    Object.assign(entry, { finalized: true, sizeBytes, finalizedSeq: ctx.nextSeq++ });
    return { ok: true, entry_id: String(entry.id) };
  },

  async GetCacheEntryDownloadURL(ctx, body) {
    const version = str(body, 'version');
    const restoreKeys = Array.isArray(body['restore_keys']) ? body['restore_keys'].map(String) : [];
    const entry = findCacheEntry(ctx.caches, version, [str(body, 'key'), ...restoreKeys]);
    if (!entry) return { ok: false };
    return { ok: true, signed_download_url: signedUrl(ctx, entry.blobName, 'r'), matched_key: entry.key };
  },
};

/** For each key in order: an exact match, else the newest entry whose key starts with it. */
function findCacheEntry(
  caches: readonly CacheEntry[],
  version: string,
  keys: string[],
): CacheEntry | undefined {
  const usable = caches.filter((e) => e.finalized && e.version === version);
  for (const key of keys) {
    const exact = usable.find((e) => e.key === key);
    if (exact) return exact;
    const prefixed = usable.filter((e) => e.key.startsWith(key));
    const newest = prefixed.sort((a, b) => (b.finalizedSeq ?? 0) - (a.finalizedSeq ?? 0))[0];
    if (newest) return newest;
  }
  return undefined;
}

// ---- ArtifactService (artifacts v4) -----------------------------------------------------

function requestIds(body: Json, token: BackendIds): BackendIds {
  const ids = {
    runBackendId: str(body, 'workflow_run_backend_id'),
    jobBackendId: str(body, 'workflow_job_run_backend_id'),
  };
  if (ids.runBackendId !== token.runBackendId) {
    throw new TwirpError(
      403,
      'permission_denied',
      `token is for run ${token.runBackendId}, not ${ids.runBackendId}`,
    );
  }
  return ids;
}

function finalizedArtifact(ctx: Context, runBackendId: string, name: string): ArtifactRecord {
  const found = ctx.artifacts.find((a) => a.finalized && a.runBackendId === runBackendId && a.name === name);
  if (!found) throw new TwirpError(404, 'not_found', `artifact ${name} not found in run ${runBackendId}`);
  return found;
}

const artifactHandlers: Record<string, Handler> = {
  async CreateArtifact(ctx, body, token) {
    const ids = requestIds(body, token);
    const name = str(body, 'name');
    const same = ctx.artifacts.filter((a) => a.runBackendId === ids.runBackendId && a.name === name);
    if (same.some((a) => a.finalized)) {
      throw new TwirpError(
        409,
        'already_exists',
        'an artifact with this name already exists on the workflow run',
      );
    }
    for (const stale of same) ctx.artifacts.splice(ctx.artifacts.indexOf(stale), 1);
    const mimeType = str(body, 'mime_type', false) || 'application/zip';
    const id = ctx.nextId++;
    const fileName = mimeType === 'application/zip' ? `${name}.zip` : name;
    const record: ArtifactRecord = {
      id,
      ...ids,
      name,
      mimeType,
      blobName: `artifacts/${ids.runBackendId}/${id}/${fileName}`,
      createdAt: new Date(),
      finalized: false,
      ...(typeof body['expires_at'] === 'string' ? { expiresAt: body['expires_at'] } : {}),
    };
    ctx.artifacts.push(record);
    return { ok: true, signed_upload_url: signedUrl(ctx, record.blobName, 'cw') };
  },

  async FinalizeArtifact(ctx, body, token) {
    const ids = requestIds(body, token);
    const name = str(body, 'name');
    const record = ctx.artifacts.find(
      (a) => !a.finalized && a.runBackendId === ids.runBackendId && a.name === name,
    );
    if (!record) throw new TwirpError(404, 'not_found', `no artifact ${name} is being uploaded`);
    const size = Number(str(body, 'size', false) || '0');
    const digest = str(body, 'hash', false) || undefined;
    const facts = await blobFacts(ctx, record.blobName, true);
    if (facts?.size !== size) {
      throw new TwirpError(
        400,
        'invalid_argument',
        `uploaded size ${facts?.size ?? 'none'} differs from ${size}`,
      );
    }
    if (digest !== undefined && digest !== `sha256:${facts.sha256}`) {
      throw new TwirpError(
        400,
        'invalid_argument',
        `uploaded content is sha256:${facts.sha256}, not ${digest}`,
      );
    }
    Object.assign(record, { finalized: true, size, ...(digest === undefined ? {} : { digest }) });
    return { ok: true, artifact_id: String(record.id) };
  },

  async ListArtifacts(ctx, body, token) {
    const ids = requestIds(body, token);
    const nameFilter = body['name_filter'];
    const idFilter = body['id_filter'];
    const artifacts = ctx.artifacts
      .filter((a) => a.finalized && a.runBackendId === ids.runBackendId)
      .filter((a) => nameFilter === undefined || a.name === nameFilter)
      .filter((a) => idFilter === undefined || String(a.id) === String(idFilter))
      .map((a) => ({
        workflow_run_backend_id: a.runBackendId,
        workflow_job_run_backend_id: a.jobBackendId,
        database_id: String(a.id),
        name: a.name,
        size: String(a.size ?? 0),
        created_at: a.createdAt.toISOString(),
        ...(a.digest === undefined ? {} : { digest: a.digest }),
      }));
    return { artifacts };
  },

  async GetSignedArtifactURL(ctx, body, token) {
    const record = finalizedArtifact(ctx, requestIds(body, token).runBackendId, str(body, 'name'));
    const fileName = record.blobName.slice(record.blobName.lastIndexOf('/') + 1);
    const disposition = `attachment; filename*=UTF-8''${encodeURIComponent(fileName)}`;
    return { signed_url: signedUrl(ctx, record.blobName, 'r', disposition) };
  },

  async DeleteArtifact(ctx, body, token) {
    const record = finalizedArtifact(ctx, requestIds(body, token).runBackendId, str(body, 'name'));
    await ctx.container.getBlobClient(record.blobName).deleteIfExists();
    ctx.artifacts.splice(ctx.artifacts.indexOf(record), 1);
    return { ok: true, artifact_id: String(record.id) };
  },
};
