/**
 * Retention through the engine: versions a previous build published stay for keep-days after the last
 * build that locked them, mirror.json records why, and the store is pruned to what is published.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFixtureRegistry, type FixtureRegistry } from '../support/fixture-registry.ts';
import {
  buildOptions,
  createWorkspace,
  eventsOf,
  failedWith,
  runBuild,
  succeeded,
  type Workspace,
} from './support/harness.ts';
import { providerSpec, type ProviderVersion } from './support/providers.ts';

const A: ProviderVersion = { address: 'registry.terraform.io/hashicorp/null', version: '3.2.3' };
const B: ProviderVersion = { address: 'registry.terraform.io/hashicorp/null', version: '3.2.4' };
const DAY1 = new Date('2026-11-01T10:00:00Z');
const dayAfter = (d: Date, days: number) => new Date(d.getTime() + days * 86_400_000);

interface ManifestJson {
  schemaVersion: number;
  archives: {
    version: string;
    lockfiles: string[];
    lastLocked: string;
    firstPublished: string;
    zh: string;
  }[];
}

async function manifestOf(dir: string): Promise<ManifestJson> {
  return JSON.parse(await readFile(path.join(dir, 'mirror.json'), 'utf8')) as ManifestJson;
}

async function versionsIn(dir: string): Promise<string[]> {
  const index = JSON.parse(
    await readFile(path.join(dir, 'registry.terraform.io/hashicorp/null/index.json'), 'utf8'),
  ) as { versions: Record<string, object> };
  return Object.keys(index.versions).sort();
}

describe('retention (keep-days) and store pruning', () => {
  let registry: FixtureRegistry;
  let ws: Workspace;

  before(async () => {
    registry = await startFixtureRegistry({ providers: [A, B].map((p) => providerSpec(p, ['linux_amd64'])) });
    ws = await createWorkspace();
  });
  after(async () => {
    await registry.close();
    await ws.remove();
  });

  /** Run 1 locks A on DAY1; run 2 locks B `days` later; both with the same store. */
  async function twoRuns(
    name: string,
    keepDays: number,
    days: number,
    between: (cacheDir: string) => Promise<void> = async () => {},
  ) {
    const cacheDir = path.join(ws.root, `store-${name}`);
    const out = ws.out(name);
    const options = (lock: ProviderVersion, now: Date) =>
      buildOptions(ws, registry.upstreamArgs(), { out, cacheDir, keepDays, now, lockfiles: [`${name}.hcl`] });
    await ws.writeLock(`${name}.hcl`, registry.lockFile([A], 'both'));
    succeeded(await runBuild(options(A, DAY1)));
    await between(cacheDir);
    await ws.writeLock(`${name}.hcl`, registry.lockFile([B], 'both'));
    const second = await runBuild(options(B, dayAfter(DAY1, days)));
    return { run: second, out, cacheDir };
  }

  it('keep-days 30 publishes the version run 1 locked and run 2 no longer does, saying why', async () => {
    const { run, out } = await twoRuns('keep30', 30, 3);
    succeeded(run);
    assert.deepEqual(await versionsIn(out), ['3.2.3', '3.2.4']);
    const [decision] = eventsOf(run.events, 'retention').flatMap((e) => e.decisions);
    assert.equal(decision?.outcome, 'kept');
    assert.equal(decision?.version, '3.2.3');
    assert.match(
      decision?.reason ?? '',
      /last locked 2026-11-01 \(3 day\(s\) ago\); kept through 2026-12-01/,
    );
    const m = await manifestOf(out);
    const [a, b] = m.archives;
    assert.deepEqual(
      [a?.version, a?.lockfiles, a?.lastLocked, a?.firstPublished],
      ['3.2.3', [], '2026-11-01', '2026-11-01'],
    );
    assert.equal(b?.version, '3.2.4');
    assert.match(b?.lockfiles[0] ?? '', /^keep30\.hcl:\d+$/);
    assert.equal(b?.lastLocked, '2026-11-04');
  });

  it('keep-days 0 publishes only B, and the store no longer holds A', async () => {
    const { run, out, cacheDir } = await twoRuns('keep0', 0, 1);
    const result = succeeded(run);
    assert.deepEqual(await versionsIn(out), ['3.2.4']);
    assert.equal(eventsOf(run.events, 'retention')[0]?.decisions[0]?.outcome, 'dropped');
    assert.deepEqual(result.pruned, {
      versions: 1,
      archives: 1,
      bytes: registry.archive(A.address, A.version, 'linux_amd64').size,
    });
    const refs = await readdir(path.join(cacheDir, 'refs/registry.terraform.io/hashicorp/null'));
    assert.deepEqual(refs, ['3.2.4']);
    const zips = await readdir(path.join(cacheDir, 'packages/sha256'));
    assert.deepEqual(zips, [`${registry.archive(B.address, B.version, 'linux_amd64').sha256}.zip`]);
  });

  it('a version last locked more than keep-days ago is dropped', async () => {
    const { run, out } = await twoRuns('expired', 30, 31);
    succeeded(run);
    assert.deepEqual(await versionsIn(out), ['3.2.4']);
    const [decision] = eventsOf(run.events, 'retention')[0]?.decisions ?? [];
    assert.match(decision?.reason ?? '', /31 day\(s\) ago: past keep-days 30/);
  });

  it('a store state that lies about a kept version hashes fails closed (the state is not an anchor)', async () => {
    const lie = async (cacheDir: string) => {
      const file = path.join(cacheDir, 'state/mirror.json');
      const zh = registry.archive(A.address, A.version, 'linux_amd64').zh;
      await writeFile(file, (await readFile(file, 'utf8')).replaceAll(zh, `zh:${'1'.repeat(64)}`));
    };
    const { run, out } = await twoRuns('lying-state', 30, 1, lie);
    const err = failedWith(run, 'VERIFY_KEPT_CHANGED');
    assert.match(
      err.message,
      /registry\.terraform\.io\/hashicorp\/null 3\.2\.3 linux_amd64: published before as zh:1{64}/,
    );
    assert.deepEqual(await versionsIn(out), ['3.2.3'], 'the previous mirror is untouched');
  });

  it('a kept version upstream no longer serves is dropped with a warning; the build goes on', async () => {
    try {
      // The state survives, the version's entries do not (evicted), and upstream has yanked it.
      const gone = async (cacheDir: string) => {
        for (const d of ['refs', 'packages']) await rm(path.join(cacheDir, d), { recursive: true });
        registry.addFault({ match: '/3.2.3/', kind: 'not-found' });
      };
      const { run, out } = await twoRuns('gone', 30, 1, gone);
      succeeded(run);
      assert.deepEqual(await versionsIn(out), ['3.2.4']);
      const [decision] = eventsOf(run.events, 'retention')[0]?.decisions ?? [];
      assert.deepEqual([decision?.version, decision?.outcome], ['3.2.3', 'dropped']);
      assert.match(decision?.reason ?? '', /no longer served upstream/);
      assert.ok(
        eventsOf(run.events, 'warning').some((w) => /kept version no longer served upstream/.test(w.message)),
      );
    } finally {
      registry.clearFaults();
    }
  });

  it('two builds of the same inputs on the same day write byte-identical mirror.json; the next day only lastPublished moves', async () => {
    await ws.writeLock('same/a.hcl', registry.lockFile([A], 'both'));
    await ws.writeLock('same/b.hcl', registry.lockFile([B], 'both'));
    const opts = (now: Date, name: string) =>
      buildOptions(ws, registry.upstreamArgs(), {
        out: ws.out(name),
        cacheDir: path.join(ws.root, 'store-same'),
        now,
        lockfiles: ['same/*.hcl'],
      });
    // The cold build fills the store; the warm builds verify the same archives by the lock files.
    succeeded(await runBuild(opts(DAY1, 'same-0')));
    succeeded(await runBuild(opts(DAY1, 'same-1')));
    succeeded(await runBuild(opts(new Date('2026-11-01T23:59:00Z'), 'same-2')));
    succeeded(await runBuild(opts(dayAfter(DAY1, 1), 'same-3')));
    const [cold, one, two, three] = await Promise.all(
      ['same-0', 'same-1', 'same-2', 'same-3'].map((n) =>
        readFile(path.join(ws.out(n), 'mirror.json'), 'utf8'),
      ),
    );
    assert.equal(two, one);
    assert.notEqual(three, one);
    const normalize = (t: string) =>
      t
        .replaceAll('"lastPublished": "2026-11-02"', '"lastPublished": "2026-11-01"')
        .replaceAll('"lastLocked": "2026-11-02"', '"lastLocked": "2026-11-01"');
    assert.equal(normalize(three!), one);
    // Cold and warm differ in how each archive was verified (this run's anchor, said honestly)...
    const anchors = (t: string) =>
      (JSON.parse(t) as { archives: { verification: { anchor: string } }[] }).archives.map(
        (a) => a.verification.anchor,
      );
    assert.deepEqual(new Set(anchors(cold!)), new Set(['upstream-signature']));
    assert.deepEqual(new Set(anchors(one!)), new Set(['lock-file']));
    // ...and in the upstream URLs: a warm build publishes none that only the store vouches for.
    const archives = (t: string) => (JSON.parse(t) as { archives: Record<string, unknown>[] }).archives;
    const strip = (t: string) =>
      archives(t).map(
        ({ verification: _v, downloadUrl: _d, shasumsUrl: _s, shasumsSignatureUrl: _g, ...a }) => a,
      );
    assert.deepEqual(strip(one!), strip(cold!));
    for (const a of archives(one!)) assert.deepEqual([a['downloadUrl'], a['shasumsUrl']], [null, null]);
    for (const a of archives(cold!)) assert.equal(typeof a['downloadUrl'], 'string');
  });
});
