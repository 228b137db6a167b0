/**
 * The bundled action (`node dist/index.js`) with `publish: oci`, as a runner starts it: built from the
 * fixture registry, pushed to a real Distribution 2.8 (htpasswd, TLS trusted via NODE_EXTRA_CA_CERTS),
 * with its outputs and the oci_mirror block in the job summary.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createWorkspace, type Workspace } from '../engine/support/harness.ts';
import { startTwoHostRegistry, TF_NULL, TOFU_RANDOM } from '../engine/support/providers.ts';
import { runBundledAction } from '../engine/support/processes.ts';
import { readOutputs, readStepSummary } from '../support/actions-env.ts';
import type { FixtureRegistry } from '../support/fixture-registry.ts';
import { startOciRegistry, type OciRegistry } from '../support/oci-registry.ts';

const USER = { username: 'octocat', password: 'ghs_action_oci_token' };

describe('action: node dist/index.js with publish: oci', () => {
  let upstream: FixtureRegistry;
  let oci: OciRegistry;
  let ws: Workspace;
  let caFile: string;
  before(async () => {
    upstream = await startTwoHostRegistry();
    oci = await startOciRegistry({ kind: 'htpasswd', ...USER });
    ws = await createWorkspace();
    await ws.writeLock('workspace/.terraform.lock.hcl', upstream.lockFile([TF_NULL, TOFU_RANDOM], 'both'));
    caFile = path.join(ws.root, 'oci-ca.pem');
    await writeFile(caFile, oci.caCertPem);
  });
  after(async () => {
    await oci?.stop();
    await upstream?.close();
    await ws?.remove();
  });

  it(
    'pushes, sets oci-repositories and oci-pushed, and shows the oci_mirror block',
    { timeout: 90_000 },
    async () => {
      const template = `${oci.host}/ACME/tofu/\${hostname}/\${namespace}/\${type}`;
      const run = await runBundledAction(
        {
          upstreams: upstream.upstreamArgs().join('\n'),
          cache: 'false',
          publish: 'oci',
          'oci-repository-template': template,
          'oci-username': USER.username,
          'oci-password': USER.password,
        },
        {
          workspace: path.join(ws.root, 'workspace'),
          temp: path.join(ws.root, 'runner-temp'),
          env: { NODE_EXTRA_CA_CERTS: caFile },
          timeoutMs: 60_000,
        },
      );
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const outputs = readOutputs(run.runnerEnv);
      const repos = (outputs['oci-repositories'] ?? '').split('\n');
      assert.equal(repos.length, 2);
      assert.ok(
        repos.every((r) => r.startsWith(`${oci.host}/acme/tofu/`)),
        repos.join(', '),
      );
      assert.equal(outputs['oci-pushed'], '4', 'two image manifests and two indexes');
      const summary = readStepSummary(run.runnerEnv);
      assert.ok(summary.includes('oci_mirror'), summary);
      assert.ok(summary.includes(`${oci.host}/acme/tofu/\${hostname}/\${namespace}/\${type}`), summary);
      assert.ok(!run.stdout.replaceAll(`::add-mask::${USER.password}`, '').includes(USER.password));
    },
  );
});
