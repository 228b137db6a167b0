import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mirrorWithCli } from './support/build.ts';
import { clientEnv, selectClients } from './support/client.ts';
import { runProvidersMirror } from './support/peer.ts';
import { describe as output } from './support/process.ts';
import { readTree } from './support/tree.ts';
import { PLATFORMS, startWorld, writeClientFiles, writeRootModule, type World } from './support/world.ts';

/** Issue 7, step 6: `NAME providers mirror` for the same configuration, timed beside our build. */
for (const kind of selectClients()) {
  describe(`${kind.id} providers mirror, the peer, for the same configuration`, () => {
    let world: World;
    before(async () => {
      world = await startWorld(kind);
    });
    after(async () => {
      await world?.close();
    });

    it('mirrors the same archives, byte for byte, as our build (times printed, not compared)', async () => {
      const configDir = await writeRootModule(await world.tempDir('peer-config'));
      await writeFile(path.join(configDir, '.terraform.lock.hcl'), world.lockText);
      const client = await writeClientFiles(world, world.hostBlocks, [world.registry.caCertPem!]);
      const env = clientEnv({ home: await world.tempDir('home'), ...client });
      const peerOut = await world.tempDir('peer-mirror');

      world.registry.resetRequests();
      const peer = await runProvidersMirror({
        client: world.client,
        configDir,
        platforms: PLATFORMS,
        outDir: peerOut,
        env,
      });
      const peerRequests = world.registry.requests.length;

      world.registry.resetRequests();
      const ourOut = path.join(await world.tempDir('ours'), 'mirror');
      const ours = await mirrorWithCli(world, {
        lockfiles: [path.join(configDir, '.terraform.lock.hcl')],
        out: ourOut,
      });
      assert.equal(ours.code, 0, output(ours));
      const ourRequests = world.registry.requests.length;

      const engine = /, ([\d.]+) s → /.exec(ours.stderr)?.[1] ?? '?';
      process.stdout.write(
        `peer: ${kind.name} providers mirror ${peer.seconds.toFixed(2)} s (${peerRequests} registry requests); ` +
          `repoxy mirror (dist/cli.js, no cache) ${ours.seconds.toFixed(2)} s wall, ${engine} s in the engine ` +
          `(${ourRequests} registry requests); ` +
          `${PLATFORMS.length} platforms, ${world.client.version}\n`,
      );

      const [theirs, mine] = [await readTree(peerOut), await readTree(ourOut)];
      const zips = (tree: Map<string, Buffer>) => [...tree.keys()].filter((f) => f.endsWith('.zip')).sort();
      assert.deepEqual(zips(mine), zips(theirs));
      assert.equal(zips(mine).length, 4);
      for (const file of zips(theirs))
        assert.ok(theirs.get(file)!.equals(mine.get(file)!), `${file} differs`);
      for (const file of [...theirs.keys()].filter((f) => f.endsWith('index.json'))) {
        assert.deepEqual(
          JSON.parse(mine.get(file)!.toString()),
          JSON.parse(theirs.get(file)!.toString()),
          file,
        );
      }
    });
  });
}
