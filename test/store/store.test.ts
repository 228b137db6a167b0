/** The store's edge (issue 13): entries are regular files, never followed; nothing is written outside it. */
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readdir, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isRepoxyError } from '../../src/domain/errors.ts';
import { Store } from '../../src/store/store.ts';

describe('Store: an untrusted directory', () => {
  let root: string;
  let outside: string;

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'repoxy-store-edge-'));
    outside = path.join(root, 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'keep'), 'not the store');
  });
  after(() => rm(root, { recursive: true, force: true }));

  const storeCorrupt = (err: unknown) => isRepoxyError(err) && err.code === 'STORE_CORRUPT';

  it('init replaces a top-level directory that is a symlink, leaving its target alone', async () => {
    const dir = path.join(root, 's1');
    await mkdir(dir);
    await symlink(outside, path.join(dir, 'packages'));
    const store = new Store(dir);
    assert.deepEqual(await store.init(), ['packages']);
    assert.ok((await lstat(path.join(dir, 'packages'))).isDirectory());
    assert.deepEqual(await readdir(outside), ['keep']);
  });

  it('readRef refuses a symlink (even to a readable file) and a document-sized lie', async () => {
    const dir = path.join(root, 's2');
    const store = new Store(dir);
    await store.init();
    await symlink(path.join(outside, 'keep'), path.join(dir, 'refs', 'linked'));
    await assert.rejects(store.readRef('refs/linked'), storeCorrupt);
    await writeFile(path.join(dir, 'refs', 'huge'), '');
    await truncate(path.join(dir, 'refs', 'huge'), 5 * 1024 * 1024);
    await assert.rejects(store.readRef('refs/huge'), storeCorrupt);
    assert.equal(await store.readRef('refs/absent'), undefined);
  });

  it('writeRef replaces a symlinked directory on the way instead of writing through it', async () => {
    const dir = path.join(root, 's3');
    const store = new Store(dir);
    await store.init();
    await symlink(outside, path.join(dir, 'refs', 'host'));
    await store.writeRef('refs/host/doc.json', '{}');
    assert.ok((await lstat(path.join(dir, 'refs', 'host'))).isDirectory());
    assert.deepEqual(await readdir(outside), ['keep']);
    await store.removeRef('refs/host/doc.json');
    await symlink(outside, path.join(dir, 'refs', 'other'));
    await store.removeRef('refs/other/keep');
    assert.deepEqual(await readdir(outside), ['keep'], 'nothing is removed through a link out of the store');
  });
});
