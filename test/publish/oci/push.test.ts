import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pushMirrorToOci } from '../../../src/publish/oci/push.ts';
import { HASHICORP_NULL, TOFU_RANDOM, type FixtureProvider } from '../mirror-fixture.ts';
import { fetchManifest, fixtureMirror, push, suiteRegistry } from './oci-world.ts';

const PLUS: FixtureProvider = {
  address: { hostname: 'registry.opentofu.org', namespace: 'acme', type: 'plus' },
  version: '1.2.0+build.7',
  platforms: ['linux_amd64'],
};

describe('push-oci to a real Distribution 2.8 registry', () => {
  const suite = suiteRegistry();

  it('pushes an index per version over one archive/zip image manifest per platform', async () => {
    const mirror = await fixtureMirror(suite.dir, 'm1', [HASHICORP_NULL, TOFU_RANDOM, PLUS]);
    const result = await push(suite.registry, mirror);
    assert.deepEqual(result.repositories, [
      `${suite.registry.host}/tofu/registry.opentofu.org/acme/plus`,
      `${suite.registry.host}/tofu/registry.opentofu.org/hashicorp/random`,
      `${suite.registry.host}/tofu/registry.terraform.io/hashicorp/null`,
    ]);
    assert.equal(result.archives, 4);
    assert.equal(result.blobsUploaded, 4 + 3, 'four zips and one empty config per repository');
    assert.equal(result.manifestsPushed, 4 + 3, 'four image manifests and three indexes');
    const index = await fetchManifest(suite.registry, 'tofu/registry.terraform.io/hashicorp/null', '3.2.1');
    assert.equal(index.status, 200);
    assert.equal(index.json?.['mediaType'], 'application/vnd.oci.image.index.v1+json');
    assert.equal(index.json?.['artifactType'], 'application/vnd.opentofu.provider');
    const entries = index.json?.['manifests'] as {
      artifactType: string;
      platform: unknown;
      digest: string;
    }[];
    assert.deepEqual(
      entries.map((e) => [e.artifactType, e.platform]),
      [
        ['application/vnd.opentofu.provider-target', { architecture: 'arm64', os: 'darwin' }],
        ['application/vnd.opentofu.provider-target', { architecture: 'amd64', os: 'linux' }],
      ],
    );
    const image = await fetchManifest(
      suite.registry,
      'tofu/registry.terraform.io/hashicorp/null',
      entries[1]!.digest,
    );
    assert.equal(image.json?.['artifactType'], 'application/vnd.opentofu.provider-target');
    assert.deepEqual(image.json?.['config'], {
      data: 'e30=',
      digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
      mediaType: 'application/vnd.oci.empty.v1+json',
      size: 2,
    });
    const layers = image.json?.['layers'] as { mediaType: string; digest: string }[];
    assert.equal(layers.length, 1);
    assert.equal(layers[0]!.mediaType, 'archive/zip');
    const { readFile } = await import('node:fs/promises');
    const versionJson = JSON.parse(
      await readFile(`${mirror}/registry.terraform.io/hashicorp/null/3.2.1.json`, 'utf8'),
    ) as { archives: Record<string, { hashes: string[] }> };
    const zh = versionJson.archives['linux_amd64']!.hashes.find((h) => h.startsWith('zh:'))!;
    assert.equal(
      layers[0]!.digest,
      `sha256:${zh.slice(3)}`,
      'the layer is the zip whose zh: the mirror lists',
    );
    const plus = await fetchManifest(suite.registry, 'tofu/registry.opentofu.org/acme/plus', '1.2.0_build.7');
    assert.equal(plus.status, 200, 'a version with + is tagged with _');
  });

  it('gives the same digests for the same mirror, and a second push uploads nothing', async () => {
    const mirror = await fixtureMirror(suite.dir, 'm2', [HASHICORP_NULL]);
    const before = await fetchManifest(suite.registry, 'tofu/registry.terraform.io/hashicorp/null', '3.2.1');
    const again = await push(suite.registry, mirror);
    assert.equal(again.blobsUploaded, 0);
    assert.equal(again.manifestsPushed, 0);
    assert.deepEqual(
      again.requests.map((r) => `${r.method} ${r.status}`),
      ['HEAD 200'],
      'one HEAD of the tag, which already names the same index',
    );
    assert.equal(
      (await fetchManifest(suite.registry, 'tofu/registry.terraform.io/hashicorp/null', '3.2.1')).digest,
      before.digest,
    );
  });

  it('lower-cases the repository the template gives', async () => {
    const mirror = await fixtureMirror(suite.dir, 'm3', [TOFU_RANDOM]);
    const result = await push(suite.registry, mirror, {
      repositoryTemplate: `${suite.registry.host}/Tofu-Providers/\${namespace}/\${type}`,
    });
    assert.deepEqual(result.repositories, [`${suite.registry.host}/tofu-providers/hashicorp/random`]);
    assert.equal(
      (await fetchManifest(suite.registry, 'tofu-providers/hashicorp/random', '3.6.0')).status,
      200,
    );
  });

  it('moves an existing tag only to an index that keeps every platform it had', async () => {
    const linux = {
      ...HASHICORP_NULL,
      address: { ...HASHICORP_NULL.address, type: 'grow' },
      platforms: ['linux_amd64'],
    };
    const darwin = { ...linux, platforms: ['darwin_arm64'] };
    await push(suite.registry, await fixtureMirror(suite.dir, 'g1', [linux]));
    const second = await push(suite.registry, await fixtureMirror(suite.dir, 'g2', [darwin]));
    assert.equal(second.manifestsPushed, 2, 'the darwin manifest and the merged index');
    const index = await fetchManifest(suite.registry, 'tofu/registry.terraform.io/hashicorp/grow', '3.2.1');
    const platforms = (index.json?.['manifests'] as { platform: { os: string } }[]).map((m) => m.platform.os);
    assert.deepEqual(platforms, ['darwin', 'linux']);
  });

  it('refuses a platform whose archive differs from the one already pushed, leaving the tag as it was', async () => {
    const original = { ...TOFU_RANDOM, address: { ...TOFU_RANDOM.address, type: 'clash' } };
    await push(suite.registry, await fixtureMirror(suite.dir, 'c1', [original]));
    const before = await fetchManifest(suite.registry, 'tofu/registry.opentofu.org/hashicorp/clash', '3.6.0');
    const altered = await fixtureMirror(suite.dir, 'c2', [{ ...original, filler: 41_000 }]);
    await assert.rejects(push(suite.registry, altered), (err: { code?: string; message?: string }) => {
      assert.equal(err.code, 'OCI_CONFLICT');
      assert.match(
        err.message ?? '',
        /clash:3\.6\.0 already has linux_amd64 as sha256:[0-9a-f]{64}, but the mirror's archive is/,
      );
      return true;
    });
    assert.equal(
      (await fetchManifest(suite.registry, 'tofu/registry.opentofu.org/hashicorp/clash', '3.6.0')).digest,
      before.digest,
    );
  });

  it('refuses a template that does not use a component the providers differ in, or an unknown variable', async () => {
    const mirror = await fixtureMirror(suite.dir, 'm4', [HASHICORP_NULL, TOFU_RANDOM]);
    await assert.rejects(
      pushMirrorToOci({ mirror, repositoryTemplate: `${suite.registry.host}/tofu/\${namespace}/\${type}` }),
      (err: { code?: string; message?: string }) =>
        err.code === 'INPUT_INVALID' && /must use \$\{hostname\}/.test(err.message ?? ''),
    );
    await assert.rejects(
      pushMirrorToOci({
        mirror,
        repositoryTemplate: `${suite.registry.host}/\${hostname}/\${owner}/\${type}`,
      }),
      (err: { code?: string; message?: string }) =>
        err.code === 'INPUT_INVALID' && /unknown variable \$\{owner\}/.test(err.message ?? ''),
    );
  });
});
