import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DIST_CLI, requireBundle } from './support/build.ts';
import { clientEnv, clientOk, selectClients, TOFU } from './support/client.ts';
import { readLock } from './support/lock.ts';
import { describe as output, runProcess, type ProcessResult } from './support/process.ts';
import {
  initWith,
  PLATFORMS,
  RANDOM,
  SELECTED,
  startWorld,
  writeClientFiles,
  writeRootModule,
  type ClientFiles,
  type World,
} from './support/world.ts';

/**
 * Issue 15: lock files as `init` writes them (one platform), completed by `repoxy lock`, against
 * what the real client's `providers lock -platform=A -platform=B` writes in a copy of the same
 * directory, against the same registry. OpenTofu: byte for byte. Terraform: as sets of hashes,
 * except the `h1:` that registry.opentofu.org's `packages` extension reports for platforms not
 * requested, which OpenTofu records and Terraform (which does not read the extension) does not.
 */
for (const kind of selectClients()) {
  describe(`${kind.name}: repoxy lock against ${kind.name} providers lock`, () => {
    let world: World;
    let files: ClientFiles;
    let initLock: string;
    before(async () => {
      world = await startWorld(kind);
      files = await writeClientFiles(world, world.hostBlocks, [world.registry.caCertPem!]);
      const init = await initWith(world, files, { lockText: undefined });
      assert.equal(init.run.code, 0, output(init.run));
      initLock = init.lockAfter!;
    });
    after(async () => {
      await world?.close();
    });

    /** Both tools in two copies of the root module holding `lockText`; returns both results. */
    async function both(lockText: string): Promise<{ ours: string; theirs: string }> {
      const ourDir = await copyWith(lockText);
      const run = await lockWithCli(world, path.join(ourDir, '.terraform.lock.hcl'));
      assert.equal(run.code, 0, output(run));
      const theirDir = await copyWith(lockText);
      const env = clientEnv({ home: await world.tempDir('home'), ...files });
      const platforms = PLATFORMS.map((p) => `-platform=${p}`);
      await clientOk(world.client, ['providers', 'lock', '-no-color', ...platforms], { cwd: theirDir, env });
      const read = (dir: string) => readFile(path.join(dir, '.terraform.lock.hcl'), 'utf8');
      return { ours: await read(ourDir), theirs: await read(theirDir) };
    }

    async function copyWith(lockText: string): Promise<string> {
      const dir = await writeRootModule(await world.tempDir('copy'));
      await writeFile(path.join(dir, '.terraform.lock.hcl'), lockText);
      return dir;
    }

    function assertSame(ours: string, theirs: string): void {
      if (kind === TOFU) {
        assert.equal(ours, theirs);
        return;
      }
      const [a, b] = [readLock(ours), readLock(theirs)];
      assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
      for (const [address, version] of SELECTED) {
        const extra = new Set(a.get(address)!.hashes.filter((h) => !b.get(address)!.hashes.includes(h)));
        const reportedOnly = world.registry
          .lockFile([{ address, version }], 'both')
          .match(/"h1:[^"]+"/g)!
          .map((q) => q.slice(1, -1))
          .filter((h) => !PLATFORMS.some((p) => world.registry.archive(address, version, p).h1 === h));
        assert.deepEqual([...extra].sort(), address === RANDOM ? reportedOnly.sort() : [], address);
        assert.ok(
          b.get(address)!.hashes.every((h) => a.get(address)!.hashes.includes(h)),
          address,
        );
        assert.equal(a.get(address)!.version, b.get(address)!.version);
      }
    }

    it(`init wrote one platform's h1: for ${[...SELECTED.keys()].join(', ')}; repoxy lock adds what providers lock adds`, async () => {
      const locked = readLock(initLock);
      assert.deepEqual([...locked.keys()].sort(), [...SELECTED.keys()].sort());
      const { ours, theirs } = await both(initLock);
      assert.notEqual(ours, initLock, 'the init lock lacked darwin_arm64');
      assertSame(ours, theirs);
    });

    it('a lock file with CRLF line endings and comments inside blocks', async () => {
      const edited = initLock
        .replace('  hashes = [\n', '  # checked by hand\n  hashes = [\n')
        .replaceAll('\n', '\r\n');
      const { ours, theirs } = await both(edited);
      assertSame(ours, theirs);
      assert.ok(!ours.includes('\r') && !ours.includes('checked by hand'));
    });

    it('a lock file that holds every platform already is left as it is', async () => {
      // OpenTofu's own providers lock output; for Terraform, ours (Terraform's lacks OpenTofu's extra h1:).
      const complete = kind === TOFU ? world.lockText : (await both(initLock)).ours;
      const dir = await copyWith(complete);
      const file = path.join(dir, '.terraform.lock.hcl');
      const run = await lockWithCli(world, file, ['--check']);
      assert.equal(run.code, 0, output(run));
      assert.equal(await readFile(file, 'utf8'), complete);
    });
  });
}

/** `node dist/cli.js lock` for PLATFORMS against the fixture registry (its CA trusted by Node). */
function lockWithCli(world: World, lockFile: string, more: string[] = []): Promise<ProcessResult> {
  const args = [
    requireBundle(DIST_CLI),
    'lock',
    '--lockfile',
    lockFile,
    ...PLATFORMS.flatMap((p) => ['--platform', p]),
    ...world.registry.upstreamArgs().flatMap((u) => ['--upstream', u]),
    ...more,
  ];
  return runProcess(process.execPath, args, {
    cwd: world.root,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: world.registryCaFile },
  });
}
