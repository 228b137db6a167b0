/**
 * The bundled action (`node dist/index.js`) end to end, as a runner starts it: INPUT_* variables,
 * command files for outputs and the job summary, `cache: false` and `publish: none`, against the
 * fixture registry.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { readOutputs, readStepSummary } from '../support/actions-env.ts';
import { parseWorkflowCommands } from '../support/actions-harness.ts';
import type { FixtureRegistry } from '../support/fixture-registry.ts';
import { createWorkspace, listDir, snapshotTree, type Workspace } from '../engine/support/harness.ts';
import { assertPackedFilesystemMirror } from '../engine/support/layout.ts';
import { startTwoHostRegistry, TF_NULL, TOFU_RANDOM } from '../engine/support/providers.ts';
import { hasStackTrace, runBundledAction, type ActionRun } from '../engine/support/processes.ts';

const GUARD = { timeout: 90_000 };

describe('action: node dist/index.js', () => {
  let registry: FixtureRegistry;
  let ws: Workspace;
  let workspace: string;
  let inputs: Record<string, string>;
  let success: ActionRun | undefined;

  before(async () => {
    registry = await startTwoHostRegistry();
    ws = await createWorkspace();
    workspace = path.join(ws.root, 'workspace');
    await ws.writeLock(
      'workspace/envs/prod/.terraform.lock.hcl',
      registry.lockFile([TF_NULL, TOFU_RANDOM], 'both'),
    );
    await ws.writeLock('workspace/envs/dev/.terraform.lock.hcl', registry.lockFile([TOFU_RANDOM], 'zh'));
    inputs = {
      lockfiles: 'envs/**/.terraform.lock.hcl',
      platforms: 'linux_amd64\ndarwin_arm64',
      output: 'public/mirror',
      upstreams: registry.upstreamArgs().join('\n'),
      cache: 'false',
      publish: 'none',
      'mirror-url': 'https://mirror.example.test/providers',
    };
  });
  afterEach(() => {
    registry.clearFaults();
    registry.resetRequests();
  });
  after(async () => {
    await registry.close();
    await ws.remove();
  });

  const run = (overrides: Record<string, string> = {}, temp = 'runner-temp') =>
    runBundledAction(
      { ...inputs, ...overrides },
      { workspace, temp: path.join(ws.root, temp), timeoutMs: 60_000 },
    );

  it('builds the mirror and sets mirror-dir, providers, archives and bytes', GUARD, async () => {
    const r = (success ??= await run());
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = path.join(workspace, 'public', 'mirror');
    const tree = await snapshotTree(out);
    assert.equal(assertPackedFilesystemMirror(tree).length, 4);
    const bytes = [...tree.values()].reduce((n, e) => n + (e.kind === 'file' ? e.size : 0), 0);
    const outputs = readOutputs(r.runnerEnv);
    assert.deepEqual(
      {
        'mirror-dir': outputs['mirror-dir'],
        providers: outputs['providers'],
        archives: outputs['archives'],
        bytes: outputs['bytes'],
        'archives-fetched': outputs['archives-fetched'],
        'archives-reused': outputs['archives-reused'],
        'cache-hit': outputs['cache-hit'],
      },
      {
        'mirror-dir': out,
        providers: '2',
        archives: '4',
        bytes: String(bytes),
        'archives-fetched': '4',
        'archives-reused': '0',
        'cache-hit': 'false',
      },
    );
    assert.equal(outputs['mirror-url'], 'https://mirror.example.test/providers/');
    assert.deepEqual(await listDir(path.join(workspace, 'public')), ['mirror']);
  });

  it(
    'writes a job summary: a row per provider version, then the provider_installation block with the trailing /',
    GUARD,
    async () => {
      const r = (success ??= await run());
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const summary = readStepSummary(r.runnerEnv);
      assert.match(
        summary,
        /<td>registry\.opentofu\.org\/hashicorp\/random<\/td><td>3\.6\.3<\/td><td>darwin_arm64, linux_amd64<\/td>/,
      );
      assert.match(
        summary,
        /<td>registry\.terraform\.io\/hashicorp\/null<\/td><td>3\.2\.3<\/td><td>darwin_arm64, linux_amd64<\/td>/,
      );
      assert.match(summary, /signature/);
      assert.match(
        summary,
        /provider_installation \{\s+network_mirror \{\s+url = (?:"|&quot;)https:\/\/mirror\.example\.test\/providers\/(?:"|&quot;)/,
      );
    },
  );

  it('turns lock-file errors into ::error annotations on the file and line', GUARD, async () => {
    const text = registry.lockFile([TF_NULL], 'zh').replace('version = "3.2.3"', 'version = "3.02.3"');
    await ws.writeLock('workspace/broken/.terraform.lock.hcl', text);
    const line = text.split('\n').findIndex((l) => l.includes('3.02.3')) + 1;
    const r = await run({ lockfiles: 'broken/.terraform.lock.hcl' }, 'runner-temp-3');
    assert.equal(r.code, 1);
    const errors = parseWorkflowCommands(r.stdout).filter((c) => c.command === 'error');
    const annotation = errors.find((c) => c.properties['file'] !== undefined);
    assert.ok(annotation, r.stdout);
    assert.equal(annotation.properties['file'], 'broken/.terraform.lock.hcl');
    assert.equal(annotation.properties['line'], String(line));
    assert.ok(Number(annotation.properties['col']) >= 1);
    assert.equal(annotation.properties['title'], 'LOCK_BAD_VERSION');
    assert.ok(
      errors.some((c) => c.message.startsWith('[LOCK_INVALID] ')),
      r.stdout,
    );
    assert.ok(!hasStackTrace(r.stdout + r.stderr), r.stdout + r.stderr);
    assert.deepEqual(readOutputs(r.runnerEnv), {});
    assert.deepEqual(registry.requests, []);
  });

  it(
    'fails with one error naming the package on a verification failure, setting no outputs',
    GUARD,
    async () => {
      registry.addFault({ match: /random_.*\.zip$/, kind: 'corrupt' });
      const r = await run({ output: 'public/other' }, 'runner-temp-4');
      assert.equal(r.code, 1);
      const failed = parseWorkflowCommands(r.stdout).filter((c) => c.command === 'error');
      assert.ok(
        failed.some(
          (c) =>
            c.message.startsWith('[VERIFY_SHASUM] ') &&
            c.message.includes('registry.opentofu.org/hashicorp/random 3.6.3'),
        ),
        r.stdout,
      );
      assert.ok(!hasStackTrace(r.stdout + r.stderr), r.stdout + r.stderr);
      assert.deepEqual(readOutputs(r.runnerEnv), {});
      assert.deepEqual(await listDir(path.join(workspace, 'public')), ['mirror']);
    },
  );
});
