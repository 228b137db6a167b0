/**
 * Issue 17: run 1 mirrors the lock file locking version A; run 2's lock file moves to version B with
 * --keep-days 30 and the same store; the real client, still locking A, installs it from run 2's mirror.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { networkMirrorConfig } from '../../src/mirror/client-config.ts';
import { generateTestCertificates, type TestCertificates } from '../support/tls.ts';
import { mirrorWithCli } from './support/build.ts';
import { assertInstalledEverything, assertLockKept } from './support/checks.ts';
import { selectClients } from './support/client.ts';
import { describe as output } from './support/process.ts';
import { startStaticSite, type StaticSite } from './support/static-site.ts';
import {
  initWith,
  PLATFORMS,
  RANDOM,
  SELECTED,
  startWorld,
  WIDGET,
  writeClientFiles,
  type World,
} from './support/world.ts';

const B = '3.6.9';

for (const kind of selectClients()) {
  describe(`${kind.name} installs a version kept by retention`, () => {
    let world: World;
    let run2: string;
    let certs: TestCertificates;
    let site: StaticSite;
    before(async () => {
      world = await startWorld(kind);
      await world.registry.addProvider({
        hostname: 'registry.opentofu.org',
        namespace: 'hashicorp',
        type: 'random',
        version: B,
        platforms: [...PLATFORMS],
        size: 256 * 1024,
      });
      const cacheDir = await world.tempDir('store');
      const run1 = await mirrorWithCli(world, {
        lockfiles: [world.lockFile],
        out: path.join(await world.tempDir('run1'), 'mirror'),
        cacheDir,
        extraArgs: ['--keep-days', '30'],
      });
      assert.equal(run1.code, 0, output(run1));
      const moved = path.join(await world.tempDir('moved'), '.terraform.lock.hcl');
      const lockB = [
        { address: RANDOM, version: B },
        { address: WIDGET, version: SELECTED.get(WIDGET)! },
      ];
      await writeFile(moved, world.registry.lockFile(lockB, 'both'));
      run2 = path.join(await world.tempDir('run2'), 'mirror');
      const built = await mirrorWithCli(world, {
        lockfiles: [moved],
        out: run2,
        cacheDir,
        extraArgs: ['--keep-days', '30'],
      });
      assert.equal(built.code, 0, output(built));
      certs = await generateTestCertificates();
      site = await startStaticSite({ root: run2, prefix: 'my-repo', tls: certs });
    });
    after(async () => {
      await site?.close();
      await world?.close();
    });

    it('run 2 publishes A (kept) and B (locked), and says so in mirror.json', async () => {
      const index = JSON.parse(await readFile(path.join(run2, RANDOM, 'index.json'), 'utf8')) as {
        versions: object;
      };
      assert.deepEqual(Object.keys(index.versions).sort(), [SELECTED.get(RANDOM)!, B]);
      const manifest = JSON.parse(await readFile(path.join(run2, 'mirror.json'), 'utf8')) as {
        archives: { address: string; version: string; lockfiles: string[] }[];
      };
      const kept = manifest.archives.filter(
        (a) => a.address === RANDOM && a.version === SELECTED.get(RANDOM),
      );
      assert.equal(kept.length, PLATFORMS.length);
      assert.ok(kept.every((a) => a.lockfiles.length === 0));
    });

    it('the client whose lock file still locks A installs it from run 2 mirror', async () => {
      const config = `${networkMirrorConfig(site.url)}\n${world.hostBlocks}`;
      const client = await writeClientFiles(world, config, [certs.caCertPem, world.registry.caCertPem!]);
      world.registry.resetRequests();
      const init = await initWith(world, client, { lockText: world.lockText });
      await assertInstalledEverything(world, init);
      assertLockKept(world.lockText, init.lockAfter);
      assert.deepEqual(world.registry.requests, [], 'the client went past the mirror to the registry');
    });
  });
}
