import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { actionsEnv, readOutputs, readStepSummary } from '../support/actions-env.ts';
import { runWithActionsEnv, startActionsBackends } from '../support/actions-harness.ts';
import { startFixtureRegistry, type FixtureRegistry } from '../support/fixture-registry.ts';
import type { Shard } from '../../src/action/cache.ts';
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
  async function runAction(run: number, locks: { address: string; version: string }[][], keepDays = '30') {
    const workspace = path.join(work, `ws-${run}`);
    await rm(runnerTemp, { recursive: true, force: true });
    await mkdir(runnerTemp, { recursive: true });
    for (const [i, set] of locks.entries())
      await writeText(
        path.join(workspace, `stacks/s${i}/.terraform.lock.hcl`),
        registry.lockFile(set, 'both'),
      );
    const env = {
      ...actionsEnv({ results: backends.results, workspace, temp: runnerTemp, runBackendId: `run-${run}` }),
      INPUT_LOCKFILES: '**/.terraform.lock.hcl',
      INPUT_PLATFORMS: PLATFORMS.join('\n'),
      INPUT_OUTPUT: 'mirror',
      INPUT_UPSTREAMS: registry.upstreamArgs().join('\n'),
      INPUT_CACHE: 'true',
      'INPUT_CACHE-KEY-PREFIX': 'repoxy-test',
      'INPUT_KEEP-DAYS': keepDays,
      INPUT_PUBLISH: 'none',
    };
    registry.resetRequests();
    const entries = backends.results.caches.length;
    const result = await runWithActionsEnv({ code: `await import(${JSON.stringify(action)});` }, env, {
      timeoutMs: 120_000,
    });
    assert.equal(result.code, 0, `action failed:\n${result.stdout}\n${result.stderr}`);
    const saved = backends.results.caches.slice(entries);
    return {
      outputs: readOutputs(env),
      requests: [...registry.requests],
      log: result.stdout,
      summary: readStepSummary(env),
      saved,
      savedBytes: saved.reduce((n, e) => n + (e.sizeBytes ?? 0), 0),
      store: path.join(runnerTemp, 'repoxy-store'),
    };
  }

  let run1Entries: string[] = [];
  const archiveBytes = (p: { address: string; version: string }) =>
    PLATFORMS.reduce((n, pl) => n + registry.archive(p.address, p.version, pl).size, 0);
  /** What a state entry and a version's refs/ may add: small JSON documents, compressed. */
  const METADATA = 32 << 10;

  it('run 1 is cold: it fetches everything and saves one entry per provider version plus the state', async () => {
    const r = await runAction(1, [FIRST_SET]);
    assert.equal(r.outputs['cache-hit'], 'false');
    assert.equal(r.outputs['archives-fetched'], '4');
    assert.deepEqual(r.saved.map((e) => e.key.replace(/[0-9a-f]{32}$/, '')).sort(), [
      'repoxy-test-v2-pv-',
      'repoxy-test-v2-pv-',
      'repoxy-test-v2-state-',
    ]);
    assert.equal(r.outputs['cache-bytes-saved'] !== '0', true);
    run1Entries = r.saved.filter((e) => e.key.includes('-pv-')).map((e) => e.key);
  });

  it('run 2 with the same lock files restores everything, makes zero requests and uploads nothing', async () => {
    const r = await runAction(2, [FIRST_SET]);
    assert.equal(r.outputs['cache-hit'], 'true');
    assert.equal(r.outputs['archives-reused'], '4');
    assert.deepEqual(r.requests, []);
    assert.deepEqual(r.saved, []);
    assert.equal(r.outputs['cache-bytes-saved'], '0');
  });

  it('run 3 bumps one provider version: it uploads only that version (plus state); the old one is kept', async () => {
    const r = await runAction(3, [[FIRST_SET[1]!, ADDED]]);
    assert.equal(r.outputs['cache-hit'], 'partial');
    assert.equal(r.outputs['archives-fetched'], '2');
    assert.equal(r.outputs['providers'], '3', 'random 3.6.3 is kept (keep-days 30)');
    assert.match(r.summary, /Kept and dropped versions \(previous mirror: store\)/);
    assert.match(
      r.summary,
      /registry\.terraform\.io\/hashicorp\/random<\/td><td>3\.6\.3<\/td><td>kept<\/td><td>last locked/,
    );
    assert.equal(r.saved.filter((e) => e.key.includes('-pv-')).length, 1);
    assert.ok(r.savedBytes < archiveBytes(ADDED) + METADATA, `saved ${r.savedBytes} bytes`);
  });

  it('run 4 with keep-days 0 drops the old version: pruned from the store, nothing but state uploaded', async () => {
    const r = await runAction(4, [[FIRST_SET[1]!, ADDED]], '0');
    assert.equal(r.outputs['providers'], '2');
    assert.equal(r.outputs['archives-fetched'], '0');
    const zips = await readdir(path.join(r.store, 'packages/sha256'));
    const old = PLATFORMS.map(
      (pl) => `${registry.archive(FIRST_SET[0]!.address, FIRST_SET[0]!.version, pl).sha256}.zip`,
    );
    assert.equal(zips.length, 4);
    assert.ok(old.every((z) => !zips.includes(z)));
    assert.deepEqual(
      r.saved.map((e) => e.key.replace(/[0-9a-f]{32}$/, '')),
      ['repoxy-test-v2-state-'],
    );
  });

  it('a restore that finds an entry evicted still builds: it fetches that version and saves it again', async () => {
    // Evict run 1's entries: null 3.2.3's (still needed) and random 3.6.3's (dropped since run 4).
    for (const key of run1Entries) assert.equal(backends.results.evictCache(key), 1);
    const r = await runAction(5, [[FIRST_SET[1]!, ADDED]], '0');
    assert.equal(r.outputs['cache-hit'], 'partial');
    assert.equal(r.outputs['archives-fetched'], '2');
    assert.equal(r.outputs['archives-reused'], '2');
    const again = r.saved.map((e) => e.key).filter((k) => k.includes('-pv-'));
    assert.equal(again.length, 1);
    assert.ok(run1Entries.includes(again[0]!), 'saved again under the same content key');
  });

  /** A step of another workflow run on the same cache scope, calling @actions/cache directly. */
  async function cacheStep(run: string, code: string) {
    const workspace = path.join(work, run);
    await mkdir(workspace, { recursive: true });
    const env = actionsEnv({ results: backends.results, workspace, temp: runnerTemp, runBackendId: run });
    const script = `const cache = await import('@actions/cache');\nconsole.log(await ${code});`;
    const result = await runWithActionsEnv({ code: script }, env, { timeoutMs: 120_000 });
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    return result.stdout;
  }

  it('a planted state entry can neither restore outside the store nor publish versions upstream lacks', async () => {
    const stateDir = path.join(runnerTemp, 'repoxy-store', 'state');
    await rm(runnerTemp, { recursive: true, force: true });
    await mkdir(stateDir, { recursive: true });
    const outside = {
      address: FIRST_SET[1]!.address,
      version: FIRST_SET[1]!.version,
      key: 'repoxy-test-v2-pv-evil',
    };
    await writeText(
      path.join(stateDir, 'shards.json'),
      JSON.stringify([{ ...outside, paths: ['refs/../../../x'] }]),
    );
    const fake = {
      address: 'registry.terraform.io/hashicorp/random',
      version: '9.9.9',
      platform: 'linux_amd64',
      path: 'x',
      size: 1,
      h1: `h1:${'A'.repeat(43)}=`,
      zh: `zh:${'a'.repeat(64)}`,
      firstPublished: '2026-01-01',
      lastLocked: '2099-01-01',
    };
    await writeText(
      path.join(stateDir, 'mirror.json'),
      JSON.stringify({ schemaVersion: 1, archives: [fake] }),
    );
    await cacheStep(
      'attacker',
      `cache.saveCache([${JSON.stringify(stateDir)}], 'repoxy-test-v2-state-planted')`,
    );
    const r = await runAction(6, [[FIRST_SET[1]!, ADDED]], '30');
    assert.equal(r.outputs['providers'], '2', 'the planted 9.9.9 is not published');
    assert.match(r.log, /kept version no longer served upstream, dropped/);
    assert.equal(r.outputs['archives-fetched'], '4', 'nothing was restored from the planted list');
    assert.deepEqual(await readdir(path.join(r.store, '..')).then((l) => l.includes('x')), false);
  });

  it('10 successive releases of one provider: each uploads at most that release, the store holds only it', async () => {
    const releases = Array.from({ length: 10 }, (_, i) => ({
      address: 'registry.terraform.io/hashicorp/random',
      version: `4.${i}.0`,
    }));
    for (const v of releases) await registry.addProvider({ ...PROVIDERS[0]!, version: v.version });
    for (const [i, v] of releases.entries()) {
      const r = await runAction(10 + i, [[FIRST_SET[1]!, v]], '0');
      assert.ok(
        r.savedBytes < archiveBytes(v) + METADATA,
        `release ${v.version}: saved ${r.savedBytes} bytes`,
      );
      const zips = await readdir(path.join(r.store, 'packages/sha256'));
      assert.equal(zips.length, 4, `release ${v.version}: the store holds what is published`);
    }
  });
  it('a planted version entry under a planted state entry is not published (issue 13)', async () => {
    // The store on disk is run 19's (null 3.2.3 and random 4.9.0), as any workflow run restoring those
    // entries holds it. The attacker swaps random 4.9.0's linux_amd64 archive, rewrites the stored
    // document and SHA256SUMS to match, saves that as a new version entry and a state entry naming it.
    const store = path.join(runnerTemp, 'repoxy-store');
    const last = { address: 'registry.terraform.io/hashicorp/random', version: '4.9.0' };
    const cold = await snapshotTree(path.join(work, 'ws-19', 'mirror'));
    const planted = buildZip([{ name: 'terraform-provider-random_v4.9.0', data: 'planted '.repeat(4000) }]);
    const plantedPath = `packages/sha256/${sha256(planted)}.zip`;
    await writeFile(path.join(store, plantedPath), planted);
    const real = registry.archive(last.address, last.version, 'linux_amd64');
    const versionDir = path.join(store, 'refs/registry.terraform.io/hashicorp/random/4.9.0');
    const docPath = path.join(versionDir, 'download/linux_amd64.json');
    await writeFile(docPath, (await readFile(docPath, 'utf8')).replaceAll(real.sha256, sha256(planted)));
    const sumsPath = path.join(versionDir, 'SHA256SUMS');
    await writeFile(sumsPath, (await readFile(sumsPath, 'utf8')).replace(real.sha256, sha256(planted)));
    assert.ok((await storeFiles(store)).includes(plantedPath));
    const shardsPath = path.join(store, 'state/shards.json');
    const shards = JSON.parse(await readFile(shardsPath, 'utf8')) as Shard[];
    const victim = shards.find((s) => s.address === last.address && s.version === last.version);
    assert.ok(victim, 'run 19 saved an entry for random 4.9.0');
    const bad: Shard = { ...victim, key: 'repoxy-test-v2-pv-planted', paths: [...victim.paths, plantedPath] };
    const absolute = JSON.stringify(bad.paths.map((p) => path.join(store, p)));
    const pv = await cacheStep('attacker-pv', `cache.saveCache(${absolute}, ${JSON.stringify(bad.key)})`);
    assert.match(pv.trim().split('\n').at(-1)!, /^[1-9]\d*$/, 'the planted version entry was saved');
    await writeText(shardsPath, JSON.stringify(shards.map((s) => (s === victim ? bad : s))));
    const stateDir = JSON.stringify(path.join(store, 'state'));
    const st = await cacheStep(
      'attacker-state',
      `cache.saveCache([${stateDir}], 'repoxy-test-v2-state-planted-2')`,
    );
    assert.match(st.trim().split('\n').at(-1)!, /^[1-9]\d*$/, 'the planted state entry was saved');

    const r = await runAction(30, [[FIRST_SET[1]!, last]], '0');
    assert.equal(r.outputs['cache-hit'], 'true', 'both planted entries were restored');
    assert.match(r.log, /store entry discarded/);
    assert.equal(
      r.requests.filter((q) => q.path.endsWith('.zip')).length,
      0,
      'the genuine archive was in the planted entry too',
    );
    assert.deepEqual(await snapshotTree(path.join(work, 'ws-30', 'mirror')), cold);
  });
  it('a run restoring many version entries at once restores every one (their tars share parents)', async () => {
    // 12 entries under refs/registry.terraform.io/hashicorp/random/ and packages/sha256/, restored 4 at
    // a time: concurrent tar extractions racing to create those parents lost entries before the action
    // made them first.
    const many = Array.from({ length: 12 }, (_, i) => ({
      address: 'registry.terraform.io/hashicorp/random',
      version: `5.${i}.0`,
    }));
    for (const v of many) await registry.addProvider({ ...PROVIDERS[0]!, version: v.version });
    const stacks = many.map((v) => [v]); // one lock file per version (a lock file locks one version)
    const first = await runAction(40, stacks, '0');
    assert.equal(first.saved.filter((e) => e.key.includes('-pv-')).length, 12);
    for (let round = 0; round < 3; round++) {
      const again = await runAction(41 + round, stacks, '0');
      assert.equal(again.outputs['cache-hit'], 'true', again.log);
      assert.equal(again.outputs['archives-fetched'], '0');
      assert.deepEqual(again.requests, []);
    }
  });
});
