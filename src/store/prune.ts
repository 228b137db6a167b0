import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ArchiveRecord } from '../domain/package.ts';
import type { Store } from './store.ts';

/** What pruning removed from the store. */
export interface PruneResult {
  readonly versions: number;
  readonly archives: number;
  readonly bytes: number;
}

/** `refs/HOST/NS/TYPE/VERSION`: the depth of a version's directory under `refs/`. */
const VERSION_DEPTH = 4;

/**
 * Prunes the store to what this build publishes (current and kept versions): every other version's
 * metadata under `refs/` and every archive under `packages/` that no published record uses. So the
 * store, and the cache saved from it, never hold more than the mirror plus metadata. The store is
 * untrusted: only real directories are walked, and an entry that is anything else (a symlink) is
 * removed itself, never followed, so nothing outside the store is touched.
 */
export async function pruneStore(store: Store, published: readonly ArchiveRecord[]): Promise<PruneResult> {
  const keepRefs = new Set(published.map((r) => store.versionRefDir(r.ref)));
  const keepArchives = new Set(published.map((r) => `${r.zh.slice('zh:'.length)}.zip`));
  let versions = 0;
  await walkRefs(store.root, 'refs', 1, async (rel) => {
    if (keepRefs.has(rel)) return;
    await store.removeRef(rel);
    versions++;
  });
  let archives = 0;
  let bytes = 0;
  const packages = path.join('packages', 'sha256');
  for (const entry of await realChildren(store.root, packages)) {
    if (keepArchives.has(entry.name)) continue;
    const rel = path.join(packages, entry.name);
    bytes += entry.isFile() ? (await lstat(path.join(store.root, rel))).size : 0;
    await store.removeRef(rel);
    archives++;
  }
  return { versions, archives, bytes };
}

/**
 * Calls `visit` with each entry at VERSION_DEPTH under `refs/`, and with anything shallower that is not
 * a real directory (it cannot hold a version: removed as well).
 */
async function walkRefs(
  root: string,
  rel: string,
  depth: number,
  visit: (rel: string) => Promise<void>,
): Promise<void> {
  for (const entry of await realChildren(root, rel)) {
    const child = path.join(rel, entry.name);
    if (depth === VERSION_DEPTH || !entry.isDirectory()) await visit(child);
    else await walkRefs(root, child, depth + 1, visit);
  }
}

/** The entries of `rel` when it is a real directory (not a symlink to one); none otherwise. */
async function realChildren(root: string, rel: string): Promise<Dirent[]> {
  const st = await lstat(path.join(root, rel)).catch(() => undefined);
  if (!st?.isDirectory()) return [];
  return readdir(path.join(root, rel), { withFileTypes: true }).catch(() => []);
}
