/**
 * The bundled action's `update-lockfiles` (issue 15): `check` annotates each provider block lacking a
 * platform and fails; `write` completes the files in the workspace, in the same pass as the mirror
 * build (each archive fetched once), and sets `updated-lockfiles`.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readOutputs } from '../support/actions-env.ts';
import { parseWorkflowCommands } from '../support/actions-harness.ts';
import type { FixtureRegistry } from '../support/fixture-registry.ts';
import { createWorkspace, type Workspace } from '../engine/support/harness.ts';
import { startTwoHostRegistry, TF_NULL, TOFU_RANDOM } from '../engine/support/providers.ts';
import { runBundledAction } from '../engine/support/processes.ts';

const GUARD = { timeout: 90_000 };
const WANTED = ['linux_amd64', 'darwin_arm64'];

describe('action: update-lockfiles', () => {
  let registry: FixtureRegistry;
  let ws: Workspace;
  let workspace: string;
  let initLock: string;
  const LOCK = 'stacks/a/.terraform.lock.hcl';

  before(async () => {
    registry = await startTwoHostRegistry();
    ws = await createWorkspace();
    workspace = path.join(ws.root, 'workspace');
    const ps = [TF_NULL, TOFU_RANDOM].map((p) => ({ ...p, platforms: ['linux_amd64'] }));
    initLock = registry.lockFile(ps, 'both');
    await ws.writeLock(`workspace/${LOCK}`, initLock);
  });
  after(async () => {
    await registry.close();
    await ws.remove();
  });

  const run = (mode: string, temp: string) =>
    runBundledAction(
      {
        lockfiles: '**/.terraform.lock.hcl',
        platforms: WANTED.join('\n'),
        output: 'public/mirror',
        upstreams: registry.upstreamArgs().join('\n'),
        cache: 'false',
        publish: 'none',
        'update-lockfiles': mode,
      },
      { workspace, temp: path.join(ws.root, temp), timeoutMs: 60_000 },
    );

  it(
    'check: an annotation on the block lacking darwin_arm64, the job fails, the file is kept',
    GUARD,
    async () => {
      const r = await run('check', 'temp-1');
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const errors = parseWorkflowCommands(r.stdout).filter((c) => c.properties['file'] === LOCK);
      const line = initLock.split('\n').indexOf(`provider "${TF_NULL.address}" {`) + 1;
      assert.deepEqual(
        errors.map((e) => [e.properties['line'], e.properties['title'], e.message.split(': ')[0]]),
        [[String(line), 'LOCK_INCOMPLETE', `${TF_NULL.address} ${TF_NULL.version} lacks darwin_arm64`]],
        r.stdout,
      );
      assert.equal(await readFile(path.join(workspace, LOCK), 'utf8'), initLock);
    },
  );

  it(
    'write: completes the file in the same pass as the mirror and names it in updated-lockfiles',
    GUARD,
    async () => {
      registry.resetRequests();
      const r = await run('write', 'temp-2');
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(readOutputs(r.runnerEnv)['updated-lockfiles'], LOCK);
      const expected = registry.lockFile(
        [TF_NULL, TOFU_RANDOM].map((p) => ({ ...p, platforms: WANTED })),
        'both',
      );
      assert.equal(await readFile(path.join(workspace, LOCK), 'utf8'), expected);
      const zips = registry.requests.filter((q) => q.path.endsWith('.zip')).map((q) => q.path);
      assert.equal(zips.length, 4, zips.join('\n'));
      assert.equal(new Set(zips).size, 4);
    },
  );
});
