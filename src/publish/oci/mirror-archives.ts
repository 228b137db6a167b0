import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ProviderAddress } from '../../domain/address.ts';
import { RepoxyError } from '../../domain/errors.ts';
import type { Platform } from '../../domain/platform.ts';
import { parsePlatform } from '../../domain/platform.ts';
import { runLimited } from '../../limit.ts';
import type { ProviderPattern } from '../../plan/patterns.ts';
import { isSelected } from '../../plan/patterns.ts';
import { h1OfZip } from '../../verify/h1.ts';
import { describeMirrorProblems, verifyMirrorDir } from '../verify-mirror.ts';

/** One archive of a written mirror, verified: its zip's sha256 and h1 match its VERSION.json. */
export interface MirrorArchive {
  readonly address: ProviderAddress;
  readonly version: string;
  readonly platform: Platform;
  readonly file: string;
  readonly size: number;
  /** `sha256:<hex>`: the OCI blob digest, equal to the archive's listed `zh:`. */
  readonly digest: string;
}

/**
 * The archives of the mirror at `root` that `include`/`exclude` select, sorted. Anchor: this is the
 * mirror repoxy itself wrote from verified bytes (lock-file hashes, upstream signatures), and it is
 * verified again here as the serve action verifies an artifact (verify-mirror.ts: structure and every
 * zip's sha256 against its `zh:`), plus every zip's h1 against its `h1:`; the registry re-checks each
 * blob's digest on upload. Throws VERIFY_SHASUM listing every problem.
 */
export async function readVerifiedMirror(
  root: string,
  select: { include: readonly ProviderPattern[]; exclude: readonly ProviderPattern[]; concurrency: number },
): Promise<MirrorArchive[]> {
  const report = await verifyMirrorDir(root, { concurrency: select.concurrency });
  if (report.problems.length) {
    throw new RepoxyError(
      'VERIFY_SHASUM',
      `the mirror in ${root} failed verification (${report.problems.length} problem(s)); nothing was pushed:\n` +
        describeMirrorProblems(report),
    );
  }
  const archives: MirrorArchive[] = [];
  const h1s: { file: string; expected: string[] }[] = [];
  for (const rel of report.providers) {
    const [hostname, namespace, type] = rel.split('/') as [string, string, string];
    const address = { hostname, namespace, type };
    if (!isSelected(address, select.include, select.exclude)) continue;
    for (const listed of await listedArchives(path.join(report.root, hostname, namespace, type), address)) {
      archives.push(listed.archive);
      h1s.push({ file: listed.archive.file, expected: listed.h1 });
    }
  }
  await runLimited(h1s, select.concurrency, async ({ file, expected }) => {
    const actual = await h1OfZip(file);
    if (!expected.includes(actual)) {
      throw new RepoxyError(
        'VERIFY_SHASUM',
        `${file} is ${actual}, but its VERSION.json lists ${expected.join(', ') || 'no h1:'}`,
      );
    }
  });
  return archives;
}

async function listedArchives(
  dir: string,
  address: ProviderAddress,
): Promise<{ archive: MirrorArchive; h1: string[] }[]> {
  const index = (await readJson(path.join(dir, 'index.json'))) as { versions: Record<string, unknown> };
  const out: { archive: MirrorArchive; h1: string[] }[] = [];
  for (const version of Object.keys(index.versions).sort()) {
    const doc = (await readJson(path.join(dir, `${version}.json`))) as {
      archives: Record<string, { url: string; hashes: string[] }>;
    };
    for (const [platform, { url, hashes }] of Object.entries(doc.archives).sort(([a], [b]) =>
      a < b ? -1 : 1,
    )) {
      const zh = hashes.find((h) => h.startsWith('zh:'));
      const file = path.join(dir, url);
      if (!zh)
        throw new RepoxyError('VERIFY_SHASUM', `${file}: VERSION.json lists no zh: (the OCI blob digest)`);
      const { size } = await stat(file);
      const archive = {
        address,
        version,
        platform: parsePlatform(platform),
        file,
        size,
        digest: `sha256:${zh.slice(3)}`,
      };
      out.push({ archive, h1: hashes.filter((h) => h.startsWith('h1:')) });
    }
  }
  return out;
}

async function readJson(file: string): Promise<unknown> {
  // Already parsed and checked by verifyMirrorDir: a failure here means the tree changed under us.
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (cause) {
    throw new RepoxyError('IO', `cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
}
