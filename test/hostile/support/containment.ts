/** Checks that a refused run wrote nothing it should not have. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { listDir, snapshotTree, type Workspace } from '../../engine/support/harness.ts';

/**
 * Asserts that, under the workspace, the only files are the lock files and upstream metadata in the
 * store's `refs/`: the output's parent is empty (no output, no staging directory), the store has no
 * `tmp/` left and admitted no archive, and nothing anywhere is a symlink.
 */
export async function assertNothingPublished(ws: Workspace, lockFiles: readonly string[]): Promise<void> {
  const tree = await snapshotTree(ws.root);
  for (const [rel, entry] of tree) {
    assert.notEqual(entry.kind, 'symlink', `${rel} is a symlink`);
    if (entry.kind !== 'file') continue;
    assert.ok(lockFiles.includes(rel) || rel.startsWith('cache/refs/'), `unexpected file ${rel}`);
  }
  assert.deepEqual(await listDir(ws.site), []);
  assert.deepEqual(await listDir(path.join(ws.root, 'cache')), ['packages', 'refs']);
  assert.deepEqual(await listDir(path.join(ws.root, 'cache', 'packages', 'sha256')), []);
}

/** The store directory these tests use, inside the workspace so its contents can be checked. */
export function cacheDirOf(ws: Workspace): string {
  return path.join(ws.root, 'cache');
}
