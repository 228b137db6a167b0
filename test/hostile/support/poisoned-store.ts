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
import { MANIFEST_FILE } from '../../../src/mirror/manifest.ts';
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

/**
 * The case's output is byte for byte the cold mirror (published by a refetch, or the previous one intact),
 * but for how mirror.json says each archive was verified: a warm run's anchor may be the lock file where
 * the cold run's was the upstream signature, its upstream URLs may be null (only the store named them), and
 * a case may lock from its own file. Every anchor it names must be one of this run's.
 */
export async function assertColdOutput(ref: Reference, c: PoisonedCase, what: string): Promise<void> {
  const out = await snapshotTree(c.out);
  const cold = new Map(ref.cold);
  out.delete(MANIFEST_FILE);
  cold.delete(MANIFEST_FILE);
  assert.deepEqual(out, cold, `${what}: the output differs from a cold run's`);
  const got = await readManifestJson(c.out);
  const want = await readManifestJson(ref.coldOut);
  assert.deepEqual(withoutVerification(got), withoutVerification(want), `${what}: mirror.json differs`);
  for (const [i, a] of got.archives.entries()) {
    assert.ok(
      ANCHORS.includes(a.verification.anchor),
      `${what}: ${a.path} anchored by ${a.verification.anchor}`,
    );
    // An upstream URL is published as upstream said it, or not at all (null: only the store named it).
    for (const key of URLS)
      assert.ok(
        a[key] === null || a[key] === want.archives[i]![key],
        `${what}: ${a.path} ${key} is ${a[key]}`,
      );
  }
}

const ANCHORS: readonly string[] = ['lock-file', 'upstream-signature', 'upstream-document'];
const URLS = ['downloadUrl', 'shasumsUrl', 'shasumsSignatureUrl'] as const;

interface ManifestJson {
  readonly archives: {
    readonly path: string;
    readonly lockfiles: readonly string[];
    readonly verification: { readonly anchor: string };
    readonly downloadUrl: string | null;
    readonly shasumsUrl: string | null;
    readonly shasumsSignatureUrl: string | null;
  }[];
}

async function readManifestJson(dir: string): Promise<ManifestJson> {
  return JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8')) as ManifestJson;
}

/**
 * mirror.json without what depends on the run: its anchors, the upstream URLs it could confirm (checked
 * above) and which lock file (a case may use its own).
 */
function withoutVerification(m: ManifestJson): unknown {
  const archives = m.archives.map((a) => {
    const {
      verification: _v,
      lockfiles: _l,
      downloadUrl: _d,
      shasumsUrl: _s,
      shasumsSignatureUrl: _g,
      ...rest
    } = a;
    return rest;
  });
  return { ...m, archives };
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
