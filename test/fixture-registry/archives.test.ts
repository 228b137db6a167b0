import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import yauzl from 'yauzl';
import { startFixtureRegistry, type FixtureProviderSpec } from '../support/fixture-registry.ts';
import { dirhashHash1 } from '../support/fixture-registry/hashes.ts';

const HOST = 'registry.example.com';
const ADDRESS = `${HOST}/acme/widget`;
const VECTORS = path.resolve(import.meta.dirname, '../../../shared/vectors/opentofu');

function spec(overrides: Partial<FixtureProviderSpec> = {}): FixtureProviderSpec {
  return {
    hostname: HOST,
    namespace: 'acme',
    type: 'widget',
    version: '1.0.0',
    platforms: ['linux_amd64', 'darwin_arm64'],
    ...overrides,
  };
}

interface ZipEntryRead {
  name: string;
  data: Buffer;
  mode: number;
  compressed: number;
}

/** Reads every entry with yauzl (CRC and sizes checked by it): an independent zip reader. */
async function readZip(bytes: Buffer): Promise<ZipEntryRead[]> {
  const zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true });
  const entries: ZipEntryRead[] = [];
  for await (const entry of zip.eachEntry()) {
    const chunks: Buffer[] = [];
    for await (const c of await zip.openReadStreamPromise(entry)) chunks.push(c as Buffer);
    const mode = (entry.externalFileAttributes >>> 16) & 0o7777;
    entries.push({
      name: entry.fileName,
      data: Buffer.concat(chunks),
      mode,
      compressed: entry.compressedSize,
    });
  }
  return entries;
}

/** dirhash Hash1 written out again here, so the test does not only check the helper against itself. */
function h1Independent(entries: readonly { name: string; data: Buffer }[]): string {
  const lines = [...entries]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((e) => `${createHash('sha256').update(e.data).digest('hex')}  ${e.name}\n`)
    .join('');
  return `h1:${createHash('sha256').update(lines).digest('base64')}`;
}

describe('fixture registry: archives', () => {
  it('builds zips with the provider binary and a LICENSE, whose h1 and zh are right', async () => {
    const registry = await startFixtureRegistry({ providers: [spec()] });
    try {
      const a = registry.archive(ADDRESS, '1.0.0', 'linux_amd64');
      assert.equal(a.filename, 'terraform-provider-widget_1.0.0_linux_amd64.zip');
      const entries = await readZip(a.bytes);
      assert.deepEqual(
        entries.map((e) => [e.name, e.mode]),
        [
          ['terraform-provider-widget_v1.0.0', 0o755],
          ['LICENSE', 0o644],
        ],
      );
      assert.equal(entries[0]!.data.length, 64 * 1024);
      assert.equal(a.sha256, createHash('sha256').update(a.bytes).digest('hex'));
      assert.equal(a.zh, `zh:${a.sha256}`);
      assert.equal(a.h1, h1Independent(entries));
      assert.equal(a.h1Unpacked, a.h1);
      assert.equal(a.path, undefined);
    } finally {
      await registry.close();
    }
  });

  it('computes h1 like Go dirhash on the upstream vector', async () => {
    const dir = path.join(VECTORS, 'dirhash/null_2.0.0_linux_amd64');
    const data = await readFile(path.join(dir, 'terraform-provider-null'));
    const hex = createHash('sha256').update(data).digest('hex');
    assert.equal(
      dirhashHash1([{ name: 'terraform-provider-null', sha256Hex: hex }]),
      'h1:qjsREM4DqEWECD43FcPqddZ9oxCG+IaMTxvWPciS05g=',
    );
    assert.equal(dirhashHash1([]), 'h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
  });

  it('produces byte-identical archives and SHA256SUMS in two registries', async () => {
    const providers = [spec(), spec({ version: '1.1.0', sizes: { darwin_arm64: 100_000 } })];
    const [one, two] = await Promise.all([
      startFixtureRegistry({ providers }),
      startFixtureRegistry({ providers }),
    ]);
    try {
      for (const [version, platform] of [
        ['1.0.0', 'linux_amd64'],
        ['1.1.0', 'darwin_arm64'],
      ] as const) {
        assert.deepEqual(
          one.archive(ADDRESS, version, platform).bytes,
          two.archive(ADDRESS, version, platform).bytes,
        );
      }
      assert.deepEqual(one.sums(ADDRESS, '1.1.0'), two.sums(ADDRESS, '1.1.0'));
      assert.notEqual(one.keyId, two.keyId, 'each registry generates its own key');
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('gives every (provider, version, platform) its own bytes, and honours sizes', async () => {
    const registry = await startFixtureRegistry({
      providers: [spec({ size: 10_000, sizes: { darwin_arm64: 20_000 } }), spec({ version: '2.0.0' })],
    });
    try {
      const linux = registry.archive(ADDRESS, '1.0.0', 'linux_amd64');
      const darwin = registry.archive(ADDRESS, '1.0.0', 'darwin_arm64');
      const next = registry.archive(ADDRESS, '2.0.0', 'linux_amd64');
      assert.equal(new Set([linux.sha256, darwin.sha256, next.sha256]).size, 3);
      assert.equal((await readZip(linux.bytes))[0]!.data.length, 10_000);
      assert.equal((await readZip(darwin.bytes))[0]!.data.length, 20_000);
    } finally {
      await registry.close();
    }
  });

  it('compresses about like a real provider binary (2x to 3.2x with deflate)', async () => {
    const registry = await startFixtureRegistry({
      providers: [spec({ platforms: ['linux_amd64'] }), spec({ version: '2.0.0', size: 4 * 1024 * 1024 })],
    });
    try {
      for (const [version, size] of [
        ['1.0.0', 64 * 1024],
        ['2.0.0', 4 * 1024 * 1024],
      ] as const) {
        const entries = await readZip(registry.archive(ADDRESS, version, 'linux_amd64').bytes);
        const ratio = size / entries[0]!.compressed;
        assert.ok(ratio >= 2 && ratio <= 3.2, `ratio ${ratio.toFixed(2)} for ${size} bytes`);
      }
    } finally {
      await registry.close();
    }
  });
});

describe('fixture registry: archives over 8 MB live on disk', () => {
  const BIG = 9 * 1024 * 1024;
  let cacheDir: string;
  before(async () => {
    cacheDir = await mkdtemp(path.join(tmpdir(), 'fixture-archives-test-'));
  });
  after(() => rm(cacheDir, { recursive: true, force: true }));

  it('streams a disk-backed archive whose hashes match its file, and reuses the cache', async () => {
    const providers = [spec({ platforms: ['linux_amd64'], size: BIG })];
    const first = await startFixtureRegistry({ providers, archiveCacheDir: cacheDir });
    const a = first.archive(ADDRESS, '1.0.0', 'linux_amd64');
    try {
      assert.ok(a.path?.startsWith(cacheDir), `cached under ${cacheDir}: ${String(a.path)}`);
      const res = await fetch(`${first.origin}/${HOST}/files/acme/widget/1.0.0/${a.filename}`);
      const served = Buffer.from(await res.arrayBuffer());
      assert.equal(Number(res.headers.get('content-length')), a.size);
      assert.equal(createHash('sha256').update(served).digest('hex'), a.sha256);
      const entries = await readZip(served);
      assert.equal(entries[0]!.data.length, BIG);
      assert.equal(a.h1, h1Independent(entries));
      first.addFault({ match: a.filename, kind: 'corrupt', times: 1 });
      const corrupt = Buffer.from(await (await fetch(res.url)).arrayBuffer());
      assert.equal(corrupt.length, a.size);
      assert.notEqual(createHash('sha256').update(corrupt).digest('hex'), a.sha256);
    } finally {
      await first.close();
    }
    const before = await stat(a.path!);
    const second = await startFixtureRegistry({ providers, archiveCacheDir: cacheDir });
    try {
      const b = second.archive(ADDRESS, '1.0.0', 'linux_amd64');
      assert.equal(b.path, a.path);
      assert.equal(b.h1, a.h1);
      assert.equal((await stat(b.path!)).mtimeMs, before.mtimeMs, 'the cached file was not rebuilt');
    } finally {
      await second.close();
    }
  });
});
