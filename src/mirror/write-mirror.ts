import { randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RepoxyError } from '../domain/errors.ts';
import type { MirrorFile } from './network-mirror.ts';

/** The marker that makes an existing directory ours to replace (it is also what GitHub Pages needs). */
export const MIRROR_MARKER = '.nojekyll';

/**
 * Writes `files` into a staging directory beside `outDir`, then swaps it in place of `outDir`.
 * Guarantees: on any failure (or an interrupted run) `outDir` is untouched; an existing `outDir` is
 * replaced only when it is empty or carries MIRROR_MARKER (OUTPUT_CONFLICT otherwise), so a user's
 * unrelated directory is never deleted. Throws OUTPUT_CONFLICT or IO.
 */
export async function writeMirrorAtomically(outDir: string, files: readonly MirrorFile[]): Promise<void> {
  const staging = await MirrorStaging.open(outDir);
  await staging.commit(files);
}

/**
 * The staging directory of one build, opened before the archives are fetched so that each verified
 * archive is copied in as soon as it is verified (the copies overlap with the rest of the build instead
 * of following it). `commit` writes the other files and swaps the directory in; `abort` removes it.
 * The guarantees of `writeMirrorAtomically` hold: nothing is visible at `outDir` before `commit`.
 */
export class MirrorStaging {
  /** Relative paths of the archives copied in so far. */
  private readonly staged = new Set<string>();
  private committed = false;

  private constructor(
    private readonly out: string,
    private readonly parent: string,
    private readonly base: string,
    readonly dir: string,
  ) {}

  /**
   * Refuses an unrelated `outDir` (OUTPUT_CONFLICT; checked again at the swap), cleans up after killed
   * runs, makes the directory.
   */
  static async open(outDir: string): Promise<MirrorStaging> {
    const out = path.resolve(outDir);
    const parent = path.dirname(out);
    const base = path.basename(out);
    await mkdir(parent, { recursive: true });
    await recoverInterrupted(parent, base, out);
    await assertReplaceable(out);
    const dir = path.join(parent, `.${base}.repoxy-staging-${process.pid}-${randomBytes(4).toString('hex')}`);
    await mkdir(dir);
    return new MirrorStaging(out, parent, base, dir);
  }

  /** Copies a verified archive to its place `rel` now (a copy, never a link: see copyVerified). */
  async stageArchive(rel: string, from: string): Promise<void> {
    const target = safeJoin(this.dir, rel);
    await mkdir(path.dirname(target), { recursive: true });
    await copyVerified(from, target);
    this.staged.add(rel);
  }

  /**
   * Writes every file of `files` not staged yet and swaps the directory in; the mirror holds exactly
   * `files` (an archive staged but not listed is an internal error). Any failure removes it and rethrows.
   */
  async commit(files: readonly MirrorFile[]): Promise<void> {
    try {
      const listed = new Set(files.map((f) => f.path));
      const stray = [...this.staged].filter((rel) => !listed.has(rel));
      if (stray.length)
        throw new RepoxyError('IO', `staged archives the mirror does not list: ${stray.join(', ')}`);
      await writeFiles(
        this.dir,
        files.filter((f) => !(f.kind === 'copy' && this.staged.has(f.path))),
      );
      await assertReplaceable(this.out);
      await swapIn(this.dir, this.out, this.parent, this.base);
      this.committed = true;
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  /** Removes the staging directory (a failed build leaves nothing beside the output); none once committed. */
  async abort(): Promise<void> {
    if (this.committed) return;
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function writeFiles(root: string, files: readonly MirrorFile[]): Promise<void> {
  const made = new Set<string>();
  for (const f of files) {
    const target = safeJoin(root, f.path);
    const dir = path.dirname(target);
    if (!made.has(dir)) {
      await mkdir(dir, { recursive: true });
      made.add(dir);
    }
    if (f.kind === 'text') await writeFile(target, f.text, { flag: 'wx', mode: 0o644 });
    else if (f.kind === 'bytes') await writeFile(target, f.bytes, { flag: 'wx', mode: 0o644 });
    else await copyVerified(f.from, target);
  }
}

/**
 * A copy of the verified archive (a copy-on-write clone where the filesystem can), never a hard link:
 * the store is untrusted, so nothing published may share an inode with it (writing into a store file
 * after verification must not change the mirror). The mirror holds a regular file: no symlinks.
 */
async function copyVerified(from: string, target: string): Promise<void> {
  await copyFile(from, target, fsc.COPYFILE_EXCL | fsc.COPYFILE_FICLONE);
}

/** Joins a relative mirror path under root, refusing anything that could escape it. */
export function safeJoin(root: string, rel: string): string {
  const bad =
    rel === '' ||
    rel.includes('\0') ||
    rel.includes('\\') ||
    rel.startsWith('/') ||
    rel.split('/').some((s) => s === '' || s === '.' || s === '..');
  if (bad)
    throw new RepoxyError('IO', `refusing to write an unsafe path into the mirror: ${JSON.stringify(rel)}`);
  return path.join(root, ...rel.split('/'));
}

/** Throws OUTPUT_CONFLICT unless `out` is absent, an empty directory, or a previous mirror (has MIRROR_MARKER). */
export async function assertReplaceable(out: string): Promise<void> {
  const st = await stat(out).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (!st) return;
  if (!st.isDirectory()) {
    throw new RepoxyError(
      'OUTPUT_CONFLICT',
      `output ${out} exists and is not a directory; choose another --out`,
    );
  }
  const entries = await readdir(out);
  if (entries.length > 0 && !entries.includes(MIRROR_MARKER)) {
    throw new RepoxyError(
      'OUTPUT_CONFLICT',
      `output ${out} is a non-empty directory that is not a mirror written by repoxy (no ${MIRROR_MARKER}); ` +
        'refusing to replace it: choose an empty or new directory',
    );
  }
}

async function swapIn(staging: string, out: string, parent: string, base: string): Promise<void> {
  const old = path.join(parent, `.${base}.repoxy-old-${process.pid}-${randomBytes(4).toString('hex')}`);
  let moved = false;
  try {
    await rename(out, old);
    moved = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  try {
    await rename(staging, out);
  } catch (e) {
    if (moved) await rename(old, out);
    throw new RepoxyError('IO', `could not move the new mirror into ${out}`, { cause: e });
  }
  if (moved) await rm(old, { recursive: true, force: true });
}

const LEFTOVER = /^\.(.+)\.repoxy-(staging|old)-(\d+)-[0-9a-f]{8}$/;

/**
 * Cleans up after interrupted runs of this same output: staging directories are removed; an `old`
 * directory (a crash between the two renames) is put back when the output itself is missing.
 */
async function recoverInterrupted(parent: string, base: string, out: string): Promise<void> {
  for (const name of (await readdir(parent)).sort()) {
    const m = LEFTOVER.exec(name);
    if (!m || m[1] !== base || isProcessAlive(Number(m[3]))) continue;
    const leftover = path.join(parent, name);
    if (m[2] === 'old' && !(await exists(out))) await rename(leftover, out);
    else await rm(leftover, { recursive: true, force: true });
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** True unless no process `pid` exists (EPERM: it exists, owned by someone else), so leftovers are ours. */
export function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
