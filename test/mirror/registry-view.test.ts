import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import type { PackageRef } from '../../src/domain/package.ts';
import { parsePlatform } from '../../src/domain/platform.ts';
import { buildMirror } from '../../src/engine.ts';
import { silentReporter } from '../../src/events.ts';
import { generateLoopbackCertificate } from '../../src/serve/certificate.ts';
import { startMirrorServer, type MirrorServer } from '../../src/serve/https-server.ts';
import { parseDownloadDoc } from '../../src/upstream/registry-docs.ts';
import { findSumsLine } from '../../src/verify/sums-line.ts';
import { verifySignature } from '../../src/verify/signature.ts';
import { startFixtureRegistry, type FixtureRegistry } from '../support/fixture-registry.ts';
import { removeAll, tempDir, writeText } from '../cache/support.ts';

const PLATFORMS = ['linux_amd64', 'darwin_arm64'];
const PROVIDERS = [
  {
    hostname: 'registry.terraform.io',
    namespace: 'hashicorp',
    type: 'random',
    version: '3.6.3',
    platforms: [...PLATFORMS, 'windows_amd64'],
  },
  {
    hostname: 'registry.terraform.io',
    namespace: 'integrations',
    type: 'github',
    version: '6.4.0-beta.1',
    platforms: PLATFORMS,
  },
  {
    hostname: 'registry.opentofu.org',
    namespace: 'hashicorp',
    type: 'null',
    version: '3.2.3',
    platforms: PLATFORMS,
  },
];

/**
 * A client-side walk of the registry-protocol view exactly as PROTOCOL.md §2 describes, starting from
 * a CLI `host` block's providers.v1 URL: versions, the download document (URLs resolved against its
 * final URL), SHA256SUMS and its signature with the served keys, the archive and its shasum.
 */
async function walk(providersV1: string, agent: Agent, address: string, version: string, platform: string) {
  const [hostname, namespace, type] = address.split('/') as [string, string, string];
  const get = async (url: string) => {
    const res = await request(url, { dispatcher: agent });
    const body = Buffer.from(await res.body.arrayBuffer());
    assert.equal(res.statusCode, 200, `GET ${url}`);
    return body;
  };
  const versions = JSON.parse(
    (await get(new URL(`${namespace}/${type}/versions`, providersV1).href)).toString(),
  ) as {
    versions: { version: string; platforms: { os: string; arch: string }[] }[];
  };
  const listed = versions.versions.find((v) => v.version === version);
  assert.ok(listed, `${address} ${version} listed`);
  const p = parsePlatform(platform);
  assert.ok(listed.platforms.some((x) => x.os === p.os && x.arch === p.arch));
  const docUrl = new URL(`${namespace}/${type}/${version}/download/${p.os}/${p.arch}`, providersV1).href;
  const ref: PackageRef = { address: { hostname, namespace, type }, version, platform: p };
  const meta = parseDownloadDoc(JSON.parse((await get(docUrl)).toString()), ref, docUrl);
  const sums = await get(meta.shasumsUrl);
  const signature = await get(meta.shasumsSignatureUrl);
  findSumsLine(sums, meta.filename, meta.shasum);
  const signed = await verifySignature(sums, signature, meta.signingKeys, {});
  const zip = await get(meta.downloadUrl);
  assert.equal(createHash('sha256').update(zip).digest('hex'), meta.shasum);
  return { meta, keyId: signed.keyId, zip };
}

describe('the registry-protocol view: a static registry inside the mirror', () => {
  let registry: FixtureRegistry;
  let work: string;
  let out: string;
  let server: MirrorServer;
  let agent: Agent;

  before(async () => {
    registry = await startFixtureRegistry({ providers: PROVIDERS });
    work = await tempDir('repoxy-view-');
    out = path.join(work, 'site');
    const lock = path.join(work, '.terraform.lock.hcl');
    await writeText(
      lock,
      registry.lockFile(
        PROVIDERS.map((p) => ({ address: `${p.hostname}/${p.namespace}/${p.type}`, version: p.version })),
        'zh',
      ),
    );
    await buildMirror(
      {
        lockfiles: [lock],
        cwd: work,
        platforms: PLATFORMS,
        include: [],
        exclude: [],
        out,
        upstreams: registry.upstreamArgs(),
        env: {},
      },
      silentReporter,
    );
    const cert = await generateLoopbackCertificate();
    server = await startMirrorServer(out, cert);
    agent = new Agent({ connect: { ca: cert.caCertPem } });
  });
  after(async () => {
    await agent.close();
    await server.close();
    await registry.close();
    await removeAll(work);
  });

  it('walks every mirrored archive through the view and verifies the upstream signature', async () => {
    let walked = 0;
    for (const p of PROVIDERS) {
      const address = `${p.hostname}/${p.namespace}/${p.type}`;
      for (const platform of PLATFORMS) {
        const providersV1 = `${server.url}v1/providers/${p.hostname}/`;
        const { meta, keyId, zip } = await walk(providersV1, agent, address, p.version, platform);
        assert.equal(keyId, registry.keyId);
        assert.ok(meta.downloadUrl.startsWith(server.url), 'the archive comes from the mirror, not upstream');
        assert.deepEqual(
          zip,
          registry.archive(address, p.version, platform).bytes,
          'byte-identical upstream zip',
        );
        walked++;
      }
    }
    assert.equal(walked, 6);
  });

  it('lists only mirrored versions and platforms (windows_amd64 was not requested)', async () => {
    const doc = JSON.parse(
      await readFile(path.join(out, 'v1/providers/registry.terraform.io/hashicorp/random/versions'), 'utf8'),
    ) as {
      versions: { version: string; protocols: string[]; platforms: { os: string; arch: string }[] }[];
    };
    assert.deepEqual(doc.versions, [
      {
        version: '3.6.3',
        protocols: ['5.0'],
        platforms: [
          { os: 'darwin', arch: 'arm64' },
          { os: 'linux', arch: 'amd64' },
        ],
      },
    ]);
  });

  it('keeps SHA256SUMS and its signature byte-identical to upstream', async () => {
    const base = path.join(out, 'v1/providers/registry.opentofu.org/hashicorp/null/3.2.3');
    assert.deepEqual(
      await readFile(path.join(base, 'SHA256SUMS')),
      registry.sums('registry.opentofu.org/hashicorp/null', '3.2.3'),
    );
  });

  it('advertises providers.v1 in .well-known/terraform.json, resolving to the primary host subtree', async () => {
    const res = await request(`${server.url}.well-known/terraform.json`, { dispatcher: agent });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const doc = (await res.body.json()) as Record<string, string>;
    const resolved = new URL(doc['providers.v1']!, `${server.url}.well-known/terraform.json`).href;
    assert.equal(resolved, `${server.url}v1/providers/registry.terraform.io/`);
    await walk(resolved, agent, 'registry.terraform.io/hashicorp/random', '3.6.3', 'linux_amd64');
  });

  it('a tampered SHA256SUMS fails the walk at the signature', async () => {
    const file = path.join(out, 'v1/providers/registry.terraform.io/hashicorp/random/3.6.3/SHA256SUMS');
    const original = await readFile(file);
    // Change the line of an archive the walk does not use: only the signature can catch it.
    const lines = original.toString('utf8').split('\n');
    const i = lines.findIndex((l) => l.endsWith('_windows_amd64.zip'));
    lines[i] = `${lines[i]![0] === '0' ? '1' : '0'}${lines[i]!.slice(1)}`;
    const tampered = Buffer.from(lines.join('\n'));
    await writeFile(file, tampered);
    try {
      await assert.rejects(
        walk(
          `${server.url}v1/providers/registry.terraform.io/`,
          agent,
          'registry.terraform.io/hashicorp/random',
          '3.6.3',
          'darwin_arm64',
        ),
        (err: { code?: string }) => err.code === 'VERIFY_BAD_SIGNATURE',
      );
    } finally {
      await writeFile(file, original);
    }
  });
});
