/**
 * Shared helpers of the engine, CLI, action and hostile-input tests: temporary workspaces, engine
 * runs that record their events, and byte-exact snapshots of directory trees.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isRepoxyError, type RepoxyError } from '../../../src/domain/errors.ts';
import { buildMirror, type BuildOptions, type BuildResult } from '../../../src/engine.ts';
import type { EngineEvent } from '../../../src/events.ts';
import type { UpstreamOptions } from '../../../src/upstream/options.ts';

/** Upstream limits that keep fault tests fast: short timeouts and backoff, a few retries. */
export const FAST_UPSTREAM: Partial<UpstreamOptions> = Object.freeze({
  retries: 3,
  backoffBaseMs: 10,
  backoffMaxMs: 50,
  headersTimeoutMs: 2000,
  bodyTimeoutMs: 1000,
  retryAfterMaxMs: 2000,
});

/** A fresh directory under the OS temp dir, with `lock/` (lock files) and `site/` (outputs' parent). */
export interface Workspace {
  readonly root: string;
  /** Where outputs go: tests check that nothing else appears in it. */
  readonly site: string;
  /** Writes `text` as a lock file under root; returns its path relative to root. */
  writeLock(name: string, text: string): Promise<string>;
  /** `site/<name>`. */
  out(name?: string): string;
  remove(): Promise<void>;
}

export async function createWorkspace(prefix = 'repoxy-itg-'): Promise<Workspace> {
  const root = await mkdtemp(path.join(os.tmpdir(), prefix));
  const site = path.join(root, 'site');
  await mkdir(site);
  return {
    root,
    site,
    writeLock: async (name, text) => {
      const file = path.join(root, name);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, text);
      return name;
    },
    out: (name = 'mirror') => path.join(site, name),
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** What one engine run produced: the result or the error, and every event it reported. */
export interface BuildRun {
  readonly result: BuildResult | undefined;
  readonly error: unknown;
  readonly events: EngineEvent[];
}

/** The options of an engine run against a fixture registry, with fast upstream limits. */
export function buildOptions(
  ws: Workspace,
  upstreams: readonly string[],
  overrides: Partial<BuildOptions> = {},
): BuildOptions {
  return {
    lockfiles: ['*.hcl'],
    cwd: ws.root,
    platforms: ['linux_amd64'],
    include: [],
    exclude: [],
    out: ws.out(),
    upstreams,
    env: {},
    upstreamOptions: FAST_UPSTREAM,
    ...overrides,
  };
}

/** Runs buildMirror; never rejects. */
export async function runBuild(options: BuildOptions): Promise<BuildRun> {
  const events: EngineEvent[] = [];
  try {
    const result = await buildMirror(options, (e) => events.push(e));
    return { result, error: undefined, events };
  } catch (error) {
    return { result: undefined, error, events };
  }
}

/** Asserts the run succeeded and returns its result (the error's message when it did not). */
export function succeeded(run: BuildRun): BuildResult {
  if (run.error !== undefined) {
    const e = run.error as Error;
    assert.fail(`expected success, got ${isRepoxyError(e) ? `[${e.code}] ` : ''}${e?.stack ?? String(e)}`);
  }
  assert.ok(run.result);
  return run.result;
}

/** Asserts the run failed with a RepoxyError of `code` and returns it. */
export function failedWith(run: BuildRun, code: string): RepoxyError {
  assert.ok(run.error !== undefined, `expected ${code}, but the run succeeded`);
  assert.ok(isRepoxyError(run.error), `expected a RepoxyError, got ${String(run.error)}`);
  assert.equal(run.error.code, code, run.error.message);
  return run.error;
}

/** One entry of a tree snapshot: a directory, a symlink (its target) or a file (sha256 + mode). */
export type TreeEntry =
  | { readonly kind: 'dir' }
  | { readonly kind: 'symlink'; readonly target: string }
  | { readonly kind: 'file'; readonly sha256: string; readonly size: number; readonly mode: number };

/** Every entry under `root` (posix relative paths, sorted), without following symlinks. */
export async function snapshotTree(root: string): Promise<Map<string, TreeEntry>> {
  const out = new Map<string, TreeEntry>();
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const abs = path.join(dir, name);
      const key = rel ? `${rel}/${name}` : name;
      const st = await lstat(abs);
      if (st.isSymbolicLink()) out.set(key, { kind: 'symlink', target: await readlink(abs) });
      else if (st.isDirectory()) {
        out.set(key, { kind: 'dir' });
        await walk(abs, key);
      } else {
        const sha256 = createHash('sha256')
          .update(await readFile(abs))
          .digest('hex');
        out.set(key, { kind: 'file', sha256, size: st.size, mode: st.mode & 0o777 });
      }
    }
  };
  await walk(root, '');
  return out;
}

/** The names directly inside `dir`, sorted. */
export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

/** Files (not directories) of a snapshot, sorted. */
export function filesOf(tree: Map<string, TreeEntry>): string[] {
  return [...tree].filter(([, e]) => e.kind === 'file').map(([p]) => p);
}

/** Events of one type, typed. */
export function eventsOf<T extends EngineEvent['type']>(
  events: readonly EngineEvent[],
  type: T,
): Extract<EngineEvent, { type: T }>[] {
  return events.filter((e): e is Extract<EngineEvent, { type: T }> => e.type === type);
}
