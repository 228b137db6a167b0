import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { filesystemMirrorConfig, networkMirrorConfig } from '../../src/mirror/client-config.ts';
import type { TestCertificates } from '../support/tls.ts';
import { assertInstalledEverything, assertLockKept } from './support/checks.ts';
import { servePublishedMirror } from './support/published.ts';
import type { StaticSite } from './support/static-site.ts';
import { selectClients } from './support/client.ts';
import { initWith, SELECTED, startWorld, writeClientFiles, type World } from './support/world.ts';

/** Issue 7, steps 2 and 3: `init` from the published mirror, as a network and a filesystem mirror. */
for (const kind of selectClients()) {
  describe(`${kind.id} init installs from the mirror`, () => {
    let world: World;
    let mirrorDir: string;
    let certs: TestCertificates;
    let site: StaticSite;
    before(async () => {
      world = await startWorld(kind);
      ({ mirrorDir, certs, site } = await servePublishedMirror(world));
    });
    after(async () => {
      await site?.close();
      await world?.close();
    });

    /**
     * The registry `host` blocks stay in every configuration as a guard: were the client to go past
     * the mirror, it would reach the fixture registry (never the real one), and the test would see it.
     */
    function guarded(config: string): string {
      return `${config}\n${world.hostBlocks}`;
    }

    it('with only a network_mirror under a project-site path prefix, keeping the lock file', async () => {
      const config = networkMirrorConfig(site.url);
      assert.match(config, /url = "https:\/\/127\.0\.0\.1:\d+\/my-repo\/"/);
      const client = await writeClientFiles(world, guarded(config), [
        certs.caCertPem,
        world.registry.caCertPem!,
      ]);
      world.registry.resetRequests();
      site.requests.length = 0;
      const init = await initWith(world, client, { lockText: world.lockText });
      await assertInstalledEverything(world, init);
      assertLockKept(world.lockText, init.lockAfter);
      assert.deepEqual(world.registry.requests, [], 'the client went past the mirror to the registry');
      const paths = site.requests.map((r) => `${r.status} ${r.path}`);
      for (const [address, version] of SELECTED) {
        const archive = world.registry.archive(address, version, 'linux_amd64');
        for (const file of ['index.json', `${version}.json`, archive.filename]) {
          assert.ok(
            paths.includes(`200 /my-repo/${address}/${file}`),
            `${file} not fetched:\n${paths.join('\n')}`,
          );
        }
      }
      assert.deepEqual(
        site.requests.filter((r) => r.status !== 200),
        [],
        'every request the client made was answered',
      );
    });

    it('with only a filesystem_mirror on the same directory, keeping the lock file', async () => {
      const client = await writeClientFiles(world, guarded(filesystemMirrorConfig(mirrorDir)), [
        world.registry.caCertPem!,
      ]);
      world.registry.resetRequests();
      const init = await initWith(world, client, { lockText: world.lockText });
      await assertInstalledEverything(world, init);
      assertLockKept(world.lockText, init.lockAfter);
      assert.deepEqual(world.registry.requests, [], 'the client went past the mirror to the registry');
    });
  });
}
