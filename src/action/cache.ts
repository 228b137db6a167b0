import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import * as cache from '@actions/cache';
import * as core from '@actions/core';
import { formatAddress } from '../domain/address.ts';
import type { ArchiveRecord, Plan } from '../domain/package.ts';
import { runLimited } from '../limit.ts';
import { readManifest } from '../mirror/manifest-read.ts';
import { STORE_STATE_REF } from '../mirror/previous.ts';
import { decideRetention, versionKey, type RetentionOptions } from '../mirror/retention.ts';
import { Store } from '../store/store.ts';

export type CacheHit = 'true' | 'partial' | 'false';

/**
 * The store in the Actions cache, split so a change uploads and a run restores only what it needs:
 * one entry per provider version (its `refs/` directory and its archives), keyed by a digest of the
 * archives it holds, plus one small state entry (`state/`: the last mirror.json and the list of
 * version entries). Nothing restored is trusted: the engine verifies every archive it reuses.
 */
const STATE_DIR = 'state';
const SHARDS_FILE = path.join(STATE_DIR, 'shards.json');
/** Cache calls at once: a few hundred providers restore in minutes, without flooding the service. */
const CACHE_CONCURRENCY = 4;

/** One provider version's cache entry: its key and the store paths (relative, posix) it holds. */
export interface Shard {
  readonly version: string;
  readonly address: string;
  readonly key: string;
  readonly paths: readonly string[];
}

/** What a restore found, for the save after the build and for the outputs. */
export interface RestoredCache {
  readonly hit: CacheHit;
  readonly stateKey: string | undefined;
  /** Keys of version entries restored in this run (those need no saving again). */
  readonly restored: ReadonlySet<string>;
  readonly bytes: number;
}

/** Restores the state entry, then the entries of the versions this build needs. Fails soft. */
export async function restoreStore(
  dir: string,
  plan: Plan,
  prefix: string,
  retention: RetentionOptions,
): Promise<RestoredCache> {
  const none: RestoredCache = { hit: 'false', stateKey: undefined, restored: new Set(), bytes: 0 };
  if (!cache.isFeatureAvailable()) {
    core.warning('The cache service is not available here; building without a cache.');
    return none;
  }
  try {
    const statePaths = [path.join(dir, STATE_DIR)];
    const stateKey = await cache.restoreCache(statePaths, stateKeyPrefix(prefix), [stateKeyPrefix(prefix)]);
    if (!stateKey) {
      core.info('No cached provider store found');
      return none;
    }
    const { wanted, versions } = await neededShards(dir, plan, retention);
    const restored = new Set<string>();
    // Concurrent tar extractions race to create shared parents (refs/HOST/NS/TYPE, packages/sha256):
    // GNU tar then fails with "Cannot open: No such file or directory". Make them first.
    const parents = new Set(wanted.flatMap((s) => absolute(dir, s.paths).map((p) => path.dirname(p))));
    for (const parent of [...parents].sort()) await mkdir(parent, { recursive: true });
    await runLimited(wanted, CACHE_CONCURRENCY, async (s) => {
      const got = await cache.restoreCache(absolute(dir, s.paths), s.key).catch(warnAndSkip(s.key));
      if (got === s.key) restored.add(s.key);
    });
    const bytes =
      (await sizeOf(dir, [STATE_DIR])) +
      (await sum(
        wanted.filter((s) => restored.has(s.key)),
        dir,
      ));
    const missing = wanted.length - restored.size;
    core.info(
      `Restored the provider store: state ${stateKey}, ${restored.size} of ${wanted.length} version entr(ies)` +
        `${missing ? ` (${missing} missing: evicted, fetched again)` : ''}, ${bytes} bytes`,
    );
    const hit = restored.size === versions ? 'true' : restored.size ? 'partial' : 'false';
    return { hit, stateKey, restored, bytes };
  } catch (err) {
    core.warning(
      `Restoring the provider store failed (${(err as Error).message}); building without a cache.`,
    );
    return none;
  }
}

/** Saves the entries of published versions not restored in this run, then the state entry. Fails soft. */
export async function saveStore(
  dir: string,
  prefix: string,
  archives: readonly ArchiveRecord[],
  restored: RestoredCache,
): Promise<{ bytes: number; entries: number }> {
  try {
    const shards = shardsOf(dir, prefix, archives);
    const todo = shards.filter((s) => !restored.restored.has(s.key));
    let bytes = 0;
    let entries = 0;
    await runLimited(todo, CACHE_CONCURRENCY, async (s) => {
      const id = await cache.saveCache(absolute(dir, s.paths), s.key).catch(warnAndSkip(s.key));
      if (id === undefined || id === -1) return;
      const size = await sizeOf(dir, s.paths); // read before adding: other saves run meanwhile
      bytes += size;
      entries++;
    });
    const state = await saveState(dir, prefix, shards, restored.stateKey);
    core.info(
      `Saved ${entries} provider version entr(ies) and ${state ? 'the' : 'no new'} state entry: ${bytes + state} bytes`,
    );
    return { bytes: bytes + state, entries: entries + (state ? 1 : 0) };
  } catch (err) {
    core.warning(
      `Saving the provider store failed (${(err as Error).message}); the mirror itself is complete.`,
    );
    return { bytes: 0, entries: 0 };
  }
}

/** One entry per published provider version, keyed by a digest of its archives. */
export function shardsOf(dir: string, prefix: string, archives: readonly ArchiveRecord[]): Shard[] {
  const store = new Store(dir);
  const byVersion = new Map<string, ArchiveRecord[]>();
  for (const a of archives) {
    const k = versionKey(a.ref.address, a.ref.version);
    byVersion.set(k, [...(byVersion.get(k) ?? []), a]);
  }
  const shards = [...byVersion.values()].map((list) => {
    const { address, version } = list[0]!.ref;
    const refs = store.versionRefDir(list[0]!.ref).split(path.sep).join('/');
    const zips = list.map((a) => `packages/sha256/${a.zh.slice(3)}.zip`).sort();
    const digest = sha256(JSON.stringify([formatAddress(address), version, zips])).slice(0, 32);
    return {
      address: formatAddress(address),
      version,
      key: `${prefix}-v2-pv-${digest}`,
      paths: [refs, ...zips],
    };
  });
  // Archives finish in any order: sorted, so the state (and its key) is the same for the same store.
  return shards.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * The version entries the state lists for what this build publishes (locked now, or kept), and how
 * many versions that is (some may have no entry).
 */
async function neededShards(
  dir: string,
  plan: Plan,
  retention: RetentionOptions,
): Promise<{ wanted: Shard[]; versions: number }> {
  const shards = await readShards(dir);
  const manifest = (await readState(dir, STORE_STATE_REF)) ?? '';
  const kept = decideRetention(readManifest(manifest).archives, plan, retention).kept;
  const needed = new Set([...plan.providers, ...kept].map((p) => versionKey(p.address, p.version)));
  return { wanted: shards.filter((s) => needed.has(`${s.address} ${s.version}`)), versions: needed.size };
}

/** The state's list of version entries; entries with unsafe paths are ignored (the cache is untrusted). */
async function readShards(dir: string): Promise<Shard[]> {
  const text = (await readState(dir, SHARDS_FILE)) ?? '[]';
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  return list.filter(
    (s): s is Shard =>
      typeof s === 'object' &&
      s !== null &&
      typeof s.key === 'string' &&
      typeof s.address === 'string' &&
      typeof s.version === 'string' &&
      Array.isArray(s.paths) &&
      s.paths.every(isStorePath),
  );
}

/**
 * A file of the restored state, read as the store reads documents (the cache is untrusted): a link is
 * not followed and an oversized file is not read; either, or a missing file, is undefined.
 */
async function readState(dir: string, rel: string): Promise<string | undefined> {
  const bytes = await new Store(dir).readRef(rel).catch(() => undefined);
  return bytes?.toString('utf8');
}

function isStorePath(p: unknown): boolean {
  return (
    typeof p === 'string' &&
    /^(refs|packages)\//.test(p) &&
    !p.split('/').some((s) => s === '' || s === '.' || s === '..')
  );
}

/** Writes `state/shards.json` and saves `state/` under a key of its content, unless it was restored as is. */
async function saveState(
  dir: string,
  prefix: string,
  shards: Shard[],
  restoredKey: string | undefined,
): Promise<number> {
  const text = `${JSON.stringify(shards, null, 2)}\n`;
  // Through the store's own writer: the restored state/ is untrusted (a planted link is replaced, not followed).
  const store = new Store(dir);
  await store.init();
  await store.writeRef(SHARDS_FILE, text);
  await store.cleanTmp();
  const manifest = (await readState(dir, STORE_STATE_REF)) ?? '';
  const key = `${stateKeyPrefix(prefix)}${sha256(text + manifest).slice(0, 32)}`;
  if (key === restoredKey) return 0;
  const id = await cache.saveCache([path.join(dir, STATE_DIR)], key).catch(warnAndSkip(key));
  return id === undefined || id === -1 ? 0 : sizeOf(dir, [STATE_DIR]);
}

function stateKeyPrefix(prefix: string): string {
  return `${prefix}-v2-state-`;
}

function absolute(dir: string, paths: readonly string[]): string[] {
  return paths.map((p) => path.join(dir, ...p.split('/')));
}

function warnAndSkip(key: string): (err: Error) => undefined {
  return (err) => {
    core.warning(`cache entry ${key}: ${err.message}`);
    return undefined;
  };
}

async function sum(shards: readonly Shard[], dir: string): Promise<number> {
  let n = 0;
  for (const s of shards) n += await sizeOf(dir, s.paths);
  return n;
}

/** Bytes of the files under `paths` (a measure of what an entry carries; archives dominate). */
async function sizeOf(dir: string, paths: readonly string[]): Promise<number> {
  let n = 0;
  const walk = async (abs: string): Promise<void> => {
    const st = await lstat(abs).catch(() => undefined); // a link is not followed (the store is untrusted)
    if (!st) return;
    if (st.isFile()) n += st.size;
    else if (st.isDirectory()) for (const c of await readdir(abs)) await walk(path.join(abs, c));
  };
  for (const p of paths) await walk(path.join(dir, ...p.split('/')));
  return n;
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
