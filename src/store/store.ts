import { randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { lstat, mkdir, open, realpath, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { hostnameASCII } from '../domain/address.ts';
import { RepoxyError } from '../domain/errors.ts';
import type { PackageRef } from '../domain/package.ts';
import { formatPlatform } from '../domain/platform.ts';

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Stored documents are small (a download document, SHA256SUMS, a signature): larger is not ours. */
const MAX_REF_BYTES = 4 * 1024 * 1024;

/**
 * The local store kept across runs: upstream metadata under `refs/`, each verified archive once
 * under `packages/sha256/<hex>.zip` (keyed by content, so different bytes never collide).
 * Every write is a temp file + rename, so an interrupted run never leaves a half-written entry.
 * Nothing read from here is trusted (anyone who can write the Actions cache writes it): entries must be
 * regular files (never followed through a symlink), writes stay under the root, and what is read is a
 * candidate that `store/trust.ts` proves against an anchor from outside the store.
 */
export class Store {
  readonly root: string;
  private realRoot: string | undefined;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** Creates the layout; a top-level directory that is not a real directory (a symlink) is replaced. */
  async init(): Promise<string[]> {
    await mkdir(this.root, { recursive: true });
    const replaced: string[] = [];
    for (const rel of ['tmp', 'packages', path.join('packages', 'sha256'), 'refs']) {
      const st = await lstat(path.join(this.root, rel)).catch(() => undefined);
      if (st && !st.isDirectory()) {
        replaced.push(rel);
        await rm(path.join(this.root, rel), { recursive: true, force: true });
      }
      await mkdir(path.join(this.root, rel), { recursive: true });
    }
    this.realRoot = await realpath(this.root);
    return replaced;
  }

  /** Directory of one provider version's metadata. */
  versionRefDir(ref: Pick<PackageRef, 'address' | 'version'>): string {
    const a = ref.address;
    return path.join('refs', hostnameASCII(a.hostname), a.namespace, a.type, ref.version);
  }

  downloadRefPath(ref: PackageRef): string {
    return path.join(this.versionRefDir(ref), 'download', `${formatPlatform(ref.platform)}.json`);
  }

  /**
   * A stored entry's bytes, or undefined when there is none. Throws STORE_CORRUPT when the entry is not
   * a regular file (a symlink is not followed): the caller reports it and discards it.
   */
  async readRef(rel: string): Promise<Buffer | undefined> {
    return readRegularFile(path.join(this.root, rel), rel);
  }

  /** Writes a document; a directory on its way that is not a real directory (a symlink) is replaced. */
  async writeRef(rel: string, data: Buffer | string): Promise<void> {
    const target = path.join(this.root, rel);
    await this.realDirectories(path.dirname(rel));
    await this.assertInside(path.dirname(target), rel);
    const tmp = this.tmpPath();
    await writeFile(tmp, data, { flag: 'wx' });
    const st = await lstat(target).catch(() => undefined);
    if (st && !st.isFile()) await rm(target, { recursive: true, force: true }); // a planted directory
    await rename(tmp, target);
  }

  /**
   * Removes a document, or a directory with everything under it (pruning); nothing is removed through a
   * directory that leads outside the store.
   */
  async removeRef(rel: string): Promise<void> {
    const target = path.join(this.root, rel);
    const dir = await realpath(path.dirname(target)).catch(() => undefined);
    if (!dir || !this.isInside(dir)) return;
    await rm(target, { recursive: true, force: true }); // a link is removed, not followed
  }

  /** Creates each directory of `rel` under the root, replacing whatever is there that is not a directory. */
  private async realDirectories(rel: string): Promise<void> {
    let dir = this.root;
    for (const part of rel.split(path.sep)) {
      dir = path.join(dir, part);
      const st = await lstat(dir).catch(() => undefined);
      if (st?.isDirectory()) continue;
      if (st) await rm(dir, { force: true }).catch(() => undefined); // a concurrent write may have replaced it
      await mkdir(dir).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e; // a concurrent write made it
      });
    }
  }

  /** A fresh path under `tmp/` on the store's filesystem (so `admitArchive` can rename). */
  tmpPath(): string {
    return path.join(this.root, 'tmp', `${process.pid}-${randomBytes(6).toString('hex')}`);
  }

  archivePath(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new RepoxyError('STORE_CORRUPT', `not a sha256: ${sha256}`);
    return path.join(this.root, 'packages', 'sha256', `${sha256}.zip`);
  }

  /** Moves a verified temp file into `packages/`; returns its final path. */
  async admitArchive(tmp: string, sha256: string): Promise<string> {
    const target = this.archivePath(sha256);
    await this.assertInside(path.dirname(target), 'packages/sha256');
    await rename(tmp, target);
    return target;
  }

  /** Refuses to write through a directory the store redirected elsewhere (a symlinked `refs/` subdirectory). */
  private async assertInside(dir: string, rel: string): Promise<void> {
    const real = await realpath(dir);
    if (!this.isInside(real))
      throw new RepoxyError('STORE_CORRUPT', `the store entry ${rel} leads outside the store (to ${real})`);
  }

  private isInside(real: string): boolean {
    const root = this.realRoot ?? this.root;
    return real === root || real.startsWith(root + path.sep);
  }

  /** Deletes a damaged archive so it is fetched again. */
  async evictArchive(sha256: string): Promise<void> {
    // Whatever is there (a file, a link: not followed, a directory planted under an archive's name).
    await rm(this.archivePath(sha256), { recursive: true, force: true });
  }

  /** Removes leftovers in `tmp/`; call at the end of a run. */
  async cleanTmp(): Promise<void> {
    await rm(path.join(this.root, 'tmp'), { recursive: true, force: true });
  }
}

/** Reads `file` only when it is a regular file of a document's size (see `openStoreEntry`). */
async function readRegularFile(file: string, rel: string): Promise<Buffer | undefined> {
  const handle = await openStoreEntry(file, rel);
  if (!handle) return undefined;
  try {
    const { size } = await handle.stat();
    if (size > MAX_REF_BYTES)
      throw new RepoxyError(
        'STORE_CORRUPT',
        `the store entry ${rel} is ${size} bytes, more than any document`,
      );
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * Opens a store entry without following a symlink (O_NOFOLLOW); undefined when there is none. Throws
 * STORE_CORRUPT when it is a symlink, not a regular file, or cannot be read.
 */
export async function openStoreEntry(file: string, rel: string): Promise<FileHandle | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, fsc.O_RDONLY | fsc.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'ELOOP') throw new RepoxyError('STORE_CORRUPT', `the store entry ${rel} is a symlink`);
    throw new RepoxyError('STORE_CORRUPT', `the store entry ${rel} cannot be read (${code ?? String(e)})`);
  }
  if (!(await handle.stat()).isFile()) {
    await handle.close();
    throw new RepoxyError('STORE_CORRUPT', `the store entry ${rel} is not a regular file`);
  }
  return handle;
}
