import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BuildResult } from '../../../src/engine.ts';
import { actionsEnv } from '../../support/actions-env.ts';
import { parseWorkflowCommands } from '../../support/actions-harness.ts';
import { startOciRegistry, type OciRegistry } from '../../support/oci-registry.ts';
import { buildFixtureMirror, HASHICORP_NULL, TOFU_RANDOM } from '../mirror-fixture.ts';
import { actionInputs, runPublishStep } from '../publish-step.ts';
import { fetchManifest, tempRoot } from './oci-world.ts';

const USER = { username: 'octocat', password: 'ghs_oci_job_token_for_tests' };

// The build action's publishMirror with publish: [oci] in a runner-like child step (the real
// @actions/core), pushing to a real Distribution 2.8 with htpasswd auth, trusted via NODE_EXTRA_CA_CERTS.
describe('publishMirror with publish: oci', () => {
  let registry: OciRegistry;
  let root: Awaited<ReturnType<typeof tempRoot>>;
  let result: BuildResult;
  let caFile: string;
  let step = 0;
  before(async () => {
    registry = await startOciRegistry({ kind: 'htpasswd', ...USER });
    root = await tempRoot();
    result = await buildFixtureMirror(path.join(root.dir, 'mirror'), path.join(root.dir, 'zips'), [
      HASHICORP_NULL,
      TOFU_RANDOM,
    ]);
    caFile = path.join(root.dir, 'ca.pem');
    await writeFile(caFile, registry.caCertPem);
  });
  after(async () => {
    await registry?.stop();
    await root?.cleanup();
  });

  function newStep(): Record<string, string> {
    const dir = path.join(root.dir, `step-${++step}`);
    const env = actionsEnv({
      results: { url: 'http://127.0.0.1:9' },
      workspace: `${dir}/ws`,
      temp: `${dir}/temp`,
    });
    return { ...env, NODE_EXTRA_CA_CERTS: caFile };
  }

  const inputs = (password: string) =>
    actionInputs({
      publish: ['oci'],
      ociRepositoryTemplate: `${registry.host}/acme/tofu-providers/\${hostname}/\${namespace}/\${type}`,
      ociUsername: USER.username,
      ociPassword: password,
    });

  it('pushes, masks the password, and returns the repositories and the oci_mirror block', async () => {
    const { child, published, error } = await runPublishStep(
      newStep(),
      inputs(USER.password),
      result,
      root.dir,
    );
    assert.equal(error, undefined);
    const repos = ['registry.opentofu.org/hashicorp/random', 'registry.terraform.io/hashicorp/null'];
    assert.deepEqual(
      published?.oci?.repositories,
      repos.map((r) => `${registry.host}/acme/tofu-providers/${r}`),
    );
    assert.equal(published?.oci?.manifestsPushed, 5, 'three image manifests and two indexes');
    assert.match(
      published?.oci?.cliConfig ?? '',
      /oci_mirror \{\n {4}repository_template = ".*\$\{hostname\}\/\$\{namespace\}\/\$\{type\}"\n/,
    );
    const masks = parseWorkflowCommands(child.stdout).filter((c) => c.command === 'add-mask');
    assert.ok(
      masks.some((c) => c.message === USER.password),
      'the password is masked',
    );
    const auth = `Basic ${Buffer.from(`${USER.username}:${USER.password}`).toString('base64')}`;
    const tag = await fetchManifest(registry, `acme/tofu-providers/${repos[1]}`, '3.2.1', auth);
    assert.equal(tag.status, 200);
    const again = await runPublishStep(newStep(), inputs(USER.password), result, root.dir);
    assert.equal(again.published?.oci?.manifestsPushed, 0);
  });

  it('fails with OCI_UNAUTHORIZED for a wrong password, never printing it', async () => {
    const wrong = 'ghs_wrong_token_value_1234';
    const { child, error } = await runPublishStep(newStep(), inputs(wrong), result, root.dir);
    assert.match(error ?? '', /^OCI_UNAUTHORIZED: .*rejected the given credentials/);
    assert.ok(!(error ?? '').includes(wrong));
    assert.ok(!child.stdout.replaceAll(`::add-mask::${wrong}`, '').includes(wrong));
  });
});
