import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { RepoxyError } from '../domain/errors.ts';
import type { HashString } from '../domain/hash.ts';
import { badZip, confirmStreamedEntries, digestZipEntries, showName } from './zip-entries.ts';
import type { StreamedZip } from './zip-stream.ts';
import type { ZipEntryDigest } from './zip-entries.ts';
import { DEFAULT_ZIP_LIMITS, type ZipLimits } from './zip-format.ts';
import { sha256File } from './zh.ts';

/** h1 of a package with no files: base64(sha256("")) (OpenTofu hash.go emptyPackageHashV1). */
export const EMPTY_H1: HashString = 'h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';

/** The two `h1:` values of one zip (PROTOCOL.md §4.1). */
export interface ZipHashes {
  /** HashZip: every entry name verbatim, directory entries included. What init checks a zip against. */
  readonly h1Zip: HashString;
  /** HashDir of what `tofu init` unpacks (go-getter). What init records in lock files. */
  readonly h1Unpacked: HashString;
  /** Odd but installable entries worth reporting (symlinks, duplicate names); empty for real provider zips. */
  readonly notes: readonly string[];
}

/** A file for Hash1: its name and the lower-case hex sha256 of its content. */
export interface Hash1File<Name = string> {
  readonly name: Name;
  readonly sha256: string;
}

/**
 * Go dirhash Hash1 (PROTOCOL.md §4.1): names sorted bytewise on UTF-8, one line
 * `<hex>  <name>\n` each, `h1:` + base64(sha256(lines)). Throws INPUT_INVALID for a name with a newline.
 */
export function hash1(files: readonly Hash1File[]): HashString {
  return hash1OfRawNames(files.map((f) => ({ name: Buffer.from(f.name, 'utf8'), sha256: f.sha256 })));
}

function hash1OfRawNames(files: readonly Hash1File<Buffer>[]): HashString {
  for (const f of files) {
    if (f.name.includes(0x0a)) {
      throw new RepoxyError(
        'INPUT_INVALID',
        `cannot compute h1: file name ${showName(f.name)} contains a newline`,
      );
    }
    if (!/^[0-9a-f]{64}$/.test(f.sha256)) {
      throw new RepoxyError(
        'INPUT_INVALID',
        `cannot compute h1: "${f.sha256}" is not a lower-case hex sha256`,
      );
    }
  }
  const summary = createHash('sha256');
  for (const f of [...files].sort((a, b) => Buffer.compare(a.name, b.name))) {
    summary.update(`${f.sha256}  `);
    summary.update(f.name);
    summary.update('\n');
  }
  return `h1:${summary.digest('base64')}`;
}

/**
 * Both `h1:` values of the zip at `path` in one streaming pass. Throws VERIFY_BAD_ZIP when it is not
 * a zip, exceeds `limits`, holds an unsafe name, or would not unpack (a path both file and directory).
 */
export async function hashZip(path: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<ZipHashes> {
  return zipHashesOf(await digestZipEntries(path, limits), path);
}

/**
 * `hashZip` of the zip at `path` without reading its content again, from what a `StreamingZipHasher`
 * saw while the file was written. Returns what `hashZip` would, or undefined when the streaming pass
 * gave up or the central directory does not confirm it: then call `hashZip`, which reports the precise error.
 */
export async function hashStreamedZip(
  path: string,
  streamed: StreamedZip,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
): Promise<ZipHashes | undefined> {
  if (!streamed.ok) return undefined;
  const entries = await confirmStreamedEntries(path, streamed.entries, limits);
  if (!entries) return undefined;
  try {
    return zipHashesOf(entries, path);
  } catch {
    return undefined;
  }
}

function zipHashesOf(entries: readonly ZipEntryDigest[], path: string): ZipHashes {
  // go-getter refuses an archive without entries, so no h1Unpacked exists for it (decompress_zip.go).
  if (entries.length === 0) throw badZip(path, 'the archive has no entries; tofu init refuses to unpack it');
  return {
    h1Zip: h1OfZipEntries(entries),
    h1Unpacked: hash1OfRawNames(unpackedFiles(entries, path)),
    notes: notesOn(entries),
  };
}

/** What a reviewer should hear about: entries tofu installs, but not as their names suggest. */
function notesOn(entries: readonly ZipEntryDigest[]): string[] {
  const notes: string[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    const key = e.name.toString('latin1');
    if (seen.has(key)) notes.push(`duplicate entry ${showName(e.name)}: the last one wins when unpacked`);
    seen.add(key);
    if (e.symlink)
      notes.push(`symlink entry ${showName(e.name)}: unpacked as a regular file holding the link text`);
  }
  return notes;
}

/** HashZip of the zip at `path` (PROTOCOL.md §4.1). Throws as `hashZip`. */
export async function h1OfZip(path: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<HashString> {
  return (await hashZip(path, limits)).h1Zip;
}

/** HashDir of what `tofu init` would unpack from the zip at `path` (PROTOCOL.md §1.9, §1.10). */
export async function h1OfUnpackedZip(
  path: string,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
): Promise<HashString> {
  return (await hashZip(path, limits)).h1Unpacked;
}

// HashZip lists every entry, duplicates twice, each opened through a name map: the LAST entry's
// content stands for every entry of that name (x/mod sumdb/dirhash HashZip).
function h1OfZipEntries(entries: readonly ZipEntryDigest[]): HashString {
  const lastContent = new Map<string, string>();
  for (const e of entries) lastContent.set(e.name.toString('latin1'), e.sha256);
  return hash1OfRawNames(
    entries.map((e) => ({ name: e.name, sha256: lastContent.get(e.name.toString('latin1'))! })),
  );
}

// go-getter ZipDecompressor: directory entries become directories (HashDir skips them), every other
// entry a regular file at filepath.Join(dst, name); a later entry of the same path overwrites it.
function unpackedFiles(entries: readonly ZipEntryDigest[], path: string): Hash1File<Buffer>[] {
  const files = new Map<string, string>();
  const dirs = new Set<string>();
  for (const e of entries) {
    const rel = cleanRelative(e.name);
    if (e.kind === 'dir') {
      addWithParents(dirs, rel);
    } else if (rel === '') {
      throw badZip(path, `entry ${showName(e.name)} would overwrite the package directory itself`);
    } else {
      addWithParents(dirs, rel.slice(0, Math.max(0, rel.lastIndexOf('/'))));
      files.set(rel, e.sha256);
    }
  }
  for (const rel of files.keys()) {
    if (dirs.has(rel)) {
      throw badZip(
        path,
        `${showName(Buffer.from(rel, 'latin1'))} is both a file and a directory in the archive`,
      );
    }
  }
  return [...files].map(([rel, sha256]) => ({ name: Buffer.from(rel, 'latin1'), sha256 }));
}

/** filepath.Join's cleaning for a name already known to be relative and free of `..`; bytes kept as latin1. */
function cleanRelative(name: Buffer): string {
  return name
    .toString('latin1')
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/');
}

function addWithParents(dirs: Set<string>, rel: string): void {
  for (let dir = rel; dir !== '' && !dirs.has(dir); dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/')))) {
    dirs.add(dir);
  }
}

/**
 * HashDir of a directory (PROTOCOL.md §4.1): every non-directory entry, found by a walk that does not
 * descend symlinked directories, named relative to `dir` with `/`. A symlink is hashed through to its
 * target. Throws IO when something cannot be read (a symlink to a directory, a FIFO, a name with a newline).
 */
export async function h1OfDir(dir: string): Promise<HashString> {
  const root = await realpath(dir).catch((cause: Error) => {
    throw new RepoxyError('IO', `cannot hash directory ${dir}: ${cause.message}`, { cause });
  });
  const files: Hash1File[] = [];
  for (const name of await listFiles(root, '')) {
    if (name.includes('\n'))
      throw new RepoxyError('IO', `cannot hash ${join(root, name)}: its name contains a newline`);
    files.push({ name, sha256: await sha256File(join(root, name)) });
  }
  return hash1(files);
}

async function listFiles(root: string, rel: string): Promise<string[]> {
  let dirents: Dirent[];
  try {
    dirents = await readdir(join(root, rel), { withFileTypes: true });
  } catch (cause) {
    throw new RepoxyError('IO', `cannot list ${join(root, rel)}: ${(cause as Error).message}`, { cause });
  }
  const names: string[] = [];
  for (const d of dirents) {
    const name = rel === '' ? d.name : `${rel}/${d.name}`;
    if (d.isDirectory()) names.push(...(await listFiles(root, name)));
    else if (d.isFile() || d.isSymbolicLink()) names.push(name);
    else throw new RepoxyError('IO', `cannot hash ${join(root, name)}: not a regular file or symlink`);
  }
  return names;
}
