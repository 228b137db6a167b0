/**
 * An interrupted run: the bundled CLI is killed with SIGKILL while it downloads a stalled archive.
 * The previous mirror must be intact, nothing half-written may sit beside it, and the next run cleans
 * up what a killed run leaves (its store temp files, and staging directories of a run killed mid-swap).
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { startFixtureRegistry, type FixtureRegistry } from '../support/fixture-registry.ts';
import {
  buildOptions,
  createWorkspace,
  listDir,
  runBuild,
  snapshotTree,
  succeeded,
  type TreeEntry,
  type Workspace,
} from '../engine/support/harness.ts';
import { CLI_BUNDLE, cliEnvironment, runCli, spawnBundle } from '../engine/support/processes.ts';
import { providerSpec, TF_NULL } from '../engine/support/providers.ts';

const GUARD = { timeout: 90_000 };

describe('CLI: a run killed with SIGKILL during a download', () => {
  let registry: FixtureRegistry;
  let ws: Workspace;
  let good: Map<string, TreeEntry>;
  let args: string[];
  let env: Record<string, string>;

  before(async () => {
    registry = await startFixtureRegistry({
      providers: [providerSpec(TF_NULL, ['linux_amd64'], { size: 256 * 1024 })],
    });
    ws = await createWorkspace();
    await ws.writeLock('.terraform.lock.hcl', registry.lockFile([TF_NULL], 'both'));
    succeeded(
      await runBuild(buildOptions(ws, registry.upstreamArgs(), { lockfiles: ['.terraform.lock.hcl'] })),
    );
    good = await snapshotTree(ws.out());
    args = ['mirror', '--lockfile', '.terraform.lock.hcl', '--out', 'site/mirror', '--cache-dir', 'cache'];
    args.push(...registry.upstreamArgs().flatMap((u) => ['--upstream', u]));
    const tmp = path.join(ws.root, 'tmp');
    await mkdir(tmp);
    env = cliEnvironment({ TMPDIR: tmp, TMP: tmp, TEMP: tmp });
  });
  after(async () => {
    await registry.close();
    await ws.remove();
  });

  it(
    'leaves the previous mirror intact; the next run cleans up and writes the same mirror',
    GUARD,
    async () => {
      registry.addFault({ match: /\.zip$/, kind: 'stall' });
      const run = spawnBundle(CLI_BUNDLE, args, { cwd: ws.root, env });
      for (let i = 0; !registry.requests.some((r) => r.fault === 'stall'); i++) {
        assert.ok(i < 600, 'the CLI never started the download');
        await sleep(50);
      }
      await sleep(200); // let it open its temp file
      process.kill(run.child.pid!, 'SIGKILL');
      const killed = await run.done;
      assert.equal(killed.signal, 'SIGKILL');

      assert.deepEqual(await snapshotTree(ws.out()), good);
      // The killed run had opened its staging directory (archives are copied in as they verify).
      const beside = (await listDir(ws.site)).filter((n) => n !== 'mirror');
      assert.deepEqual(
        beside.map((n) => n.replace(/-[0-9a-f]{8}$/, '')),
        [`.mirror.repoxy-staging-${run.child.pid!}`],
      );
      const leftovers = await readdir(path.join(ws.root, 'cache', 'tmp'));
      assert.equal(leftovers.length, 1, 'the killed run was writing one archive into the store tmp/');

      // And as if it had been killed between writing its staging tree and swapping it in.
      const pid = run.child.pid!;
      const staging = path.join(ws.site, `.mirror.repoxy-staging-${pid}-0badc0de`);
      await mkdir(path.join(staging, 'registry.terraform.io'), { recursive: true });
      await writeFile(path.join(staging, 'registry.terraform.io', 'half.zip'), 'half');
      await mkdir(path.join(ws.site, `.mirror.repoxy-old-${pid}-0ddba11f`));

      registry.clearFaults();
      const again = await runCli(args, { cwd: ws.root, env });
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(await listDir(ws.site), ['mirror']);
      assert.deepEqual(await snapshotTree(ws.out()), good);
      assert.deepEqual(await readdir(path.join(ws.root, 'cache')), ['packages', 'refs', 'state']);
    },
  );

  it(
    'without --cache-dir: the next run removes the temp store a killed run left in TMPDIR',
    GUARD,
    async () => {
      const noCache = args.filter((a, i) => a !== '--cache-dir' && args[i - 1] !== '--cache-dir');
      const tmp = path.join(ws.root, 'tmp');
      registry.addFault({ match: /\.zip$/, kind: 'stall' });
      registry.resetRequests();
      const run = spawnBundle(CLI_BUNDLE, noCache, { cwd: ws.root, env });
      for (let i = 0; !registry.requests.some((r) => r.fault === 'stall'); i++) {
        assert.ok(i < 600, 'the CLI never started the download');
        await sleep(50);
      }
      await sleep(200);
      process.kill(run.child.pid!, 'SIGKILL');
      assert.equal((await run.done).signal, 'SIGKILL');
      const left = await readdir(tmp);
      assert.equal(left.length, 1, left.join());
      assert.match(left[0]!, new RegExp(`^repoxy-store-${run.child.pid}-`));
      assert.deepEqual(await snapshotTree(ws.out()), good);

      registry.clearFaults();
      const again = await runCli(noCache, { cwd: ws.root, env });
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(await readdir(tmp), []);
      assert.deepEqual(await snapshotTree(ws.out()), good);
      assert.deepEqual(await listDir(ws.site), ['mirror']);
    },
  );
});
