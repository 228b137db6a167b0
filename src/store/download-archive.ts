import { rm } from 'node:fs/promises';
import { isRepoxyError, RepoxyError } from '../domain/errors.ts';
import type { PlannedProvider } from '../domain/package.ts';
import type { DownloadMeta, DownloadResult, SumsEvidence } from '../upstream/source.ts';
import { hashStreamedZip, hashZip, type ZipHashes } from '../verify/h1.ts';
import { describePackage as describe } from '../verify/verify-archive.ts';
import { StreamingZipHasher, type StreamedZip } from '../verify/zip-stream.ts';
import type { PackageContext } from './context.ts';
import type { MeasuredArchive } from './stored-archive.ts';
import { refuseMismatched } from './trust.ts';

/**
 * Downloads into the store's tmp/ and hashes it while it arrives. Bytes that do not hash to the
 * registry's shasum (damaged in transit) are fetched once more; verification then judges them.
 */
export async function download(
  provider: PlannedProvider,
  meta: DownloadMeta,
  sums: SumsEvidence,
  ctx: PackageContext,
): Promise<MeasuredArchive> {
  const observe = (): StreamingZipHasher => new StreamingZipHasher();
  let dl = await ctx.source.download(meta, ctx.store.tmpPath(), observe);
  if (dl.sha256 !== meta.shasum) {
    ctx.report({
      type: 'warning',
      message:
        `${describe(meta.ref)}: ${meta.filename} arrived with sha256 ${dl.sha256} (${dl.size} bytes), ` +
        `expected ${meta.shasum}; downloading it once more`,
    });
    dl.observer?.abandon();
    await rm(dl.path, { force: true });
    dl = await ctx.source.download(meta, ctx.store.tmpPath(), observe);
  }
  if (dl.sha256 !== meta.shasum) {
    dl.observer?.abandon(); // its entries do not matter: the chain fails on its size or sha256
    await rm(dl.path, { force: true });
    await refuseMismatched(
      provider,
      meta,
      sums,
      { path: dl.path, size: dl.size, sha256: dl.sha256 },
      ctx.chain,
    );
  }
  return { path: dl.path, size: dl.size, sha256: dl.sha256, zipHashes: await zipHashesOf(dl, meta, ctx) };
}

/** Both h1: of a downloaded zip, from the hashing done while it downloaded, else from the file. */
async function zipHashesOf(
  dl: DownloadResult<StreamingZipHasher>,
  meta: DownloadMeta,
  ctx: PackageContext,
): Promise<ZipHashes> {
  const file = dl.path;
  const streamed: StreamedZip = dl.observer ? await dl.observer.finish() : { ok: false, why: 'not observed' };
  const hashes = await hashStreamedZip(file, streamed);
  if (hashes) return hashes;
  const why = streamed.ok ? 'its central directory differs from what streamed' : streamed.why;
  ctx.report({
    type: 'debug',
    message: `${describe(meta.ref)}: hashing ${meta.filename} again from the file (${why})`,
  });
  try {
    return await hashZip(file);
  } catch (err) {
    await rm(file, { force: true });
    if (!isRepoxyError(err) || err.code !== 'VERIFY_BAD_ZIP') throw err;
    const message = `${describe(meta.ref)}: ${err.message.replaceAll(file, `archive ${meta.filename}`)}`;
    throw new RepoxyError('VERIFY_BAD_ZIP', message, { detail: err.detail, cause: err });
  }
}
