import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hostnameASCII } from '../domain/address.ts';
import { RepoxyError } from '../domain/errors.ts';
import type { PackageRef } from '../domain/package.ts';
import { formatPlatform } from '../domain/platform.ts';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * The local store kept across runs: upstream metadata under `refs/`, each verified archive once
 * under `packages/sha256/<hex>.zip` (keyed by content, so different bytes never collide).
 * Every write is a temp file + rename, so an interrupted run never leaves a half-written entry.
 * Nothing read from here is trusted: callers re-verify archives against signature-verified values.
 */
export class Store {
  readonly root: string;
  private dirty = false;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** True when this run added or replaced anything (the cache only needs saving then). */
  get changed(): boolean {
    return this.dirty;
  }

  async init(): Promise<void> {
    await mkdir(path.join(this.root, 'tmp'), { recursive: true });
    await mkdir(path.join(this.root, 'packages', 'sha256'), { recursive: true });
    await mkdir(path.join(this.root, 'refs'), { recursive: true });
  }

  /** Directory of one provider version's metadata. */
  versionRefDir(ref: Pick<PackageRef, 'address' | 'version'>): string {
    const a = ref.address;
    return path.join('refs', hostnameASCII(a.hostname), a.namespace, a.type, ref.version);
  }

  downloadRefPath(ref: PackageRef): string {
    return path.join(this.versionRefDir(ref), 'download', `${formatPlatform(ref.platform)}.json`);
  }

  archiveRefPath(ref: PackageRef): string {
    return path.join(this.versionRefDir(ref), 'archives', `${formatPlatform(ref.platform)}.json`);
  }

  async readRef(rel: string): Promise<Buffer | undefined> {
    try {
      return await readFile(path.join(this.root, rel));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new RepoxyError('IO', `cannot read the store entry ${rel}`, { cause: e });
    }
  }

  async writeRef(rel: string, data: Buffer | string): Promise<void> {
    const target = path.join(this.root, rel);
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = this.tmpPath();
    await writeFile(tmp, data);
    await rename(tmp, target);
    this.dirty = true;
  }

  async removeRef(rel: string): Promise<void> {
    await rm(path.join(this.root, rel), { force: true });
    this.dirty = true;
  }

  /** Removes a directory of the store with everything under it (pruning). */
  async removeTree(rel: string): Promise<void> {
    await rm(path.join(this.root, rel), { recursive: true, force: true });
    this.dirty = true;
  }

  /** A fresh path under `tmp/` on the store's filesystem (so `admitArchive` can rename). */
  tmpPath(): string {
    return path.join(this.root, 'tmp', `${process.pid}-${randomBytes(6).toString('hex')}`);
  }

  archivePath(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new RepoxyError('STORE_CORRUPT', `not a sha256: ${sha256}`);
    return path.join(this.root, 'packages', 'sha256', `${sha256}.zip`);
  }

  async hasArchive(sha256: string): Promise<boolean> {
    return stat(this.archivePath(sha256)).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  /** Moves a verified temp file into `packages/`; returns its final path. */
  async admitArchive(tmp: string, sha256: string): Promise<string> {
    const target = this.archivePath(sha256);
    await rename(tmp, target);
    this.dirty = true;
    return target;
  }

  /** Deletes a damaged archive so it is fetched again. */
  async evictArchive(sha256: string): Promise<void> {
    await unlink(this.archivePath(sha256)).catch(() => undefined);
    this.dirty = true;
  }

  /** Removes leftovers in `tmp/`; call at the end of a run. */
  async cleanTmp(): Promise<void> {
    await rm(path.join(this.root, 'tmp'), { recursive: true, force: true });
  }
}
