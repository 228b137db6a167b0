import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { actionsEnv, readOutputs } from '../support/actions-env.ts';
import { runWithActionsEnv, startActionsBackends } from '../support/actions-harness.ts';
import { startFixtureRegistry, type FixtureRegistry } from '../support/fixture-registry.ts';
import { ADDED, FIRST_SET, PLATFORMS, PROVIDERS, removeAll, tempDir, writeText } from './support.ts';

const action = path.resolve(import.meta.dirname, '../../dist/index.js');

describe('the bundled action with the real @actions/cache (Azurite + results stand-in)', () => {
  let registry: FixtureRegistry;
  let backends: Awaited<ReturnType<typeof startActionsBackends>>;
  let work: string;
  // RUNNER_TEMP has the same path on every run of a runner; the cache version depends on the path.
  let runnerTemp: string;

  before(async () => {
    registry = await startFixtureRegistry({ providers: PROVIDERS });
    backends = await startActionsBackends();
    work = await tempDir('repoxy-action-cache-');
    runnerTemp = path.join(work, 'runner-temp');
  });
  after(async () => {
    await registry.close();
    await backends.stop();
    await removeAll(work);
  });

  /** One workflow run: a fresh workspace and an emptied RUNNER_TEMP, as on a new runner. */
  async function runAction(run: number, added: boolean) {
    const workspace = path.join(work, `ws-${run}`);
    await rm(runnerTemp, { recursive: true, force: true });
    await mkdir(runnerTemp, { recursive: true });
    await writeText(
      path.join(workspace, 'stacks/app/.terraform.lock.hcl'),
      registry.lockFile(FIRST_SET, 'both'),
    );
    if (added)
      await writeText(
        path.join(workspace, 'stacks/new/.terraform.lock.hcl'),
        registry.lockFile([ADDED], 'both'),
      );
    const env = {
      ...actionsEnv({ results: backends.results, workspace, temp: runnerTemp, runBackendId: `run-${run}` }),
      INPUT_LOCKFILES: '**/.terraform.lock.hcl',
      INPUT_PLATFORMS: PLATFORMS.join('\n'),
      INPUT_OUTPUT: 'mirror',
      INPUT_UPSTREAMS: registry.upstreamArgs().join('\n'),
      INPUT_CACHE: 'true',
      'INPUT_CACHE-KEY-PREFIX': 'repoxy-test',
      INPUT_PUBLISH: 'none',
    };
    registry.resetRequests();
    const result = await runWithActionsEnv({ code: `await import(${JSON.stringify(action)});` }, env, {
      timeoutMs: 120_000,
    });
    assert.equal(result.code, 0, `action failed:\n${result.stdout}\n${result.stderr}`);
    return { outputs: readOutputs(env), requests: [...registry.requests], log: result.stdout };
  }

  it('run 1 is cold: it fetches everything and saves the cache', async () => {
    const r = await runAction(1, false);
    assert.equal(r.outputs['cache-hit'], 'false');
    assert.equal(r.outputs['archives-fetched'], '4');
    assert.equal(r.outputs['archives-reused'], '0');
    assert.ok(r.requests.length > 0);
    assert.ok(
      backends.results.caches.some((c) => c.key.startsWith('repoxy-test-v1-')),
      'a cache entry was saved',
    );
  });

  it('run 2 with the same lock files is a full hit: zero requests reach the registry', async () => {
    const r = await runAction(2, false);
    assert.equal(r.outputs['cache-hit'], 'true');
    assert.equal(r.outputs['archives-fetched'], '0');
    assert.equal(r.outputs['archives-reused'], '4');
    assert.deepEqual(r.requests, []);
    assert.match(r.log, /not saving the cache/);
  });

  it('run 3 with one added provider version is a partial hit and fetches exactly that version', async () => {
    const r = await runAction(3, true);
    assert.equal(r.outputs['cache-hit'], 'partial');
    assert.equal(r.outputs['archives-fetched'], '2');
    assert.equal(r.outputs['archives-reused'], '4');
    const unrelated = r.requests.filter(
      (q) => !q.path.includes('/3.7.0/') && !q.path.endsWith('/.well-known/terraform.json'),
    );
    assert.deepEqual(
      unrelated.map((q) => q.path),
      [],
    );
    assert.equal(
      backends.results.caches.filter((c) => c.key.startsWith('repoxy-test-v1-')).length,
      2,
      'the grown store is saved under the new key',
    );
  });
});
