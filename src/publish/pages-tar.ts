import { createReadStream } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { RepoxyError } from '../domain/errors.ts';
import type { MirrorTreeEntry } from './mirror-tree.ts';
import { listMirrorTree } from './mirror-tree.ts';

/**
 * The tar inside the `github-pages` artifact, as actions/upload-pages-artifact makes it with
 * `tar --dereference --hard-dereference --directory DIR -cf artifact.tar --exclude=.git --exclude=.github .`:
 * entries named `./`, `./a/`, `./a/file`, only files and directories. Written here as POSIX ustar (pax
 * records only for names or sizes ustar cannot hold) in a fixed order with fixed modes, owner and
 * mtime, so the same directory always gives the same bytes.
 */

/** The file name actions/deploy-pages looks for inside the artifact. */
export const PAGES_TAR_NAME = 'artifact.tar';
/** What upload-pages-artifact leaves out, wherever it occurs. */
export const PAGES_EXCLUDED_NAMES = ['.git', '.github'] as const;
/** 1980-01-01T00:00:00Z, the zip epoch: a fixed mtime keeps the tar deterministic. */
export const PAGES_TAR_MTIME = 315_532_800;

const BLOCK = 512;
/** GNU tar's default record (blocking factor 20): the archive is padded to a multiple of it. */
const RECORD = 20 * BLOCK;
const USTAR_MAX_SIZE = 0o77777777777;
const MODE_DIR = 0o755;
const MODE_FILE = 0o644;

export interface PagesTarResult {
  readonly path: string;
  readonly bytes: number;
  readonly files: number;
  readonly directories: number;
}

/** The entries upload-pages-artifact would archive from `dir` (throws as `listMirrorTree`). */
export function listPagesEntries(dir: string): Promise<MirrorTreeEntry[]> {
  return listMirrorTree(dir, { exclude: PAGES_EXCLUDED_NAMES });
}

/** The name of an entry in the tar: `./`, `./dir/`, `./dir/file`. */
export function pagesTarName(entry: Pick<MirrorTreeEntry, 'path' | 'kind'>): string {
  if (entry.path === '') return './';
  return `./${entry.path}${entry.kind === 'dir' ? '/' : ''}`;
}

/** Exact size in bytes of the tar `writePagesTar` writes for `entries`. */
export function pagesTarSize(entries: readonly MirrorTreeEntry[]): number {
  let bytes = 0;
  for (const e of entries) {
    const headers = entryHeaders(e, PAGES_TAR_MTIME);
    bytes += headers.reduce((n, h) => n + h.length, 0) + padded(e.size);
  }
  return padTo(bytes + 2 * BLOCK, RECORD);
}

/**
 * Writes the tar of `entries` (from `listPagesEntries`) to `file`, streaming each file's bytes.
 * Throws PUBLISH when a file's size changed since it was listed (the tar would be corrupt) and IO
 * when reading or writing fails; `file` is removed on failure.
 */
export async function writePagesTar(
  entries: readonly MirrorTreeEntry[],
  file: string,
  options: { mtime?: number } = {},
): Promise<PagesTarResult> {
  const mtime = options.mtime ?? PAGES_TAR_MTIME;
  const out = await open(file, 'w', 0o644);
  let bytes = 0;
  try {
    for (const e of entries) {
      for (const header of entryHeaders(e, mtime)) bytes += await write(out, header);
      if (e.kind === 'file') bytes += await copyFileBody(out, e);
    }
    bytes += await write(out, Buffer.alloc(padTo(bytes + 2 * BLOCK, RECORD) - bytes));
    await out.close();
  } catch (err) {
    await out.close().catch(() => undefined);
    await rm(file, { force: true });
    throw err;
  }
  const files = entries.filter((e) => e.kind === 'file').length;
  return { path: file, bytes, files, directories: entries.length - files };
}

/** Lists `dir` as upload-pages-artifact would and writes its tar to `file`. */
export async function writePagesTarOfDir(dir: string, file: string): Promise<PagesTarResult> {
  return writePagesTar(await listPagesEntries(dir), file);
}

async function write(out: FileHandle, data: Buffer): Promise<number> {
  if (data.length > 0) await out.write(data);
  return data.length;
}

async function copyFileBody(out: FileHandle, e: MirrorTreeEntry): Promise<number> {
  let copied = 0;
  try {
    for await (const chunk of createReadStream(e.absolute, { highWaterMark: 1024 * 1024 })) {
      const buf = chunk as Buffer;
      copied += buf.length;
      if (copied > e.size) break;
      await out.write(buf);
    }
  } catch (cause) {
    throw new RepoxyError('IO', `cannot read ${e.absolute} into the Pages tar: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (copied !== e.size) {
    throw new RepoxyError(
      'PUBLISH',
      `${e.absolute} changed size while the Pages tar was written (${e.size} bytes listed, ${copied} read); ` +
        'nothing may write into the mirror while it is being published',
    );
  }
  return copied + (await write(out, Buffer.alloc(padded(e.size) - e.size)));
}

function padded(n: number): number {
  return padTo(n, BLOCK);
}

function padTo(n: number, unit: number): number {
  return Math.ceil(n / unit) * unit;
}

/** The ustar header of an entry, preceded by a pax header when its name or size does not fit. */
function entryHeaders(e: MirrorTreeEntry, mtime: number): Buffer[] {
  const name = pagesTarName(e);
  const split = splitUstarName(name);
  const records: string[] = [];
  if (!split) records.push(paxRecord('path', name));
  if (e.size > USTAR_MAX_SIZE) records.push(paxRecord('size', String(e.size)));
  const fallbackName = split ?? { prefix: '', name: Buffer.from(name).subarray(0, 99).toString('latin1') };
  const header = ustarHeader({
    ...fallbackName,
    typeflag: e.kind === 'dir' ? '5' : '0',
    mode: e.kind === 'dir' ? MODE_DIR : MODE_FILE,
    size: e.kind === 'dir' || e.size > USTAR_MAX_SIZE ? 0 : e.size,
    mtime,
  });
  if (records.length === 0) return [header];
  const body = Buffer.from(records.join(''), 'utf8');
  const paxHeader = ustarHeader({
    prefix: '',
    name: './PaxHeaders/entry',
    typeflag: 'x',
    mode: MODE_FILE,
    size: body.length,
    mtime,
  });
  return [paxHeader, body, Buffer.alloc(padded(body.length) - body.length), header];
}

/** `LEN key=value\n` where LEN counts the whole record, itself included (POSIX pax). */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(rest);
  while (String(len).length + Buffer.byteLength(rest) !== len)
    len = String(len).length + Buffer.byteLength(rest);
  return `${len}${rest}`;
}

/** ustar keeps names up to 100 bytes, or 155 + `/` + 100 split at a slash; undefined otherwise. */
function splitUstarName(name: string): { prefix: string; name: string } | undefined {
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.some((b) => b >= 0x80)) return undefined;
  if (bytes.length <= 100) return { prefix: '', name };
  const body = name.endsWith('/') ? name.slice(0, -1) : name;
  for (let i = body.lastIndexOf('/'); i > 0; i = body.lastIndexOf('/', i - 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (prefix.length <= 155 && rest.length <= 100 && rest !== '') return { prefix, name: rest };
    if (rest.length > 100) return undefined;
  }
  return undefined;
}

interface UstarFields {
  readonly prefix: string;
  readonly name: string;
  readonly typeflag: '0' | '5' | 'x';
  readonly mode: number;
  readonly size: number;
  readonly mtime: number;
}

function ustarHeader(f: UstarFields): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(f.name, 0, 100, 'latin1');
  h.write(octal(f.mode, 7), 100, 'ascii');
  h.write(octal(0, 7), 108, 'ascii');
  h.write(octal(0, 7), 116, 'ascii');
  h.write(octal(f.size, 11), 124, 'ascii');
  h.write(octal(f.mtime, 11), 136, 'ascii');
  h.write(f.typeflag, 156, 'ascii');
  h.write('ustar\u000000', 257, 'latin1');
  h.write(f.prefix, 345, 155, 'latin1');
  h.fill(0x20, 148, 156);
  const sum = h.reduce((n, b) => n + b, 0);
  h.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'latin1');
  return h;
}

/** A zero-padded octal number of `digits` digits followed by NUL. */
function octal(n: number, digits: number): string {
  return `${n.toString(8).padStart(digits, '0')}\u0000`;
}
