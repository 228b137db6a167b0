/** Pruning the store to what a build publishes, without ever reaching outside the store. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ArchiveRecord } from '../../src/domain/package.ts';
import { pruneStore } from '../../src/store/prune.ts';
import { Store } from '../../src/store/store.ts';

const KEEP = 'a'.repeat(64);
const DROP = 'b'.repeat(64);
const address = { hostname: 'registry.terraform.io', namespace: 'hashicorp', type: 'null' };
const kept = {
  ref: { address, version: '3.2.4', platform: { os: 'linux', arch: 'amd64' } },
  zh: `zh:${KEEP}`,
} as ArchiveRecord;

describe('pruneStore', () => {
  let root: string;
  let outside: string;
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'repoxy-prune-'));
    outside = path.join(root, 'outside');
    await mkdir(path.join(outside, 'ns', 'type', '1.0.0'), { recursive: true });
    await writeFile(path.join(outside, 'ns', 'type', '1.0.0', 'precious'), 'not the store’s');
    await writeFile(path.join(outside, 'precious.zip'), 'not the store’s');
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('removes other versions and archives, and links (not what they point to)', async () => {
    const store = new Store(path.join(root, 'store'));
    await store.init();
    const refs = path.join(store.root, 'refs', 'registry.terraform.io', 'hashicorp', 'null');
    for (const v of ['3.2.3', '3.2.4']) await mkdir(path.join(refs, v, 'download'), { recursive: true });
    for (const hex of [KEEP, DROP]) await writeFile(store.archivePath(hex), hex);
    await symlink(outside, path.join(store.root, 'refs', 'evil.example'));
    await symlink(path.join(outside, 'precious.zip'), path.join(store.root, 'packages', 'sha256', 'x.zip'));

    const result = await pruneStore(store, [kept]);

    assert.deepEqual(result, { versions: 2, archives: 2, bytes: 64 });
    assert.deepEqual(await readdir(refs), ['3.2.4']);
    assert.deepEqual(await readdir(path.join(store.root, 'refs')), ['registry.terraform.io']);
    assert.deepEqual(await readdir(path.join(store.root, 'packages', 'sha256')), [`${KEEP}.zip`]);
    assert.deepEqual(await readdir(path.join(outside, 'ns', 'type', '1.0.0')), ['precious']);
    assert.deepEqual((await readdir(outside)).sort(), ['ns', 'precious.zip']);
  });
});
