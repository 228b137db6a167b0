import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import type { ProviderAddress } from '../../src/domain/address.ts';
import type { ErrorCode } from '../../src/domain/errors.ts';
import type { PackageRef } from '../../src/domain/package.ts';
import type { DownloadMeta, RegistryPackageEntry } from '../../src/upstream/source.ts';
import { hashZip } from '../../src/verify/h1.ts';
import type { ZipHashes } from '../../src/verify/h1.ts';
import { verifyArchive } from '../../src/verify/verify-archive.ts';
import type { ArchiveEvidence } from '../../src/verify/verify-archive.ts';
import { buildZip } from '../support/zip-builder.ts';
import type { ZipEntrySpec } from '../support/zip-builder.ts';
import { generateSigningKey, signDetached } from './signing.ts';
import type { TestSigningKey } from './signing.ts';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
export const OTHER_SHA = 'd'.repeat(64);
export const TERRAFORM: ProviderAddress = {
  hostname: 'registry.terraform.io',
  namespace: 'hashicorp',
  type: 'null',
};
export const OPENTOFU: ProviderAddress = { ...TERRAFORM, hostname: 'registry.opentofu.org' };

/** A real zip on disk plus the SHA256SUMS a registry would publish for its release. */
export interface Archive {
  readonly ref: PackageRef;
  readonly filename: string;
  readonly file: string;
  readonly bytes: Buffer;
  readonly sha: string;
  readonly sums: Buffer;
  readonly zipHashes: ZipHashes;
}

/** Evidence builders for verifyArchive, over a temp dir and two keys generated in before(). */
export interface ArchiveFixtures {
  readonly key: TestSigningKey;
  readonly otherKey: TestSigningKey;
  archive(address?: ProviderAddress, entries?: readonly ZipEntrySpec[]): Promise<Archive>;
  meta(a: Archive, overrides?: Partial<DownloadMeta>): DownloadMeta;
  evidence(a: Archive, overrides?: Partial<ArchiveEvidence>): Promise<ArchiveEvidence>;
}

/** Registers before/after hooks in the calling test file and returns its fixtures. */
export function useArchiveFixtures(): ArchiveFixtures {
  let dir = '';
  let counter = 0;
  const keys: { key?: TestSigningKey; otherKey?: TestSigningKey } = {};
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'repoxy-verify-'));
    [keys.key, keys.otherKey] = await Promise.all([generateSigningKey(), generateSigningKey()]);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const fixtures: ArchiveFixtures = {
    get key() {
      return keys.key!;
    },
    get otherKey() {
      return keys.otherKey!;
    },
    async archive(
      address = TERRAFORM,
      entries = [{ name: 'terraform-provider-null_v3.2.0_x5', data: 'binary' }],
    ) {
      const ref: PackageRef = { address, version: '3.2.0', platform: { os: 'linux', arch: 'amd64' } };
      const filename = 'terraform-provider-null_3.2.0_linux_amd64.zip';
      const bytes = buildZip(entries);
      const file = path.join(dir, `${counter++}-${filename}`);
      await writeFile(file, bytes);
      const sha = sha256(bytes);
      const sums = Buffer.from(
        `${OTHER_SHA}  terraform-provider-null_3.2.0_darwin_arm64.zip\n${sha}  ${filename}\n`,
      );
      return { ref, filename, file, bytes, sha, sums, zipHashes: await hashZip(file) };
    },
    meta(a, overrides = {}) {
      const base = `https://${a.ref.address.hostname}/dl/`;
      return {
        ref: a.ref,
        protocols: ['5.0'],
        filename: a.filename,
        downloadUrl: `${base}${a.filename}`,
        shasum: a.sha,
        shasumsUrl: `${base}SHA256SUMS`,
        shasumsSignatureUrl: `${base}SHA256SUMS.sig`,
        signingKeys: [fixtures.key.armoredPublicKey],
        packages: null,
        document: {},
        ...overrides,
      };
    },
    async evidence(a, overrides = {}) {
      return {
        meta: fixtures.meta(a),
        sums: { sums: a.sums, signature: await signDetached(a.sums, fixtures.key) },
        download: { path: a.file, size: a.bytes.length, sha256: a.sha },
        zipHashes: a.zipHashes,
        lockHashes: [`zh:${a.sha}`, `zh:${OTHER_SHA}`],
        ...overrides,
      };
    },
  };
  return fixtures;
}

/** The chain fails with `code`, its message naming the package, the check and every `mentions`. */
export async function assertFails(
  e: ArchiveEvidence,
  code: ErrorCode,
  check: string,
  ...mentions: string[]
): Promise<void> {
  await assert.rejects(verifyArchive(e), (err: Error & { code?: string }) => {
    assert.equal(err.code, code, err.message);
    const where = `${e.meta.ref.address.hostname}/hashicorp/null 3.2.0 linux_amd64: ${check} check failed`;
    assert.ok(err.message.startsWith(where), `"${err.message}" should start with "${where}"`);
    for (const m of mentions) assert.ok(err.message.includes(m), `"${err.message}" should mention "${m}"`);
    return true;
  });
}

/** A `packages` extension for linux_amd64 (overridable) and darwin_arm64. */
export function packages(
  a: Archive,
  entry: Partial<RegistryPackageEntry> = {},
): Record<string, RegistryPackageEntry> {
  return {
    linux_amd64: { hashes: [`zh:${a.sha}`, `h1:${'x'.repeat(43)}=`], package_size: a.bytes.length, ...entry },
    darwin_arm64: { hashes: [`zh:${OTHER_SHA}`], package_size: 10 },
  };
}
