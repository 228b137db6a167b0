/**
 * The set-up of the poisoned-store tests: a fixture registry, a lock file, a cold reference mirror and a
 * pristine store from a cold run; each case copies the store, poisons the copy, and runs on it with the
 * cold mirror already in place as "the previous output".
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BuildOptions } from '../../../src/engine.ts';
import {
  buildOptions,
  createWorkspace,
  runBuild,
  snapshotTree,
  succeeded,
  type BuildRun,
  type TreeEntry,
  type Workspace,
} from '../../engine/support/harness.ts';
import type { FixtureRegistry, LockHashes } from '../../support/fixture-registry.ts';

export const PLATFORMS = ['linux_amd64', 'darwin_arm64'];

/** A pristine store and the mirror a cold run wrote from the same registry and lock file. */
export interface Reference {
  readonly ws: Workspace;
  readonly store: string;
  readonly cold: Map<string, TreeEntry>;
  readonly coldOut: string;
}

/** Runs a cold build of `lock` into a fresh workspace; its store is the pristine store. */
export async function coldReference(
  registry: FixtureRegistry,
  lock: string,
  more: Partial<BuildOptions> = {},
): Promise<Reference> {
  const ws = await createWorkspace('repoxy-poison-');
  await ws.writeLock('lock.hcl', lock);
  const store = path.join(ws.root, 'pristine');
  const coldOut = ws.out('cold');
  succeeded(await runBuild(options(ws, registry, store, coldOut, more)));
  return { ws, store, cold: await snapshotTree(coldOut), coldOut };
}

let cases = 0;

/** One poisoned case: a copy of the pristine store and an output that holds the cold mirror. */
export interface PoisonedCase {
  readonly store: string;
  readonly out: string;
  run(more?: Partial<BuildOptions>): Promise<BuildRun>;
}

export async function poisonedCase(
  ref: Reference,
  registry: FixtureRegistry,
  basis = ref.store,
): Promise<PoisonedCase> {
  const n = ++cases;
  const store = path.join(ref.ws.root, `store-${n}`);
  const out = ref.ws.out(`case-${n}`);
  await cp(basis, store, { recursive: true, verbatimSymlinks: true });
  await cp(ref.coldOut, out, { recursive: true });
  return {
    store,
    out,
    run: (more = {}) => runBuild(options(ref.ws, registry, store, out, more)),
  };
}

/** The case's output is byte for byte the cold mirror (published by a refetch, or the previous one intact). */
export async function assertColdOutput(ref: Reference, c: PoisonedCase, what: string): Promise<void> {
  assert.deepEqual(await snapshotTree(c.out), ref.cold, `${what}: the output differs from a cold run's`);
}

function options(
  ws: Workspace,
  registry: FixtureRegistry,
  cacheDir: string,
  out: string,
  more: Partial<BuildOptions>,
): BuildOptions {
  return buildOptions(ws, registry.upstreamArgs(), { platforms: PLATFORMS, cacheDir, out, ...more });
}

/** Every regular file under `dir`, relative, sorted. */
export async function storeFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The stored download document of `type version platform` (under any host), parsed. */
export async function readStoredDoc(
  store: string,
  rel: string,
): Promise<{ downloadUrl: string; document: Record<string, unknown> }> {
  return JSON.parse(await readFile(path.join(store, rel), 'utf8')) as {
    downloadUrl: string;
    document: Record<string, unknown>;
  };
}

export async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFile(file, JSON.stringify(value));
}

export type { LockHashes };
