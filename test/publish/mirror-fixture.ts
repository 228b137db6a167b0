import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ProviderAddress } from '../../src/domain/address.ts';
import type { ArchiveRecord, PlannedProvider } from '../../src/domain/package.ts';
import { parsePlatform } from '../../src/domain/platform.ts';
import type { BuildResult } from '../../src/engine.ts';
import { canonicalJson } from '../../src/mirror/json.ts';
import {
  mirrorFileSize,
  networkMirrorFiles,
  providerDir,
  type MirrorFile,
} from '../../src/mirror/network-mirror.ts';
import { writeMirrorAtomically } from '../../src/mirror/write-mirror.ts';
import { h1OfZip } from '../../src/verify/h1.ts';
import { sha256File } from '../../src/verify/zh.ts';
import { seedBytes } from '../support/seeded.ts';
import { buildZip } from '../support/zip-builder.ts';

/**
 * A small mirror written by the real mirror writer (src/mirror) from real zips with real hashes,
 * plus a registry-view corner (`.well-known/terraform.json`, `v1/providers/...`), and the
 * BuildResult the engine would have returned for it.
 */

export interface FixtureProvider {
  readonly address: ProviderAddress;
  readonly version: string;
  readonly platforms: readonly string[];
  /** Bytes of filler in each zip (stored, so the archive is at least this big). */
  readonly filler?: number;
}

export const HASHICORP_NULL: FixtureProvider = {
  address: { hostname: 'registry.terraform.io', namespace: 'hashicorp', type: 'null' },
  version: '3.2.1',
  platforms: ['linux_amd64', 'darwin_arm64'],
};

export const TOFU_RANDOM: FixtureProvider = {
  address: { hostname: 'registry.opentofu.org', namespace: 'hashicorp', type: 'random' },
  version: '3.6.0',
  platforms: ['linux_amd64'],
  filler: 40_000,
};

export const PRIVATE_THING: FixtureProvider = {
  address: { hostname: 'tf.corp.example', namespace: 'acme', type: 'thing' },
  version: '1.0.0',
  platforms: ['linux_amd64'],
};

/** Writes zips into `scratch` and the mirror into `out`; returns what the engine would report. */
export async function buildFixtureMirror(
  out: string,
  scratch: string,
  providers: readonly FixtureProvider[] = [HASHICORP_NULL, TOFU_RANDOM],
): Promise<BuildResult> {
  await mkdir(scratch, { recursive: true });
  const archives: ArchiveRecord[] = [];
  for (const p of providers) {
    for (const platform of p.platforms) archives.push(await fixtureArchive(p, platform, scratch));
  }
  const files: MirrorFile[] = [...networkMirrorFiles(archives), ...registryViewCorner(providers)];
  await writeMirrorAtomically(out, files);
  const planned: PlannedProvider[] = providers.map((p) => ({
    address: p.address,
    version: p.version,
    constraints: null,
    hashes: archives.filter((a) => a.ref.address === p.address).flatMap((a) => [a.h1, a.zh]),
    lockfiles: [],
  }));
  return {
    plan: {
      platforms: [...new Set(providers.flatMap((p) => p.platforms))].map(parsePlatform),
      providers: planned,
    },
    archives,
    packages: [],
    missing: [],
    out: path.resolve(out),
    bytes: files.reduce((n, f) => n + mirrorFileSize(f), 0),
    files: files.length,
    fetched: archives.length,
    reused: 0,
    upstreamRequests: 0,
    seconds: 0,
    retention: { source: 'none', decisions: [] },
    pruned: undefined,
  };
}

async function fixtureArchive(p: FixtureProvider, platform: string, scratch: string): Promise<ArchiveRecord> {
  const filename = `terraform-provider-${p.address.type}_${p.version}_${platform}.zip`;
  const seed = [p.address.hostname, p.address.type, p.version, platform];
  const zip = buildZip([
    {
      name: `terraform-provider-${p.address.type}_v${p.version}`,
      data: Buffer.concat([seedBytes(...seed), Buffer.alloc(p.filler ?? 1000, 7)]),
      method: 'store',
    },
    { name: 'LICENSE', data: `licence of ${seed.join(' ')}\n` },
  ]);
  const localPath = path.join(scratch, `${p.address.hostname}-${filename}`);
  await writeFile(localPath, zip);
  return {
    ref: { address: p.address, version: p.version, platform: parsePlatform(platform) },
    filename,
    size: zip.length,
    zh: `zh:${await sha256File(localPath)}`,
    h1: await h1OfZip(localPath),
    source: 'upstream',
    downloadUrl: `https://releases.example.invalid/${filename}`,
    verification: { checks: [], signingKeyId: null, anchor: 'lock-file', anchorDetail: 'test' },
    localPath,
  };
}

function registryViewCorner(providers: readonly FixtureProvider[]): MirrorFile[] {
  const first = providers[0];
  if (!first) return [];
  const base = `v1/providers/${providerDir(first.address)}`;
  return [
    {
      path: '.well-known/terraform.json',
      kind: 'text',
      text: canonicalJson({ 'providers.v1': `../${base}/` }),
    },
    {
      path: `${base}/versions`,
      kind: 'text',
      text: canonicalJson({ versions: [{ version: first.version }] }),
    },
  ];
}

/** Every path under `dir`, relative, `/`-separated, directories with a trailing `/`, sorted. */
export async function listTree(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const rel = `${prefix}${d.name}`;
    if (d.isDirectory()) out.push(`${rel}/`, ...(await listTree(path.join(dir, d.name), `${rel}/`)));
    else out.push(rel);
  }
  return out.sort();
}
