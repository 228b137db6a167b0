/**
 * A tiny scripted registry for hostile-input tests (node:http on 127.0.0.1): every path is answered
 * by a handler the test installs, so documents, archives and bodies can be anything. `publishPackage`
 * installs a complete, correctly signed provider package whose download document and archive bytes
 * the test chooses, so only the check under test can refuse it.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lockFileText } from '../../support/lockfile-fixtures.ts';
import type { SigningKey } from '../../support/pgp.ts';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface HostileRequest {
  readonly path: string;
  readonly authorization: string | undefined;
}

export interface HostileRegistry {
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  readonly requests: HostileRequest[];
  /** Answers requests for `path` (exact match, query ignored) with `handler`, replacing an earlier one. */
  route(path: string, handler: Handler): void;
  /** Forgets every route and recorded request. */
  reset(): void;
  /** `HOST=URL` for --upstream: HOST's discovery document is served at `/HOST/.well-known/terraform.json`. */
  upstreamArg(host: string): string;
  close(): Promise<void>;
}

/** Starts the server; unknown paths answer 404 with a JSON error. */
export async function startHostileRegistry(): Promise<HostileRegistry> {
  const routes = new Map<string, Handler>();
  const requests: HostileRequest[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://hostile.invalid').pathname;
    requests.push({ path, authorization: req.headers.authorization });
    const handler = routes.get(path) ?? ((_q, r) => sendJson(r, { errors: ['not found'] }, 404));
    Promise.resolve(handler(req, res)).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    route: (path, handler) => void routes.set(path, handler),
    reset: () => {
      routes.clear();
      requests.splice(0);
    },
    upstreamArg: (host) => `${host}=${origin}/${host}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A JSON response with an exact Content-Length. */
export function sendJson(res: ServerResponse, value: unknown, status = 200): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  res.end(body);
}

/** Bytes with an exact Content-Length. */
export function sendBytes(
  res: ServerResponse,
  body: Buffer | string,
  contentType = 'application/octet-stream',
): void {
  const bytes = Buffer.from(body);
  res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': bytes.length });
  res.end(bytes);
}

/** A redirect to `location` (relative to the request URL). */
export function sendRedirect(res: ServerResponse, location: string, status = 302): void {
  res.writeHead(status, { Location: location, 'Content-Length': 0 });
  res.end();
}

/** Writes 64 KiB chunks without a Content-Length until the client goes away (a body that never ends). */
export function sendEndless(res: ServerResponse, contentType = 'application/octet-stream'): void {
  res.writeHead(200, { 'Content-Type': contentType });
  const chunk = Buffer.alloc(64 * 1024, contentType.includes('json') ? 0x20 : 0x41);
  let open = true;
  res.on('close', () => (open = false));
  const pump = (): void => {
    while (open && res.write(chunk));
    if (open) res.once('drain', pump);
  };
  if (contentType.includes('json')) res.write('{"padding": "');
  pump();
}

export interface PackageSpec {
  readonly host: string;
  readonly namespace: string;
  readonly type: string;
  readonly version: string;
  /** `os_arch`. */
  readonly platform: string;
  /** The archive bytes served (any bytes: SHA256SUMS and `shasum` are computed from them). */
  readonly zip: Buffer;
  /** The upstream file name; default `terraform-provider-TYPE_VERSION_OS_ARCH.zip`. */
  readonly filename?: string;
  /** Add OpenTofu's `packages` extension with the archive's real size. */
  readonly packagesExtension?: boolean;
  /** Rewrites the download document before it is served (URLs in it are relative to the origin). */
  readonly document?: (doc: Record<string, unknown>) => Record<string, unknown>;
  /** Replaces the archive route's handler. */
  readonly archive?: Handler;
  /** More routes, installed last (so they may replace the document's). */
  readonly routes?: Readonly<Record<string, Handler>>;
}

export interface PublishedPackage {
  /** Lock file text for the package, with its `zh:` hash. */
  readonly lockFile: string;
  /** Lower-case hex sha256 of the archive. */
  readonly sha256: string;
  /** Path (on the origin) of the archive as the document names it by default. */
  readonly archivePath: string;
  /** Path of the download document. */
  readonly documentPath: string;
}

/** Installs discovery, download document, SHA256SUMS (+ signature by `signer`) and archive routes. */
export async function publishPackage(
  registry: HostileRegistry,
  signer: SigningKey,
  spec: PackageSpec,
): Promise<PublishedPackage> {
  const { host, namespace, type, version, platform } = spec;
  const [os, arch] = platform.split('_') as [string, string];
  const filename = spec.filename ?? `terraform-provider-${type}_${version}_${platform}.zip`;
  const sha256 = createHash('sha256').update(spec.zip).digest('hex');
  const files = `/${host}/files/${namespace}/${type}/${version}`;
  const sums = Buffer.from(`${sha256}  ${filename}\n`);
  const signature = await signer.signDetached(sums);
  const archivePath = `${files}/archive.zip`;
  const documentPath = `/${host}/v1/providers/${namespace}/${type}/${version}/download/${os}/${arch}`;
  let doc: Record<string, unknown> = {
    protocols: ['5.0'],
    os,
    arch,
    filename,
    download_url: archivePath,
    shasum: sha256,
    shasums_url: `${files}/SHA256SUMS`,
    shasums_signature_url: `${files}/SHA256SUMS.sig`,
    signing_keys: { gpg_public_keys: [{ key_id: signer.keyId, ascii_armor: signer.publicKeyArmored }] },
  };
  if (spec.packagesExtension) {
    doc['packages'] = { [platform]: { hashes: [`zh:${sha256}`], package_size: spec.zip.length } };
  }
  doc = spec.document ? spec.document(doc) : doc;
  registry.route(`/${host}/.well-known/terraform.json`, (_q, r) =>
    sendJson(r, { 'providers.v1': `/${host}/v1/providers/` }),
  );
  registry.route(documentPath, (_q, r) => sendJson(r, doc));
  registry.route(`${files}/SHA256SUMS`, (_q, r) => sendBytes(r, sums, 'text/plain'));
  registry.route(`${files}/SHA256SUMS.sig`, (_q, r) => sendBytes(r, signature));
  registry.route(archivePath, spec.archive ?? ((_q, r) => sendBytes(r, spec.zip, 'application/zip')));
  for (const [path, handler] of Object.entries(spec.routes ?? {})) registry.route(path, handler);
  const lockFile = lockFileText([
    { address: `${host}/${namespace}/${type}`, version, hashes: [`zh:${sha256}`] },
  ]);
  return { lockFile, sha256, archivePath, documentPath };
}
