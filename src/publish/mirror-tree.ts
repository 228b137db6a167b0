import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { RepoxyError } from '../domain/errors.ts';

/** One entry of a mirror directory: a posix path relative to the root (`''` is the root itself). */
export interface MirrorTreeEntry {
  readonly path: string;
  readonly kind: 'dir' | 'file';
  /** Bytes of a file; 0 for a directory. */
  readonly size: number;
  readonly absolute: string;
}

export interface MirrorTreeOptions {
  /** Names skipped wherever they occur (with everything under them). */
  readonly exclude?: readonly string[];
}

/**
 * Every directory and regular file under `root`, depth first, each directory's children sorted by the
 * bytes of their UTF-8 names, so the same tree always lists in the same order. The root comes first.
 * Throws PUBLISH for a symbolic link or anything else that is neither a file nor a directory: a
 * published site holds files and directories only, and a link could pull in files from elsewhere.
 * A file with several hard links is listed as the regular file it is (tar --hard-dereference).
 */
export async function listMirrorTree(
  root: string,
  options: MirrorTreeOptions = {},
): Promise<MirrorTreeEntry[]> {
  const absoluteRoot = path.resolve(root);
  const st = await lstatOrThrow(absoluteRoot);
  if (!st.isDirectory()) {
    throw new RepoxyError('PUBLISH', `${absoluteRoot} is not a directory; expected a mirror directory`);
  }
  const entries: MirrorTreeEntry[] = [{ path: '', kind: 'dir', size: 0, absolute: absoluteRoot }];
  await walk(absoluteRoot, '', new Set(options.exclude ?? []), entries);
  return entries;
}

async function walk(
  dir: string,
  rel: string,
  exclude: ReadonlySet<string>,
  out: MirrorTreeEntry[],
): Promise<void> {
  const children = (await readDir(dir))
    .filter((d) => !exclude.has(d.name))
    .sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  for (const child of children) {
    const absolute = path.join(dir, child.name);
    const childRel = rel === '' ? child.name : `${rel}/${child.name}`;
    const st = await lstatOrThrow(absolute);
    if (st.isDirectory()) {
      out.push({ path: childRel, kind: 'dir', size: 0, absolute });
      await walk(absolute, childRel, exclude, out);
    } else if (st.isFile()) {
      out.push({ path: childRel, kind: 'file', size: st.size, absolute });
    } else {
      throw new RepoxyError(
        'PUBLISH',
        `${absolute} is ${describe(st)}; a published mirror may hold only regular files and directories. ` +
          'Remove it from the mirror directory (repoxy never writes one).',
      );
    }
  }
}

function describe(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  return 'a device or other special file';
}

async function readDir(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (cause) {
    throw new RepoxyError('IO', `cannot list ${dir}: ${(cause as Error).message}`, { cause });
  }
}

async function lstatOrThrow(p: string): Promise<Stats> {
  try {
    return await lstat(p);
  } catch (cause) {
    throw new RepoxyError('IO', `cannot read ${p}: ${(cause as Error).message}`, { cause });
  }
}

/** Sum of the sizes of the files in `entries`. */
export function treeBytes(entries: readonly MirrorTreeEntry[]): number {
  return entries.reduce((n, e) => n + e.size, 0);
}
