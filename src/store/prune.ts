import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ArchiveRecord } from '../domain/package.ts';
import type { Store } from './store.ts';

/** What pruning removed from the store. */
export interface PruneResult {
  readonly versions: number;
  readonly archives: number;
  readonly bytes: number;
}

/**
 * Prunes the store to what this build publishes (current and kept versions): every other version's
 * metadata under `refs/` and every archive under `packages/` that no published record uses. So the
 * store, and the cache saved from it, never hold more than the mirror plus metadata.
 */
export async function pruneStore(store: Store, published: readonly ArchiveRecord[]): Promise<PruneResult> {
  const keepRefs = new Set(published.map((r) => store.versionRefDir(r.ref)));
  const keepArchives = new Set(published.map((r) => `${r.zh.slice('zh:'.length)}.zip`));
  let versions = 0;
  for (const rel of await versionDirs(store.root)) {
    if (keepRefs.has(rel)) continue;
    await store.removeTree(rel);
    versions++;
  }
  let archives = 0;
  let bytes = 0;
  const packages = path.join('packages', 'sha256');
  for (const name of await names(path.join(store.root, packages))) {
    if (keepArchives.has(name)) continue;
    bytes += (await stat(path.join(store.root, packages, name)).catch(() => ({ size: 0 }))).size;
    await store.removeTree(path.join(packages, name));
    archives++;
  }
  return { versions, archives, bytes };
}

/** `refs/HOST/NS/TYPE/VERSION` directories, relative to the store root. */
async function versionDirs(root: string): Promise<string[]> {
  const out: string[] = [];
  let level = ['refs'];
  for (let depth = 0; depth < 4; depth++) {
    const next: string[] = [];
    for (const rel of level) for (const n of await names(path.join(root, rel))) next.push(path.join(rel, n));
    level = next;
  }
  out.push(...level);
  return out;
}

async function names(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => [] as string[]);
}
