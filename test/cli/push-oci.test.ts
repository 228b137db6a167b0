/**
 * The bundled CLI (`node dist/cli.js push-oci ...`): exit code 2 and a clear message for invalid
 * input, before anything is read or sent; 0 and the oci_mirror block after a push to a real registry.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hasStackTrace, runCli } from '../engine/support/processes.ts';
import { buildFixtureMirror, HASHICORP_NULL } from '../publish/mirror-fixture.ts';
import { tempRoot } from '../publish/oci/oci-world.ts';
import { startOciRegistry, type OciRegistry } from '../support/oci-registry.ts';

describe('CLI: repoxy push-oci', () => {
  let registry: OciRegistry;
  let root: Awaited<ReturnType<typeof tempRoot>>;
  let mirror: string;
  let caFile: string;
  before(async () => {
    registry = await startOciRegistry();
    root = await tempRoot();
    mirror = path.join(root.dir, 'mirror');
    await buildFixtureMirror(mirror, path.join(root.dir, 'zips'), [HASHICORP_NULL]);
    caFile = path.join(root.dir, 'ca.pem');
    await writeFile(caFile, registry.caCertPem);
  });
  after(async () => {
    await registry?.stop();
    await root?.cleanup();
  });

  const pushOci = (args: string[], env: Record<string, string> = {}) =>
    runCli(['push-oci', '--mirror', mirror, ...args], {
      cwd: root.dir,
      env: { NODE_EXTRA_CA_CERTS: caFile, HOME: root.dir, ...env },
    });

  for (const [what, args, env, message] of [
    ['no template', [], {}, /push-oci needs --repository-template TEMPLATE/],
    [
      'an unknown variable',
      ['--repository-template', 'r.example/${owner}/${type}'],
      {},
      /unknown variable \$\{owner\}/,
    ],
    [
      'plain http to a remote host',
      ['--repository-template', 'r.example/${namespace}/${type}', '--plain-http'],
      {},
      /plain http is only allowed for loopback registries, not r\.example/,
    ],
    [
      '--username without REPOXY_OCI_PASSWORD',
      ['--repository-template', 'r.example/${namespace}/${type}', '--username', 'me'],
      {},
      /--username and REPOXY_OCI_PASSWORD must be given together/,
    ],
  ] as const) {
    it(`exits 2 for ${what}`, async () => {
      const run = await pushOci([...args], env);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.ok(!hasStackTrace(run.stderr), run.stderr);
    });
  }

  it('pushes over HTTPS trusting NODE_EXTRA_CA_CERTS and prints the oci_mirror block', async () => {
    const template = `${registry.host}/tofu/\${namespace}/\${type}`;
    const run = await pushOci(['--repository-template', template]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stderr,
      /1 version\(s\), 2 archive\(s\) in 1 repositories; 3 blob\(s\) uploaded, 3 manifest\(s\) pushed/,
    );
    assert.ok(run.stdout.includes(`repository_template = "${template}"`), run.stdout);
    assert.ok(run.stdout.includes('include = ["registry.terraform.io/*/*"]'), run.stdout);
  });
});
