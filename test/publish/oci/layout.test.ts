import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseChallenge, tokenUrl } from '../../../src/publish/oci/challenge.ts';
import { credentialsFromFiles } from '../../../src/publish/oci/credentials.ts';
import { platformManifest, providerIndex, entryOf, tagOfVersion } from '../../../src/publish/oci/layout.ts';
import { clientInclude, repositoryFor } from '../../../src/publish/oci/repository.ts';
import { ociMirrorConfig } from '../../../src/publish/oci/client-config.ts';
import { parseProviderPattern } from '../../../src/plan/patterns.ts';
import { tempRoot } from './oci-world.ts';

const zip = { digest: `sha256:${'ab'.repeat(32)}`, size: 1234 };
const NULL = { hostname: 'registry.opentofu.org', namespace: 'hashicorp', type: 'null' };

describe('OCI layout, templates, challenges and credential files', () => {
  it('builds the same index bytes whatever order the platforms come in', () => {
    const linux = platformManifest({ os: 'linux', arch: 'amd64' }, zip);
    const darwin = platformManifest({ os: 'darwin', arch: 'arm64' }, { ...zip, size: 99 });
    const a = providerIndex([entryOf(linux), entryOf(darwin)]);
    const b = providerIndex([entryOf(darwin), entryOf(linux)]);
    assert.equal(a.digest, b.digest);
    assert.deepEqual(
      (JSON.parse(a.bytes.toString()) as { manifests: { platform: unknown }[] }).manifests.map(
        (m) => m.platform,
      ),
      [
        { architecture: 'arm64', os: 'darwin' },
        { architecture: 'amd64', os: 'linux' },
      ],
    );
    assert.equal(tagOfVersion('1.2.3-rc.1+build.5'), '1.2.3-rc.1_build.5');
  });

  it('expands templates to lower-case repositories and refuses what is not registry/repository', () => {
    assert.deepEqual(repositoryFor('GHCR.io/Acme/${namespace}/${type}', NULL), {
      registry: 'ghcr.io',
      repository: 'acme/hashicorp/null',
    });
    assert.throws(() => repositoryFor('${type}', NULL), { code: 'INPUT_INVALID' });
    assert.throws(() => repositoryFor('ghcr.io/a/${type}:latest', NULL), { code: 'INPUT_INVALID' });
  });

  it('pins a component the template leaves out in the client include', () => {
    assert.deepEqual(clientInclude('ghcr.io/a/${namespace}/${type}', [], [NULL]), [
      'registry.opentofu.org/*/*',
    ]);
    assert.deepEqual(clientInclude('ghcr.io/a/${type}', [], [NULL]), ['registry.opentofu.org/hashicorp/*']);
    assert.deepEqual(clientInclude('ghcr.io/a/${hostname}/${namespace}/${type}', [], [NULL]), []);
    const given = [parseProviderPattern('registry.opentofu.org/hashicorp/*')];
    assert.deepEqual(clientInclude('ghcr.io/a/${type}', given, [NULL]), [
      'registry.opentofu.org/hashicorp/*',
    ]);
  });

  it('writes the oci_mirror block with the template lower-cased and unexpanded', () => {
    assert.equal(
      ociMirrorConfig('GHCR.io/Acme/${namespace}/${type}', ['registry.opentofu.org/*/*']),
      'provider_installation {\n  oci_mirror {\n    repository_template = "ghcr.io/acme/${namespace}/${type}"\n' +
        '    include = ["registry.opentofu.org/*/*"]\n  }\n}\n',
    );
  });

  it('parses basic and bearer challenges with quoted parameters', () => {
    const bearer = parseChallenge(
      'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull"',
    );
    assert.deepEqual(bearer, {
      scheme: 'bearer',
      params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:a/b:pull' },
    });
    assert.equal(
      tokenUrl(bearer, 'a/b'),
      'https://ghcr.io/token?service=ghcr.io&scope=repository%3Aa%2Fb%3Apull%2Cpush',
    );
    assert.equal(parseChallenge('Basic realm="x"').scheme, 'basic');
    assert.equal(parseChallenge(undefined).scheme, 'other');
  });

  it('takes the most specific entry of the first Docker-style file that has one', async () => {
    const root = await tempRoot();
    try {
      const containers = path.join(root.dir, 'auth.json');
      const docker = path.join(root.dir, 'config.json');
      const b64 = (s: string) => Buffer.from(s).toString('base64');
      await writeFile(
        containers,
        JSON.stringify({
          auths: { 'ghcr.io': { auth: b64('wide:1') }, 'ghcr.io/acme': { auth: b64('narrow:2') } },
        }),
      );
      await writeFile(
        docker,
        JSON.stringify({ auths: { 'https://quay.io/v1/': { username: 'q', password: '3' } } }),
      );
      const files = [path.join(root.dir, 'missing.json'), containers, docker];
      const acme = await credentialsFromFiles(files, { registry: 'ghcr.io', repository: 'acme/x/y' });
      assert.deepEqual(acme, { username: 'narrow', password: '2', source: containers });
      const other = await credentialsFromFiles(files, { registry: 'ghcr.io', repository: 'acmecorp/y' });
      assert.equal(other?.username, 'wide', 'a prefix matches whole path segments only');
      assert.equal(
        (await credentialsFromFiles(files, { registry: 'quay.io', repository: 'q/r' }))?.password,
        '3',
      );
      assert.equal(await credentialsFromFiles(files, { registry: 'docker.io', repository: 'x' }), undefined);
    } finally {
      await root.cleanup();
    }
  });
});
