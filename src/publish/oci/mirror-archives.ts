import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ProviderAddress } from '../../domain/address.ts';
import { RepoxyError } from '../../domain/errors.ts';
import { zhHash } from '../../domain/hash.ts';
import type { Platform } from '../../domain/platform.ts';
import { parsePlatform } from '../../domain/platform.ts';
import type { ProviderPattern } from '../../plan/patterns.ts';
import { isSelected } from '../../plan/patterns.ts';
import { sha256File } from '../../verify/zh.ts';
import { findProviderDirs, readJson } from '../verify-mirror.ts';

/** One archive a written mirror lists: where it is and the hashes its VERSION.json gives it. */
export interface MirrorArchive {
  readonly address: ProviderAddress;
  readonly version: string;
  readonly platform: Platform;
  readonly file: string;
  readonly size: number;
  /** `sha256:<hex>` from the listed `zh:`: the OCI blob digest. */
  readonly digest: string;
}

/**
 * The archives the `VERSION.json` files of the mirror at `root` list, for the providers `select`
 * picks, sorted. Reads metadata only: `checkZh` (or the registry, on upload) checks the bytes.
 * Throws VERIFY_SHASUM for an archive without `zh:`, IO for a file that cannot be read.
 */
export async function readMirrorArchives(
  root: string,
  select: { include: readonly ProviderPattern[]; exclude: readonly ProviderPattern[] },
): Promise<MirrorArchive[]> {
  const archives: MirrorArchive[] = [];
  for (const rel of await findProviderDirs(path.resolve(root))) {
    const [hostname, namespace, type] = rel.split('/') as [string, string, string];
    const address = { hostname, namespace, type };
    if (!isSelected(address, select.include, select.exclude)) continue;
    archives.push(...(await listedArchives(path.resolve(root, hostname, namespace, type), address)));
  }
  return archives;
}

/**
 * The zip's sha256 must be its listed `zh:`, as verify-mirror.ts checks an artifact. Anchor: the
 * mirror repoxy wrote from verified bytes (lock-file hashes, upstream signatures); a zip or
 * VERSION.json altered since then fails here (or at the registry's digest check). Throws VERIFY_SHASUM.
 */
export async function checkZh(a: MirrorArchive): Promise<void> {
  const zh = zhHash(await sha256File(a.file));
  const listed = zhHash(a.digest.slice('sha256:'.length));
  if (zh !== listed) throw altered(a, zh, [listed]);
}

function altered(a: MirrorArchive, actual: string, expected: readonly string[]): RepoxyError {
  return new RepoxyError(
    'VERIFY_SHASUM',
    `${a.file} is ${actual}, but its VERSION.json lists ${expected.join(', ')}: the archive ` +
      'or its VERSION.json was altered after the build; nothing of this version was tagged',
  );
}

async function listedArchives(dir: string, address: ProviderAddress): Promise<MirrorArchive[]> {
  const index = (await readMirrorJson(path.join(dir, 'index.json'))) as {
    versions?: Record<string, unknown>;
  };
  const out: MirrorArchive[] = [];
  for (const version of Object.keys(index.versions ?? {}).sort()) {
    const doc = (await readMirrorJson(path.join(dir, `${version}.json`))) as {
      archives?: Record<string, { url: string; hashes: string[] }>;
    };
    for (const [platform, { url, hashes }] of Object.entries(doc.archives ?? {}).sort(byKey)) {
      const file = path.join(dir, path.basename(url));
      const zh = hashes.find((h) => h.startsWith('zh:'));
      if (!zh)
        throw new RepoxyError('VERIFY_SHASUM', `${file}: its VERSION.json lists no zh: (the blob digest)`);
      const { size } = await stat(file);
      out.push({
        address,
        version,
        platform: parsePlatform(platform),
        file,
        size,
        digest: `sha256:${zh.slice(3)}`,
      });
    }
  }
  return out;
}

function byKey([a]: [string, unknown], [b]: [string, unknown]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function readMirrorJson(file: string): Promise<unknown> {
  return readJson(file, (message) => {
    throw new RepoxyError('VERIFY_SHASUM', `${file} ${message}: not a mirror repoxy wrote`);
  });
}
