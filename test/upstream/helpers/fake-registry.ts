import { createCipheriv, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Platform } from '../../../src/domain/platform.ts';
import { sendBytes, sendJson, startServer } from './server.ts';
import type { TestServer } from './server.ts';

/** Deterministic bytes standing in for an archive (the upstream stage never opens zips): AES-CTR of zeros. */
export function fakeBytes(seed: string, size: number): Buffer {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface FakeRegistryConfig {
  readonly namespace: string;
  readonly type: string;
  readonly versions: readonly string[];
  readonly platforms: readonly Platform[];
  /** Required as `Authorization: Bearer <token>` on discovery and registry endpoints when set. */
  readonly token?: string;
  /** Serve SHA256SUMS, signature and archives from this second server (absolute URLs) instead. */
  readonly files?: TestServer;
  /** Add OpenTofu's `packages` extension with exact sizes. */
  readonly packages?: boolean;
}

/**
 * A provider registry over real HTTP (PROTOCOL.md §2): discovery with a relative providers.v1,
 * versions, download documents with relative (or cross-host absolute) URLs, SHA256SUMS + signature
 * and archives. Tests replace any route to inject faults.
 */
export interface FakeRegistry {
  readonly server: TestServer;
  readonly files: TestServer;
  /** `--upstream` style base URL for the registry server. */
  readonly base: string;
  readonly sums: Buffer;
  readonly signature: Buffer;
  archive(version: string, platform: Platform): Buffer;
  filename(version: string, platform: Platform): string;
  downloadPath(version: string, platform: Platform): string;
  /** The download document the registry serves for (version, platform). */
  downloadDoc(version: string, platform: Platform): Record<string, unknown>;
  close(): Promise<void>;
}

export async function startFakeRegistry(config: FakeRegistryConfig): Promise<FakeRegistry> {
  const server = await startServer('127.0.0.1');
  const files = config.files ?? server;
  const { namespace, type } = config;
  const filename = (v: string, p: Platform) => `terraform-provider-${type}_${v}_${p.os}_${p.arch}.zip`;
  const archive = (v: string, p: Platform) =>
    fakeBytes(filename(v, p), 20_000 + v.length * 100 + p.arch.length);
  const filesDir = (v: string) => `/files/${namespace}/${type}/${v}`;
  const filesPrefix = (v: string) => (config.files ? `${files.origin}${filesDir(v)}` : filesDir(v));
  const sumsOf = (v: string) =>
    Buffer.from(config.platforms.map((p) => `${sha256Hex(archive(v, p))}  ${filename(v, p)}\n`).join(''));
  const signature = fakeBytes('signature', 566);
  const downloadDoc = (v: string, p: Platform): Record<string, unknown> => ({
    protocols: ['5.0'],
    os: p.os,
    arch: p.arch,
    filename: filename(v, p),
    download_url: `${filesPrefix(v)}/${filename(v, p)}`,
    shasums_url: `${filesPrefix(v)}/SHA256SUMS`,
    shasums_signature_url: `${filesPrefix(v)}/SHA256SUMS.sig`,
    shasum: sha256Hex(archive(v, p)),
    signing_keys: {
      gpg_public_keys: [{ key_id: 'ABCDEF', ascii_armor: '-----BEGIN PGP PUBLIC KEY BLOCK-----\nfake\n' }],
    },
    ...(config.packages ? { packages: packagesOf(v) } : {}),
  });
  const packagesOf = (v: string) =>
    Object.fromEntries(
      config.platforms.map((p) => [
        `${p.os}_${p.arch}`,
        { hashes: [`zh:${sha256Hex(archive(v, p))}`], package_size: archive(v, p).length },
      ]),
    );
  const guarded = (send: (res: ServerResponse) => void) => (req: IncomingMessage, res: ServerResponse) => {
    if (config.token !== undefined && req.headers.authorization !== `Bearer ${config.token}`) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('unauthorized');
      return;
    }
    send(res);
  };
  server.route(
    '/.well-known/terraform.json',
    guarded((res) => sendJson(res, { 'providers.v1': '/v1/providers/' })),
  );
  const versionsDoc = {
    versions: config.versions.map((version) => ({
      version,
      protocols: ['5.0'],
      platforms: config.platforms,
    })),
  };
  server.route(
    `/v1/providers/${namespace}/${type}/versions`,
    guarded((res) => sendJson(res, versionsDoc)),
  );
  const downloadPath = (v: string, p: Platform) =>
    `/v1/providers/${namespace}/${type}/${v}/download/${p.os}/${p.arch}`;
  for (const v of config.versions) {
    files.route(`${filesDir(v)}/SHA256SUMS`, (_req, res) => sendBytes(res, sumsOf(v), 'text/plain'));
    files.route(`${filesDir(v)}/SHA256SUMS.sig`, (_req, res) => sendBytes(res, signature));
    for (const p of config.platforms) {
      server.route(
        downloadPath(v, p),
        guarded((res) => sendJson(res, downloadDoc(v, p))),
      );
      files.route(`${filesDir(v)}/${filename(v, p)}`, (_req, res) =>
        sendBytes(res, archive(v, p), 'application/zip'),
      );
    }
  }
  return {
    server,
    files,
    base: `${server.origin}/`,
    sums: sumsOf(config.versions[0]!),
    signature,
    archive,
    filename,
    downloadPath,
    downloadDoc,
    close: async () => {
      await server.close();
      if (files !== server) await files.close();
    },
  };
}
