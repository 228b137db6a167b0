import { createHash } from 'node:crypto';
import { isRepoxyError, RepoxyError } from '../domain/errors.ts';
import { hashStreamedZip, hashZip, type ZipHashes } from '../verify/h1.ts';
import { StreamingZipHasher } from '../verify/zip-stream.ts';
import { openStoreEntry, type Store } from './store.ts';

/** An archive's bytes as measured in this run: nothing here comes from a stored claim. */
export interface MeasuredArchive {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly zipHashes: ZipHashes;
}

/** 1 MiB reads, as `sha256File` (BENCHMARKS.md: each read is a thread-pool round trip). */
const READ_BYTES = 1024 * 1024;

/**
 * Hashes the stored archive named `sha256` in one streaming read: its sha256 and both h1: (the zip's
 * entries are hashed from the same bytes, confirmed by the central directory like a download's, else
 * hashed again from the file). Undefined when there is no such entry. Throws STORE_CORRUPT naming the
 * failed check when the entry is not a regular file (symlinks are not followed), its bytes do not hash
 * to its name, or it is not a zip tofu could install.
 */
export async function measureStoredArchive(
  store: Store,
  sha256: string,
): Promise<MeasuredArchive | undefined> {
  const file = store.archivePath(sha256);
  const rel = `packages/sha256/${sha256}.zip`;
  const handle = await openStoreEntry(file, rel);
  if (!handle) return undefined;
  const hasher = new StreamingZipHasher();
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of handle.createReadStream({ highWaterMark: READ_BYTES, autoClose: false })) {
      const bytes = chunk as Buffer;
      size += bytes.length;
      hash.update(bytes);
      if (!hasher.write(bytes)) await hasher.drained();
    }
  } finally {
    await handle.close();
  }
  const actual = hash.digest('hex');
  if (actual !== sha256) {
    hasher.abandon();
    await hasher.finish();
    throw new RepoxyError(
      'STORE_CORRUPT',
      `the store entry ${rel} hashes to sha256 ${actual}, not to its name`,
    );
  }
  const zipHashes = (await hashStreamedZip(file, await hasher.finish())) ?? (await hashAgain(file, rel));
  return { path: file, size, sha256, zipHashes };
}

async function hashAgain(file: string, rel: string): Promise<ZipHashes> {
  try {
    return await hashZip(file);
  } catch (err) {
    if (!isRepoxyError(err)) throw err;
    throw new RepoxyError(
      'STORE_CORRUPT',
      `the store entry ${rel} is not an installable zip (${err.message})`,
      {
        cause: err,
      },
    );
  }
}
