import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mirrorWithAction, mirrorWithCli } from './support/build.ts';
import { readLock, zhHashes } from './support/lock.ts';
import { selectClients } from './support/client.ts';
import { describe as output } from './support/process.ts';
import { readTree } from './support/tree.ts';
import { PLATFORMS, PROVIDERS, SELECTED, startWorld, type World } from './support/world.ts';

/** Issue 7, step 1: lock files written by the real client → the mirror, by the bundled CLI and action. */
for (const kind of selectClients()) {
  describe(`${kind.id}: a mirror built from lock files the real client wrote`, () => {
    let world: World;
    before(async () => {
      world = await startWorld(kind);
    });
    after(async () => {
      await world?.close();
    });

    it(`${kind.name} providers lock locks both providers, the prerelease too, for both platforms`, () => {
      const header = `# This file is maintained automatically by "${kind.name} init".\n`;
      assert.ok(world.lockText.startsWith(header), `written by ${kind.name}:\n${world.lockText}`);
      const locked = readLock(world.lockText);
      assert.deepEqual([...locked.keys()].sort(), [...SELECTED.keys()].sort());
      for (const [address, version] of SELECTED) {
        const entry = locked.get(address)!;
        assert.equal(entry.version, version, address);
        for (const platform of PLATFORMS) {
          const archive = world.registry.archive(address, version, platform);
          assert.ok(entry.hashes.includes(archive.zh), `${address} ${platform} zh in\n${world.lockText}`);
          assert.ok(entry.hashes.includes(archive.h1), `${address} ${platform} h1 in\n${world.lockText}`);
        }
        const served = PROVIDERS.find((p) => `${p.hostname}/${p.namespace}/${p.type}` === address)!;
        assert.equal(zhHashes(entry).length, served.platforms.length, 'zh: of every line of SHA256SUMS');
      }
    });

    it('the bundled CLI and the bundled action build the same verified mirror from it', async () => {
      const cliOut = path.join(await world.tempDir('cli'), 'mirror');
      const cli = await mirrorWithCli(world, { lockfiles: [world.lockFile], out: cliOut });
      assert.equal(cli.code, 0, output(cli));

      const workspace = await world.tempDir('workspace');
      await mkdir(path.join(workspace, 'infra'));
      await writeFile(path.join(workspace, 'infra/.terraform.lock.hcl'), world.lockText);
      const action = await mirrorWithAction(world, {
        workspace,
        lockfiles: '**/.terraform.lock.hcl',
        output: 'provider-mirror',
      });
      assert.equal(action.run.code, 0, output(action.run));
      assert.equal(action.outputs['providers'], '2');
      assert.equal(action.outputs['archives'], String(SELECTED.size * PLATFORMS.length));
      assert.equal(action.outputs['mirror-dir'], path.join(workspace, 'provider-mirror'));
      process.stdout.write(
        `build: CLI ${cli.seconds.toFixed(2)} s, action ${action.run.seconds.toFixed(2)} s\n`,
      );

      const [fromCli, fromAction] = [await readTree(cliOut), await readTree(action.outputs['mirror-dir']!)];
      assert.deepEqual([...fromAction.keys()], [...fromCli.keys()]);
      for (const [file, bytes] of fromCli) {
        if (file === 'mirror.json') continue;
        assert.ok(bytes.equals(fromAction.get(file)!), `${file} differs`);
      }
      // mirror.json names each build's own lock file and keep-days (CLI default 0, action default 30).
      const manifest = (bytes: Buffer) => {
        const doc = JSON.parse(bytes.toString('utf8')) as { archives: { lockfiles: string[] }[] };
        return doc.archives.map((a) => ({
          ...a,
          lockfiles: a.lockfiles.map((l) => l.replace(/^.*:/, 'LOCK:')),
        }));
      };
      assert.deepEqual(manifest(fromAction.get('mirror.json')!), manifest(fromCli.get('mirror.json')!));

      const zips = [...fromCli.keys()].filter((f) => f.endsWith('.zip')).sort();
      const expected = [...SELECTED].flatMap(([address, version]) =>
        PLATFORMS.map((p) => {
          const archive = world.registry.archive(address, version, p);
          assert.ok(
            fromCli.get(`${address}/${archive.filename}`)?.equals(archive.bytes),
            `${archive.filename}`,
          );
          return `${address}/${archive.filename}`;
        }),
      );
      assert.deepEqual(zips, expected.sort(), 'only the locked versions, only the requested platforms');
    });
  });
}
