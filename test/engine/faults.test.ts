/**
 * Every fault of the fixture registry, through the engine: transient faults end in a complete mirror;
 * integrity faults end in the VERIFY_* error naming the package, with the previous mirror untouched
 * and nothing left beside it.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { FaultKind, FixtureRegistry } from '../support/fixture-registry.ts';
import { fakeHash, lockFileText } from '../support/lockfile-fixtures.ts';
import {
  buildOptions,
  createWorkspace,
  eventsOf,
  failedWith,
  listDir,
  runBuild,
  snapshotTree,
  succeeded,
  type TreeEntry,
  type Workspace,
} from './support/harness.ts';
import { startTwoHostRegistry, TF_NULL, TOFU_RANDOM } from './support/providers.ts';

const PLATFORM = 'linux_amd64';
const GUARD = { timeout: 60_000 };

/** Every kind of request of one package: discovery, download document, checksums, signature, archive. */
const TARGETS: readonly RegExp[] = [
  /\/\.well-known\/terraform\.json$/,
  /\/download\/linux\/amd64$/,
  /_SHA256SUMS$/,
  /_SHA256SUMS\.sig$/,
  /\.zip$/,
];

function describePackage(p: { address: string; version: string }): string {
  return `${p.address} ${p.version} ${PLATFORM}`;
}

describe('engine: upstream faults', () => {
  let registry: FixtureRegistry;
  let ws: Workspace;
  let good: Map<string, TreeEntry>;

  before(async () => {
    registry = await startTwoHostRegistry();
    ws = await createWorkspace();
    await ws.writeLock('locks.hcl', registry.lockFile([TF_NULL, TOFU_RANDOM], 'both'));
    succeeded(await runBuild(buildOptions(ws, registry.upstreamArgs())));
    good = await snapshotTree(ws.out());
  });
  afterEach(() => {
    registry.clearFaults();
    registry.resetRequests();
  });
  after(async () => {
    await registry.close();
    await ws.remove();
  });

  /** Runs into the existing mirror and asserts it is byte-for-byte what the first good run wrote. */
  async function assertMirrorIsTheGoodOne(): Promise<void> {
    assert.deepEqual(await snapshotTree(ws.out()), good);
    assert.deepEqual(await listDir(ws.site), ['mirror']);
  }

  describe('transient faults end in success', () => {
    const transient: [FaultKind, number | undefined][] = [
      ['429', 0],
      ['500', undefined],
      ['503', 0],
      ['reset', undefined],
      ['truncate', undefined],
      ['stall', undefined],
    ];
    for (const [kind, retryAfter] of transient) {
      it(`'${kind}' once on every kind of request`, GUARD, async () => {
        for (const match of TARGETS) registry.addFault({ match, kind, times: 1, retryAfter });
        succeeded(await runBuild(buildOptions(ws, registry.upstreamArgs())));
        const hit = registry.requests.filter((r) => r.fault === kind).map((r) => r.path);
        for (const match of TARGETS)
          assert.ok(
            hit.some((p) => match.test(p)),
            `${kind} hit ${match}`,
          );
        await assertMirrorIsTheGoodOne();
      });
    }

    it('waits as long as Retry-After says before retrying a 429', GUARD, async () => {
      registry.addFault({ match: /null.*\.zip$/, kind: '429', times: 1, retryAfter: 1 });
      succeeded(await runBuild(buildOptions(ws, registry.upstreamArgs())));
      const zips = registry.requests.filter((r) => /null.*\.zip$/.test(r.path));
      assert.deepEqual(
        zips.map((r) => r.status),
        [429, 200],
      );
      assert.ok(zips[1]!.at - zips[0]!.at >= 950, `retried after ${zips[1]!.at - zips[0]!.at} ms`);
      await assertMirrorIsTheGoodOne();
    });

    it('caps a huge Retry-After at retryAfterMaxMs and still succeeds', GUARD, async () => {
      registry.addFault({ match: /\.zip$/, kind: '503', times: 1, retryAfter: 86_400 });
      succeeded(await runBuild(buildOptions(ws, registry.upstreamArgs())));
      await assertMirrorIsTheGoodOne();
    });

    for (const p of [TF_NULL, TOFU_RANDOM]) {
      it(`'wrong-length' once on the archive of ${p.address}`, GUARD, async () => {
        const match = new RegExp(`${p.address.split('/')[2]}_.*\\.zip$`);
        registry.addFault({ match, kind: 'wrong-length', times: 1 });
        const run = await runBuild(buildOptions(ws, registry.upstreamArgs()));
        succeeded(run);
        assert.equal(registry.requests.filter((r) => r.fault === 'wrong-length').length, 1);
        await assertMirrorIsTheGoodOne();
      });
    }

    it("'corrupt' once on an archive: the damaged download is fetched once more", GUARD, async () => {
      registry.addFault({ match: /null_.*\.zip$/, kind: 'corrupt', times: 1 });
      const run = await runBuild(buildOptions(ws, registry.upstreamArgs()));
      succeeded(run);
      const warnings = eventsOf(run.events, 'warning').map((e) => e.message);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /registry\.terraform\.io\/hashicorp\/null 3\.2\.3 linux_amd64: .*once more/);
      await assertMirrorIsTheGoodOne();
    });
  });

  describe('integrity faults and spent retries fail closed, leaving the previous mirror untouched', () => {
    const cases: {
      name: string;
      kind: FaultKind;
      match: RegExp;
      pkg: { address: string; version: string };
      code: string;
      says: RegExp;
    }[] = [
      {
        name: 'corrupt archive (no packages extension)',
        kind: 'corrupt',
        match: /null_.*\.zip$/,
        pkg: TF_NULL,
        code: 'VERIFY_SHASUM',
        says: /shasum check failed: archive has incorrect checksum: expected zh:[0-9a-f]{64}, actual zh:/,
      },
      {
        name: 'corrupt archive (packages extension)',
        kind: 'corrupt',
        match: /random_.*\.zip$/,
        pkg: TOFU_RANDOM,
        code: 'VERIFY_SHASUM',
        says: /expected zh:[0-9a-f]{64}, actual zh:/,
      },
      {
        name: 'bad signature',
        kind: 'bad-signature',
        match: /null_.*\.sig$/,
        pkg: TF_NULL,
        code: 'VERIFY_BAD_SIGNATURE',
        says: /signature check failed: .*does not verify/,
      },
      {
        name: 'wrong shasum (no packages extension: SHA256SUMS disagrees)',
        kind: 'wrong-shasum',
        match: /null\/3\.2\.3\/download\//,
        pkg: TF_NULL,
        code: 'VERIFY_SUMS_LINE',
        says: /sums-line check failed/,
      },
      {
        name: 'wrong shasum (packages extension disagrees)',
        kind: 'wrong-shasum',
        match: /random\/3\.6\.3\/download\//,
        pkg: TOFU_RANDOM,
        code: 'VERIFY_SHASUM',
        says: /registry-packages check failed: packages\[linux_amd64\] expected zh:/,
      },
    ];
    for (const c of cases) {
      it(`${c.name} → ${c.code}`, GUARD, async () => {
        registry.addFault({ match: c.match, kind: c.kind });
        const run = await runBuild(buildOptions(ws, registry.upstreamArgs()));
        const err = failedWith(run, c.code);
        assert.match(err.message, /^1 archive\(s\) failed; nothing was published:\n/);
        assert.ok(err.message.includes(`  - ${describePackage(c.pkg)}: `), err.message);
        assert.match(err.message, c.says);
        const failed = eventsOf(run.events, 'archive-failed');
        assert.deepEqual(
          failed.map((e) => [e.code, e.ref.version]),
          [[c.code, c.pkg.version]],
        );
        assert.equal(eventsOf(run.events, 'archive-done').length, 1, 'the other package still verified');
        await assertMirrorIsTheGoodOne();
      });
    }

    const persistent: [FaultKind, string, RegExp][] = [
      ['503', 'UPSTREAM_HTTP', /returned HTTP 503 .*\(gave up after 2 attempts\)/],
      ['stall', 'UPSTREAM_TIMEOUT', /timed out waiting for the next part of the response body/],
      ['reset', 'UPSTREAM_HTTP', /gave up after 2 attempts/],
    ];
    for (const [kind, code, says] of persistent) {
      it(`'${kind}' on every attempt → ${code} once the retries are spent`, GUARD, async () => {
        registry.addFault({ match: /null_.*\.zip$/, kind });
        const options = buildOptions(ws, registry.upstreamArgs());
        const run = await runBuild({
          ...options,
          upstreamOptions: { ...options.upstreamOptions, retries: 1 },
        });
        const err = failedWith(run, code);
        assert.ok(err.message.includes(`  - ${describePackage(TF_NULL)}: archive `), err.message);
        assert.match(err.message, says);
        assert.equal(registry.requests.filter((r) => r.fault === kind).length, 2);
        await assertMirrorIsTheGoodOne();
      });
    }

    it(
      'an archive matching none of the lock hashes → VERIFY_LOCK_HASH naming both sides',
      GUARD,
      async () => {
        const wrong = [fakeHash('h1', 'other'), fakeHash('zh', 'other')];
        await ws.writeLock(
          'wrong-hashes/x.hcl',
          lockFileText([{ address: TF_NULL.address, version: TF_NULL.version, hashes: wrong }]),
        );
        const cache = path.join(ws.root, 'cache');
        const run = await runBuild(
          buildOptions(ws, registry.upstreamArgs(), { lockfiles: ['wrong-hashes/x.hcl'], cacheDir: cache }),
        );
        const err = failedWith(run, 'VERIFY_LOCK_HASH');
        assert.ok(err.message.includes(describePackage(TF_NULL)), err.message);
        assert.ok(err.message.includes(wrong[0]!) && err.message.includes(wrong[1]!), err.message);
        const actual = registry.archive(TF_NULL.address, TF_NULL.version, PLATFORM);
        assert.ok(err.message.includes(actual.zh) && err.message.includes(actual.h1), err.message);
        await assertMirrorIsTheGoodOne();
        // The store keeps no temp files and never admits the refused archive.
        assert.deepEqual(await readdir(cache), ['packages', 'refs']);
        assert.deepEqual(await readdir(path.join(cache, 'packages', 'sha256')), []);
      },
    );
  });
});
