import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ProviderAddress } from '../../src/domain/address.ts';
import { isRepoxyError } from '../../src/domain/errors.ts';
import type { ErrorCode } from '../../src/domain/errors.ts';
import type { PackageRef } from '../../src/domain/package.ts';
import type { Platform } from '../../src/domain/platform.ts';
import { createUpstream } from '../../src/upstream/create.ts';
import type { Upstream } from '../../src/upstream/create.ts';
import { fakeBytes, sha256Hex, startFakeRegistry } from './helpers/fake-registry.ts';
import type { FakeRegistry } from './helpers/fake-registry.ts';
import { sendBytes, sendJson, startServer } from './helpers/server.ts';
import type { TestServer } from './helpers/server.ts';

const HOST = 'registry.example.test';
const TOKEN = 'tok-Zq9-registry-secret';
const ENV = { TF_TOKEN_registry_example_test: TOKEN };
const LINUX: Platform = { os: 'linux', arch: 'amd64' };
const DARWIN: Platform = { os: 'darwin', arch: 'arm64' };
const WINDOWS: Platform = { os: 'windows', arch: 'amd64' };
const ADDRESS: ProviderAddress = { hostname: HOST, namespace: 'acme', type: 'demo' };

let registry: FakeRegistry; // registry on 127.0.0.1, files on 127.0.0.2, token required
let files: TestServer;
let tmp: string;
const upstreams: Upstream[] = [];

function upstreamFor(base: string, env: NodeJS.ProcessEnv = ENV): Upstream {
  const up = createUpstream({
    env,
    upstreams: [`${HOST}=${base}`],
    options: { retries: 1, backoffBaseMs: 5 },
  });
  upstreams.push(up);
  return up;
}

function ref(version: string, platform: Platform): PackageRef {
  return { address: ADDRESS, version, platform };
}

async function failsWith(promise: Promise<unknown>, code: ErrorCode, pattern?: RegExp): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isRepoxyError(err), `expected a RepoxyError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    assert.ok(!err.message.includes(TOKEN), `token leaked: ${err.message}`);
    return err;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

before(async () => {
  files = await startServer('127.0.0.2');
  registry = await startFakeRegistry({
    namespace: 'acme',
    type: 'demo',
    versions: ['1.2.0', '1.3.0-beta.1'],
    platforms: [LINUX, DARWIN, WINDOWS],
    token: TOKEN,
    files,
  });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'repoxy-registry-source-'));
});

after(async () => {
  await Promise.all(upstreams.map((u) => u.close()));
  await registry.close();
  await rm(tmp, { recursive: true, force: true });
});

describe('a full protocol walk against a fake registry', () => {
  it('discovers, lists versions, reads the download document, fetches sums and the archive', async () => {
    const up = upstreamFor(registry.base);
    const { source } = up;
    const versions = await source.versions(ADDRESS);
    assert.deepEqual(
      versions.versions.map((v) => v.version),
      ['1.2.0', '1.3.0-beta.1'],
    );
    assert.deepEqual(versions.versions[0]?.protocols, ['5.0']);
    assert.deepEqual(versions.warnings, []);

    const meta = await source.downloadMeta(ref('1.2.0', LINUX));
    const name = 'terraform-provider-demo_1.2.0_linux_amd64.zip';
    assert.equal(meta.filename, name);
    assert.equal(meta.downloadUrl, `${files.origin}/files/acme/demo/1.2.0/${name}`);
    assert.equal(meta.shasumsUrl, `${files.origin}/files/acme/demo/1.2.0/SHA256SUMS`);
    assert.equal(meta.shasum, sha256Hex(registry.archive('1.2.0', LINUX)));
    assert.equal(meta.signingKeys.length, 1);
    assert.equal(meta.packages, null);
    assert.deepEqual(meta.document, registry.downloadDoc('1.2.0', LINUX));

    const sums = await source.sums(meta);
    assert.ok(sums.sums.equals(registry.sums));
    assert.ok(sums.signature.equals(registry.signature));

    const dest = path.join(tmp, name);
    const got = await source.download(meta, dest);
    assert.equal(got.sha256, meta.shasum);
    assert.equal(got.path, dest);
    assert.ok((await readFile(dest)).equals(registry.archive('1.2.0', LINUX)));

    const registryAuth = registry.server.requests.map((r) => r.headers.authorization);
    assert.ok(registryAuth.length >= 3 && registryAuth.every((h) => h === `Bearer ${TOKEN}`));
    assert.ok(files.requests.length >= 3);
    assert.ok(
      files.requests.every((r) => r.headers.authorization === undefined),
      'no credentials for SHA256SUMS, signature or archive hosts',
    );
    assert.equal(up.requestCount(), 6);
  });

  it('fetches SHA256SUMS and its signature once for three concurrent platforms', async () => {
    const { source } = upstreamFor(registry.base);
    const before = [
      files.count('/files/acme/demo/1.3.0-beta.1/SHA256SUMS'),
      files.count('/files/acme/demo/1.3.0-beta.1/SHA256SUMS.sig'),
    ];
    const metas = await Promise.all(
      [LINUX, DARWIN, WINDOWS].map((p) => source.downloadMeta(ref('1.3.0-beta.1', p))),
    );
    const evidence = await Promise.all(metas.map((m) => source.sums(m)));
    assert.ok(evidence.every((e) => e.sums.equals(evidence[0]!.sums)));
    assert.deepEqual(
      [
        files.count('/files/acme/demo/1.3.0-beta.1/SHA256SUMS'),
        files.count('/files/acme/demo/1.3.0-beta.1/SHA256SUMS.sig'),
      ],
      [before[0]! + 1, before[1]! + 1],
    );
  });

  it('says which variable to set when the registry needs a token', async () => {
    const { source } = upstreamFor(registry.base, {});
    await failsWith(source.versions(ADDRESS), 'UPSTREAM_UNAUTHORIZED', /set TF_TOKEN_registry_example_test/);
  });

  it('reports a rejected token without showing it', async () => {
    const { source } = upstreamFor(registry.base, { TF_TOKEN_registry_example_test: `${TOKEN}-wrong` });
    const err = await failsWith(
      source.versions(ADDRESS),
      'UPSTREAM_UNAUTHORIZED',
      /rejected the given credentials/,
    );
    assert.ok(!err.message.includes(`${TOKEN}-wrong`));
  });
});

describe('registry answers that are errors', () => {
  let reg: FakeRegistry;
  before(async () => {
    reg = await startFakeRegistry({
      namespace: 'acme',
      type: 'demo',
      versions: ['1.2.0'],
      platforms: [LINUX],
      packages: true,
    });
  });
  after(() => reg.close());

  it('reports an unknown provider as UPSTREAM_NOT_FOUND naming it and the host', async () => {
    const { source } = upstreamFor(reg.base);
    const missing: ProviderAddress = { ...ADDRESS, type: 'nothing' };
    await failsWith(
      source.versions(missing),
      'UPSTREAM_NOT_FOUND',
      /provider registry\.example\.test\/acme\/nothing not found on registry\.example\.test/,
    );
  });

  it('reports a missing platform as UPSTREAM_PLATFORM_MISSING naming provider, version and platform', async () => {
    const { source } = upstreamFor(reg.base);
    await failsWith(
      source.downloadMeta(ref('1.2.0', DARWIN)),
      'UPSTREAM_PLATFORM_MISSING',
      /registry\.example\.test\/acme\/demo 1\.2\.0 is not available for darwin_arm64/,
    );
  });

  it('expects exactly the package_size the registry states', async () => {
    const { source } = upstreamFor(reg.base);
    const meta = await source.downloadMeta(ref('1.2.0', LINUX));
    const size = reg.archive('1.2.0', LINUX).length;
    assert.equal(meta.packages?.['linux_amd64']?.package_size, size);
    const ok = await source.download(meta, path.join(tmp, 'sized.zip'));
    assert.equal(ok.size, size);
    const lying = { ...meta, packages: { linux_amd64: { hashes: [], package_size: size + 1 } } };
    await failsWith(
      source.download(lying, path.join(tmp, 'lying.zip')),
      'UPSTREAM_BAD_RESPONSE',
      /package_size/,
    );
  });

  it('names the file when SHA256SUMS cannot be fetched, and tries again on the next call', async () => {
    const { source } = upstreamFor(reg.base);
    const meta = await source.downloadMeta(ref('1.2.0', LINUX));
    const broken = { ...meta, shasumsUrl: `${reg.server.origin}/files/gone/SHA256SUMS` };
    await failsWith(
      source.sums(broken),
      'UPSTREAM_NOT_FOUND',
      /SHA256SUMS of registry\.example\.test\/acme\/demo 1\.2\.0/,
    );
    await failsWith(source.sums(broken), 'UPSTREAM_NOT_FOUND');
    assert.equal(reg.server.count('/files/gone/SHA256SUMS'), 2);
  });

  it('refuses an unparsable version in the versions document', async () => {
    const server = await startServer('127.0.0.1');
    try {
      server.route('/.well-known/terraform.json', (_req, res) => sendJson(res, { 'providers.v1': '/v1/' }));
      server.route('/v1/acme/demo/versions', (_req, res) =>
        sendJson(res, { versions: [{ version: 'latest' }] }),
      );
      const up = createUpstream({ env: {}, upstreams: [`${HOST}=${server.origin}`] });
      upstreams.push(up);
      await failsWith(up.source.versions(ADDRESS), 'UPSTREAM_BAD_RESPONSE', /"latest" is not a version/);
    } finally {
      await server.close();
    }
  });
});

describe('hostile download documents', () => {
  let server: TestServer;
  let doc: Record<string, unknown> = {};
  before(async () => {
    server = await startServer('127.0.0.1');
    server.route('/.well-known/terraform.json', (_req, res) =>
      sendJson(res, { 'providers.v1': '/v1/providers/' }),
    );
    server.route('/v1/providers/acme/demo/1.0.0/download/linux/amd64', (_req, res) => sendJson(res, doc));
    server.route('/z.zip', (_req, res) => sendBytes(res, fakeBytes('z', 100)));
  });
  after(() => server.close());

  const good = () => ({
    protocols: ['5.0', '6.0'],
    os: 'linux',
    arch: 'amd64',
    filename: 'terraform-provider-demo_1.0.0_linux_amd64.zip',
    download_url: '/z.zip',
    shasums_url: 'SHA256SUMS',
    shasums_signature_url: 'SHA256SUMS.sig',
    shasum: 'A'.repeat(64),
  });

  it('accepts a well-formed document, resolving URLs against its own URL', async () => {
    doc = good();
    const meta = await upstreamFor(`${server.origin}/`).source.downloadMeta(ref('1.0.0', LINUX));
    assert.equal(meta.downloadUrl, `${server.origin}/z.zip`);
    assert.equal(meta.shasumsUrl, `${server.origin}/v1/providers/acme/demo/1.0.0/download/linux/SHA256SUMS`);
    assert.equal(meta.shasum, 'a'.repeat(64));
    assert.deepEqual(meta.signingKeys, []);
  });

  const hostile: [string, Record<string, unknown>, RegExp][] = [
    ['a parent-directory filename', { filename: '../terraform-provider-demo.zip' }, /filename/],
    ['an absolute filename', { filename: '/tmp/terraform-provider-demo.zip' }, /filename/],
    ['a backslash filename', { filename: 'terraform-provider-demo\\..\\x.zip' }, /filename/],
    ['a NUL in the filename', { filename: 'terraform-provider-demo\u0000.zip' }, /filename/],
    ['a filename of another kind', { filename: 'evil.sh' }, /filename/],
    ['a non-hex shasum', { shasum: 'g'.repeat(64) }, /shasum/],
    ['a short shasum', { shasum: 'a'.repeat(63) }, /shasum/],
    ['another os', { os: 'darwin' }, /darwin_amd64, not the requested linux_amd64/],
    ['another arch', { arch: 'arm64' }, /linux_arm64/],
    ['unsupported protocols', { protocols: ['4.0', '7.0'] }, /not supported/],
    ['a non-http download_url', { download_url: 'file:///etc/passwd' }, /download_url/],
    ['plain http off loopback', { download_url: 'http://example.com/x.zip' }, /plain http/],
    ['a missing shasums_url', { shasums_url: undefined }, /shasums_url must be a string/],
    ['a non-string key', { signing_keys: { gpg_public_keys: [{ ascii_armor: 7 }] } }, /ascii_armor/],
    ['a bad package_size', { packages: { linux_amd64: { hashes: [], package_size: '12' } } }, /package_size/],
  ];
  it('redacts a token that a document echoes back into a URL', async () => {
    doc = { ...good(), download_url: `http://example.com/${TOKEN}/x.zip` };
    const { source } = upstreamFor(`${server.origin}/`);
    const err = await failsWith(
      source.downloadMeta(ref('1.0.0', LINUX)),
      'UPSTREAM_BAD_RESPONSE',
      /plain http/,
    );
    assert.match(err.message, /example\.com\/\*\*\*\/x\.zip/);
  });

  for (const [what, change, pattern] of hostile) {
    it(`refuses ${what}`, async () => {
      doc = { ...good(), ...change };
      const { source } = upstreamFor(`${server.origin}/`);
      await failsWith(source.downloadMeta(ref('1.0.0', LINUX)), 'UPSTREAM_BAD_RESPONSE', pattern);
    });
  }
});
