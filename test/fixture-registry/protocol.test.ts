import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startFixtureRegistry, type FixtureRegistry } from '../support/fixture-registry.ts';
import { verifyDetachedSignature } from '../support/pgp.ts';

const TOFU = 'registry.opentofu.org';
const PRIVATE = 'registry.example.com';
const PLATFORMS = ['linux_amd64', 'darwin_arm64'];

interface DownloadDoc {
  protocols: string[];
  os: string;
  arch: string;
  filename: string;
  download_url: string;
  shasum: string;
  shasums_url: string;
  shasums_signature_url: string;
  signing_keys: { gpg_public_keys: { key_id: string; ascii_armor: string; source: string }[] };
  packages?: Record<string, { hashes: string[]; package_size: number }>;
}

async function getJson<T>(url: string): Promise<{ status: number; contentType: string | null; body: T }> {
  const res = await fetch(url);
  return { status: res.status, contentType: res.headers.get('content-type'), body: (await res.json()) as T };
}

async function getBytes(url: string): Promise<Buffer> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `GET ${url}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.equal(Number(res.headers.get('content-length')), bytes.length, `Content-Length of ${url}`);
  return bytes;
}

/** Discovery → versions → download document → archive, SHA256SUMS and signature, like OpenTofu. */
async function walk(registry: FixtureRegistry, host: string, ns: string, type: string, version: string) {
  const discovery = await getJson<Record<string, string>>(
    `${registry.baseUrl(host)}.well-known/terraform.json`,
  );
  assert.equal(discovery.status, 200);
  assert.match(discovery.contentType ?? '', /^application\/json/);
  const discoveryUrl = `${registry.baseUrl(host)}.well-known/terraform.json`;
  const providers = new URL(discovery.body['providers.v1']!, discoveryUrl).href;
  assert.equal(providers, registry.providersUrl(host));
  const versions = await getJson<{ versions: { version: string; protocols: string[] }[] }>(
    new URL(`${ns}/${type}/versions`, providers).href,
  );
  assert.ok(versions.body.versions.some((v) => v.version === version));
  const docUrl = new URL(`${ns}/${type}/${version}/download/linux/amd64`, providers).href;
  const doc = (await getJson<DownloadDoc>(docUrl)).body;
  const archive = await getBytes(new URL(doc.download_url, docUrl).href);
  const sums = await getBytes(new URL(doc.shasums_url, docUrl).href);
  const signature = await getBytes(new URL(doc.shasums_signature_url, docUrl).href);
  return { doc, archive, sums, signature };
}

describe('fixture registry: the provider registry protocol', () => {
  let registry: FixtureRegistry;
  before(async () => {
    registry = await startFixtureRegistry({
      providers: [
        { hostname: TOFU, namespace: 'hashicorp', type: 'null', version: '3.2.3', platforms: PLATFORMS },
        { hostname: PRIVATE, namespace: 'acme', type: 'widget', version: '1.0.0', platforms: PLATFORMS },
        {
          hostname: PRIVATE,
          namespace: 'acme',
          type: 'widget',
          version: '1.1.0',
          platforms: ['linux_amd64'],
          protocols: ['5.0', '6.0'],
        },
      ],
    });
  });
  after(() => registry.close());

  it('serves discovery, versions, download document, archive, SHA256SUMS and a valid signature', async () => {
    const { doc, archive, sums, signature } = await walk(registry, PRIVATE, 'acme', 'widget', '1.0.0');
    assert.equal(doc.os, 'linux');
    assert.equal(doc.arch, 'amd64');
    assert.deepEqual(doc.protocols, ['5.0']);
    assert.equal(doc.filename, 'terraform-provider-widget_1.0.0_linux_amd64.zip');
    const sha = createHash('sha256').update(archive).digest('hex');
    assert.equal(doc.shasum, sha);
    const line = sums
      .toString()
      .split('\n')
      .find((l) => l.split(/\s+/)[1] === doc.filename);
    assert.equal(line, `${sha}  ${doc.filename}`);
    const keys = doc.signing_keys.gpg_public_keys.map((k) => k.ascii_armor);
    assert.equal(await verifyDetachedSignature(sums, signature, keys), registry.keyId);
    assert.equal(doc.signing_keys.gpg_public_keys[0]!.key_id, registry.keyId);
    assert.equal(doc.signing_keys.gpg_public_keys[0]!.ascii_armor, registry.publicKeyArmored);
  });

  it('lists one SHA256SUMS line per platform, sorted by file name', async () => {
    const { sums } = await walk(registry, PRIVATE, 'acme', 'widget', '1.0.0');
    const names = sums
      .toString()
      .trimEnd()
      .split('\n')
      .map((l) => l.split('  ')[1]);
    assert.deepEqual(names, [
      'terraform-provider-widget_1.0.0_darwin_arm64.zip',
      'terraform-provider-widget_1.0.0_linux_amd64.zip',
    ]);
    assert.deepEqual(sums, registry.sums(`${PRIVATE}/acme/widget`, '1.0.0'));
  });

  it('matches archive(): the bytes served, zh and sha256', async () => {
    const { archive } = await walk(registry, TOFU, 'hashicorp', 'null', '3.2.3');
    const expected = registry.archive(`${TOFU}/hashicorp/null`, '3.2.3', 'linux_amd64');
    assert.deepEqual(archive, expected.bytes);
    assert.equal(expected.zh, `zh:${createHash('sha256').update(archive).digest('hex')}`);
    assert.equal(expected.size, archive.length);
  });

  it('adds the packages extension on registry.opentofu.org only, for every platform', async () => {
    const tofu = await walk(registry, TOFU, 'hashicorp', 'null', '3.2.3');
    assert.deepEqual(Object.keys(tofu.doc.packages ?? {}).sort(), ['darwin_arm64', 'linux_amd64']);
    for (const platform of PLATFORMS) {
      const a = registry.archive(`${TOFU}/hashicorp/null`, '3.2.3', platform);
      assert.deepEqual(tofu.doc.packages![platform], { hashes: [a.h1, a.zh], package_size: a.size });
    }
    const other = await walk(registry, PRIVATE, 'acme', 'widget', '1.0.0');
    assert.equal(other.doc.packages, undefined);
  });

  it('lists versions with protocols and platforms', async () => {
    const { body } = await getJson<unknown>(`${registry.providersUrl(PRIVATE)}acme/widget/versions`);
    assert.deepEqual(body, {
      versions: [
        {
          version: '1.0.0',
          protocols: ['5.0'],
          platforms: [
            { os: 'linux', arch: 'amd64' },
            { os: 'darwin', arch: 'arm64' },
          ],
        },
        { version: '1.1.0', protocols: ['5.0', '6.0'], platforms: [{ os: 'linux', arch: 'amd64' }] },
      ],
    });
  });

  it('answers 404 for an unknown host, provider, version, platform and file', async () => {
    const p = registry.providersUrl(PRIVATE);
    const urls = [
      `${registry.baseUrl('unknown.example')}.well-known/terraform.json`,
      `${p}acme/nothing/versions`,
      `${p}acme/widget/9.9.9/download/linux/amd64`,
      `${p}acme/widget/1.1.0/download/darwin/arm64`,
      `${registry.origin}/${PRIVATE}/files/acme/widget/1.0.0/nothing.zip`,
    ];
    for (const url of urls) assert.equal((await fetch(url)).status, 404, url);
  });

  it('records every request with its provider host, path, status and authorization', async () => {
    registry.resetRequests();
    const url = `${registry.providersUrl(PRIVATE)}acme/widget/versions`;
    await (await fetch(url, { headers: { Authorization: 'Bearer x' } })).arrayBuffer();
    await (await fetch(`${registry.providersUrl(TOFU)}hashicorp/none/versions`)).arrayBuffer();
    assert.equal(registry.requests.length, 2);
    const [first, second] = registry.requests;
    assert.equal(first!.host, PRIVATE);
    assert.equal(first!.path, `/${PRIVATE}/v1/providers/acme/widget/versions`);
    assert.equal(first!.status, 200);
    assert.equal(first!.authorization, 'Bearer x');
    assert.equal(first!.method, 'GET');
    assert.equal(first!.origin, registry.origin);
    assert.equal(second!.host, TOFU);
    assert.equal(second!.status, 404);
    assert.equal(second!.authorization, undefined);
  });

  it('serves a version added after start, next to the old ones', async () => {
    await registry.addProvider({
      hostname: TOFU,
      namespace: 'hashicorp',
      type: 'null',
      version: '3.2.4',
      platforms: ['linux_amd64'],
    });
    const { body } = await getJson<{ versions: { version: string }[] }>(
      `${registry.providersUrl(TOFU)}hashicorp/null/versions`,
    );
    assert.deepEqual(
      body.versions.map((v) => v.version),
      ['3.2.3', '3.2.4'],
    );
    await walk(registry, TOFU, 'hashicorp', 'null', '3.2.4');
    const again = {
      hostname: TOFU,
      namespace: 'hashicorp',
      type: 'null',
      version: '3.2.4',
      platforms: ['linux_amd64'],
    };
    await assert.rejects(registry.addProvider(again), /already served/);
  });

  it('gives the forms other code builds on: baseUrl, providersUrl, upstreamArgs', () => {
    assert.match(registry.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(registry.baseUrl(TOFU), `${registry.origin}/${TOFU}/`);
    assert.equal(registry.providersUrl(TOFU), `${registry.origin}/${TOFU}/v1/providers/`);
    assert.deepEqual(registry.upstreamArgs(), [
      `${PRIVATE}=${registry.origin}/${PRIVATE}/`,
      `${TOFU}=${registry.origin}/${TOFU}/`,
    ]);
  });
});

describe('fixture registry: signing keys', () => {
  const spec = {
    hostname: PRIVATE,
    namespace: 'acme',
    type: 'widget',
    version: '1.0.0',
    platforms: PLATFORMS,
  };

  it("lists a decoy key before the signer with signingKeys: 'two'", async () => {
    const registry = await startFixtureRegistry({ providers: [spec], signingKeys: 'two' });
    try {
      const { doc, sums, signature } = await walk(registry, PRIVATE, 'acme', 'widget', '1.0.0');
      const keys = doc.signing_keys.gpg_public_keys;
      assert.equal(keys.length, 2);
      assert.notEqual(keys[0]!.key_id, registry.keyId);
      assert.equal(keys[1]!.key_id, registry.keyId);
      await assert.rejects(verifyDetachedSignature(sums, signature, [keys[0]!.ascii_armor]));
      assert.equal(await verifyDetachedSignature(sums, signature, [keys[1]!.ascii_armor]), registry.keyId);
    } finally {
      await registry.close();
    }
  });

  it("lists no key with signingKeys: 'none', but still serves a valid signature", async () => {
    const registry = await startFixtureRegistry({ providers: [spec], signingKeys: 'none' });
    try {
      const { doc, sums, signature } = await walk(registry, PRIVATE, 'acme', 'widget', '1.0.0');
      assert.deepEqual(doc.signing_keys.gpg_public_keys, []);
      assert.equal(
        await verifyDetachedSignature(sums, signature, [registry.publicKeyArmored]),
        registry.keyId,
      );
    } finally {
      await registry.close();
    }
  });

  it("signs with a v4 RSA key when keyType is 'rsa', and the signature verifies", async () => {
    const registry = await startFixtureRegistry({ providers: [spec], keyType: 'rsa' });
    try {
      const { doc, sums, signature } = await walk(registry, PRIVATE, 'acme', 'widget', '1.0.0');
      const openpgp = await import('openpgp');
      const key = await openpgp.readKey({ armoredKey: registry.publicKeyArmored });
      assert.equal(key.keyPacket.version, 4);
      const info = key.getAlgorithmInfo();
      assert.equal(info.algorithm, 'rsaEncryptSign');
      assert.ok((info.bits ?? 0) >= 2048, `RSA ${info.bits} bits`);
      assert.equal(doc.signing_keys.gpg_public_keys[0]!.key_id, registry.keyId);
      const keys = doc.signing_keys.gpg_public_keys.map((k) => k.ascii_armor);
      assert.equal(await verifyDetachedSignature(sums, signature, keys), registry.keyId);
      const forged = Buffer.from(sums);
      forged.writeUInt8(forged.readUInt8(0) ^ 0x01, 0);
      await assert.rejects(verifyDetachedSignature(forged, signature, keys));
    } finally {
      await registry.close();
    }
  });

  it('signs with an expired key when keyExpired is set', async () => {
    const registry = await startFixtureRegistry({ providers: [spec], keyExpired: true });
    try {
      const { sums, signature } = await walk(registry, PRIVATE, 'acme', 'widget', '1.0.0');
      const openpgp = await import('openpgp');
      const key = await openpgp.readKey({ armoredKey: registry.publicKeyArmored });
      const expires = await key.getExpirationTime();
      assert.ok(expires instanceof Date && expires.getTime() < Date.now(), `key expires ${String(expires)}`);
      await assert.rejects(key.verifyPrimaryKey(), /expired/);
      const signed = (await openpgp.readSignature({ binarySignature: signature })).packets[0]!.created!;
      assert.equal(
        await verifyDetachedSignature(sums, signature, [registry.publicKeyArmored], signed),
        registry.keyId,
      );
    } finally {
      await registry.close();
    }
  });
});
