import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { actionsEnv, readOutputs } from '../support/actions-env.ts';
import { runWithActionsEnv, startActionsBackends } from '../support/actions-harness.ts';
import { startFixtureRegistry, type FixtureRegistry, type LockHashes } from '../support/fixture-registry.ts';
import { buildZip } from '../support/zip-builder.ts';
import { sha256, storeFiles } from '../hostile/support/poisoned-store.ts';
import { snapshotTree } from '../engine/support/harness.ts';
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
  async function runAction(run: number, added: boolean, hashes: LockHashes = 'both') {
    const workspace = path.join(work, `ws-${run}`);
    await rm(runnerTemp, { recursive: true, force: true });
    await mkdir(runnerTemp, { recursive: true });
    await writeText(
      path.join(workspace, 'stacks/app/.terraform.lock.hcl'),
      registry.lockFile(FIRST_SET, hashes),
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
    return { outputs: readOutputs(env), requests: [...registry.requests], log: result.stdout, workspace };
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

  /** A step of another workflow run on the same cache scope: restores or saves the store with @actions/cache. */
  async function cacheStep(run: string, call: string) {
    const workspace = path.join(work, `attacker-${run}`);
    await mkdir(workspace, { recursive: true });
    const env = actionsEnv({ results: backends.results, workspace, temp: runnerTemp, runBackendId: run });
    const dir = JSON.stringify(path.join(runnerTemp, 'repoxy-store'));
    const code = `const cache = await import('@actions/cache');\nconsole.log(await cache.${call.replace('DIR', dir)});`;
    const result = await runWithActionsEnv({ code }, env, { timeoutMs: 120_000 });
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    return result.stdout;
  }

  it('a planted cache entry under the restore key is not published (issue 13)', async () => {
    await rm(runnerTemp, { recursive: true, force: true });
    await mkdir(runnerTemp, { recursive: true });
    assert.match(
      await cacheStep('attacker-1', "restoreCache([DIR], 'none', ['repoxy-test-v1-'])"),
      /repoxy-test-v1-/,
    );
    const store = path.join(runnerTemp, 'repoxy-store');
    const planted = buildZip([{ name: 'terraform-provider-random_v3.6.3', data: 'planted '.repeat(4000) }]);
    await writeFile(path.join(store, 'packages/sha256', `${sha256(planted)}.zip`), planted);
    const real = registry.archive('registry.terraform.io/hashicorp/random', '3.6.3', 'linux_amd64');
    const versionDir = path.join(store, 'refs/registry.terraform.io/hashicorp/random/3.6.3');
    const docPath = path.join(versionDir, 'download/linux_amd64.json');
    await writeFile(docPath, (await readFile(docPath, 'utf8')).replaceAll(real.sha256, sha256(planted)));
    const sumsPath = path.join(versionDir, 'SHA256SUMS');
    await writeFile(sumsPath, (await readFile(sumsPath, 'utf8')).replace(real.sha256, sha256(planted)));
    assert.ok((await storeFiles(store)).includes(`packages/sha256/${sha256(planted)}.zip`));
    await cacheStep('attacker-2', "saveCache([DIR], 'repoxy-test-v1-planted')");
    // Other lock hashes: a new exact key, so the newest entry under the restore key (the planted one) is restored.
    const r = await runAction(4, false, 'all-platforms-zh');
    assert.equal(r.outputs['cache-hit'], 'partial');
    assert.match(r.log, /store entry discarded/);
    assert.equal(
      r.requests.filter((q) => q.path.endsWith('.zip')).length,
      0,
      'the genuine archive was in the store',
    );
    const published = await snapshotTree(path.join(r.workspace, 'mirror'));
    assert.deepEqual(published, await snapshotTree(path.join(work, 'ws-1', 'mirror')));
  });
});
