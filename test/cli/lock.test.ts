/** `repoxy lock` through the bundled CLI: exit codes, --check listing, --json, --cache-dir reuse. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FixtureRegistry } from '../support/fixture-registry.ts';
import { createWorkspace, type Workspace } from '../engine/support/harness.ts';
import { startTwoHostRegistry, TF_NULL, TOFU_RANDOM } from '../engine/support/providers.ts';
import { runCli } from '../engine/support/processes.ts';

const LOCK = 'envs/a/.terraform.lock.hcl';

describe('cli: repoxy lock', () => {
  let registry: FixtureRegistry;
  let ws: Workspace;
  let initLock: string;

  before(async () => {
    registry = await startTwoHostRegistry();
    ws = await createWorkspace();
    initLock = registry.lockFile([{ ...TF_NULL, platforms: ['linux_amd64'] }, TOFU_RANDOM], 'both');
    await ws.writeLock(LOCK, initLock);
  });
  after(async () => {
    await registry.close();
    await ws.remove();
  });

  const lock = (...more: string[]) =>
    runCli(
      [
        'lock',
        '--lockfile',
        '**/.terraform.lock.hcl',
        '--platform',
        'linux_amd64',
        '--platform',
        'darwin_arm64',
        ...registry.upstreamArgs().flatMap((u) => ['--upstream', u]),
        ...more,
      ],
      { cwd: ws.root, timeoutMs: 60_000 },
    );

  it('exits 2 on invalid input, naming the flag', async () => {
    const r = await runCli(['lock', '--lockfile', LOCK], { cwd: ws.root });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /at least one --platform is required/);
  });

  it('--check writes nothing, lists path:line and the missing platform, exits 1', async () => {
    const r = await lock('--check');
    assert.equal(r.code, 1, r.stderr);
    const line = initLock.split('\n').indexOf(`provider "${TF_NULL.address}" {`) + 1;
    assert.equal(r.stdout, `${LOCK}:${line}: ${TF_NULL.address} ${TF_NULL.version} lacks darwin_arm64\n`);
    assert.equal(await readFile(path.join(ws.root, LOCK), 'utf8'), initLock);
  });

  it('--json: one document naming the file changed and the hashes added; a cached rerun fetches nothing', async () => {
    const cache = path.join(ws.root, 'cache');
    const r = await lock('--json', '--cache-dir', cache);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      written: string[];
      files: { path: string; blocks: { address: string; added: string[] }[] }[];
    };
    assert.deepEqual(doc.written, [LOCK]);
    const darwin = registry.archive(TF_NULL.address, TF_NULL.version, 'darwin_arm64');
    assert.deepEqual(doc.files[0]!.blocks, [
      { ...doc.files[0]!.blocks[0]!, address: TF_NULL.address, added: [darwin.h1] },
    ]);
    registry.resetRequests();
    const again = await lock('--json', '--cache-dir', cache);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual((JSON.parse(again.stdout) as { written: string[] }).written, []);
    assert.deepEqual(
      registry.requests.filter((q) => q.path.endsWith('.zip')),
      [],
    );
  });
});
