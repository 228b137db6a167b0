import { rm, stat } from 'node:fs/promises';
import { formatAddress } from '../domain/address.ts';
import { isRepoxyError, RepoxyError } from '../domain/errors.ts';
import type { ArchiveRecord, PackageRef, PlannedProvider } from '../domain/package.ts';
import { formatPlatform } from '../domain/platform.ts';
import type { Reporter } from '../events.ts';
import type { DownloadMeta, DownloadResult, SumsEvidence } from '../upstream/source.ts';
import { hashStreamedZip, hashZip } from '../verify/h1.ts';
import { verifyArchive } from '../verify/verify-archive.ts';
import { sha256File } from '../verify/zh.ts';
import { StreamingZipHasher, type StreamedZip } from '../verify/zip-stream.ts';
import type { CachedSource } from './cached-source.ts';
import type { Store } from './store.ts';

export interface PackageContext {
  readonly store: Store;
  readonly source: CachedSource;
  readonly report: Reporter;
  readonly env: NodeJS.ProcessEnv;
}

/** A verified archive and the upstream evidence that proved it (kept for the registry-protocol view). */
export interface MirroredPackage {
  readonly record: ArchiveRecord;
  readonly meta: DownloadMeta;
  readonly sums: SumsEvidence;
}

interface ZipHashes {
  readonly h1Zip: string;
  readonly h1Unpacked: string;
  /** Odd entries to report (symlinks, duplicate names), kept with the archive's record. */
  readonly notes: readonly string[];
}

interface Obtained {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly reused: boolean;
  /** Undefined when the bytes do not hash to the registry's shasum: verification then fails on it. */
  readonly zipHashes: ZipHashes | undefined;
}

/**
 * Fetches (or reuses from the store) and verifies one archive. Fails closed: throws the
 * verification error. When anything came from the store and verification fails, the cached
 * metadata and archive are dropped and the package is fetched once more from upstream.
 */
export async function mirrorPackage(
  ref: PackageRef,
  provider: PlannedProvider,
  ctx: PackageContext,
): Promise<MirroredPackage> {
  try {
    return await attempt(ref, provider, ctx);
  } catch (err) {
    if (!isRepoxyError(err) || !err.code.startsWith('VERIFY_')) throw err;
    const cached = ctx.source.servedFromStore(ref);
    await ctx.source.forget(ref);
    if (!cached) throw err;
    ctx.report({
      type: 'store-corrupt',
      ref,
      message: `cached data failed verification (${err.message}); fetching again`,
    });
    return attempt(ref, provider, ctx);
  }
}

async function attempt(
  ref: PackageRef,
  provider: PlannedProvider,
  ctx: PackageContext,
): Promise<MirroredPackage> {
  const meta = await ctx.source.downloadMeta(ref);
  const sums = await ctx.source.sums(meta);
  const got = await obtainArchive(meta, ctx);
  let verification;
  try {
    verification = await verifyArchive({
      meta,
      sums,
      download: { path: got.path, size: got.size, sha256: got.sha256 },
      zipHashes: got.zipHashes,
      lockHashes: provider.hashes,
      enforceGpgValidation: ctx.env.OPENTOFU_ENFORCE_GPG_VALIDATION === 'true',
      enforceExpiration: ctx.env.OPENTOFU_ENFORCE_GPG_EXPIRATION === 'true',
    });
  } catch (err) {
    if (got.reused) await ctx.store.evictArchive(got.sha256);
    throw err;
  }
  const zipHashes = got.zipHashes;
  if (!zipHashes) throw new Error('internal: an archive passed verification without zip hashes');
  for (const note of zipHashes.notes) ctx.report({ type: 'warning', message: `${describe(ref)}: ${note}` });
  const localPath = got.reused ? got.path : await ctx.store.admitArchive(got.path, got.sha256);
  if (!got.reused)
    await ctx.store.writeRef(
      ctx.store.archiveRefPath(ref),
      JSON.stringify({ sha256: got.sha256, ...zipHashes }),
    );
  const record: ArchiveRecord = {
    ref,
    filename: meta.filename,
    size: got.size,
    zh: `zh:${got.sha256}`,
    h1: zipHashes.h1Zip,
    source: got.reused ? 'store' : 'upstream',
    downloadUrl: meta.downloadUrl,
    verification,
    localPath,
  };
  return { record, meta, sums };
}

/** Reuses a stored archive whose bytes still hash to the expected value, else downloads it. */
async function obtainArchive(meta: DownloadMeta, ctx: PackageContext): Promise<Obtained> {
  const { store } = ctx;
  if (await store.hasArchive(meta.shasum)) {
    const stored = store.archivePath(meta.shasum);
    const sha256 = await sha256File(stored);
    if (sha256 === meta.shasum) {
      const { size } = await stat(stored);
      const zipHashes = (await cachedZipHashes(meta.ref, sha256, ctx)) ?? (await hashZip(stored));
      return { path: stored, size, sha256, reused: true, zipHashes };
    }
    ctx.report({
      type: 'store-corrupt',
      ref: meta.ref,
      message: `cached archive for ${describe(meta.ref)} is damaged (sha256 ${sha256}, expected ${meta.shasum}); fetching it again`,
    });
    await store.evictArchive(meta.shasum);
  }
  const dl = await downloadOnceMoreIfDamaged(meta, ctx);
  // Only bytes that hash to the registry's shasum are parsed as a zip; other bytes fail the shasum
  // check (verifyArchive) before their zip hashes could matter.
  const zipHashes = dl.sha256 === meta.shasum ? await zipHashesOf(dl, meta, ctx) : undefined;
  if (!zipHashes) dl.observer?.abandon(); // its entries do not matter: stop inflating them
  return { path: dl.path, size: dl.size, sha256: dl.sha256, reused: false, zipHashes };
}

/**
 * Downloads into the store's tmp/. Bytes that do not hash to the registry's shasum (damaged in
 * transit, or a short body that looked complete) are fetched once more before verification judges.
 */
async function downloadOnceMoreIfDamaged(
  meta: DownloadMeta,
  ctx: PackageContext,
): Promise<DownloadResult<StreamingZipHasher>> {
  // The zip's entries are hashed while it downloads; a new hasher for each attempt.
  const observe = (): StreamingZipHasher => new StreamingZipHasher();
  const first = await ctx.source.download(meta, ctx.store.tmpPath(), observe);
  if (first.sha256 === meta.shasum) return first;
  ctx.report({
    type: 'warning',
    message:
      `${describe(meta.ref)}: ${meta.filename} arrived with sha256 ${first.sha256} (${first.size} bytes), ` +
      `expected ${meta.shasum}; downloading it once more`,
  });
  first.observer?.abandon();
  await rm(first.path, { force: true });
  return ctx.source.download(meta, ctx.store.tmpPath(), observe);
}

/**
 * Both h1: of a downloaded zip: from the hashing done while it downloaded when its central directory
 * confirms it, else from a pass over the file. A VERIFY_BAD_ZIP names the package and archive, not
 * the temp file.
 */
async function zipHashesOf(
  dl: DownloadResult<StreamingZipHasher>,
  meta: DownloadMeta,
  ctx: PackageContext,
): Promise<ZipHashes> {
  const file = dl.path;
  const streamed: StreamedZip = dl.observer
    ? await dl.observer.finish()
    : { ok: false, why: 'the download was not observed' };
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
    if (!isRepoxyError(err) || err.code !== 'VERIFY_BAD_ZIP') throw err;
    const message = `${describe(meta.ref)}: ${err.message.replaceAll(file, `archive ${meta.filename}`)}`;
    throw new RepoxyError('VERIFY_BAD_ZIP', message, { detail: err.detail, cause: err });
  }
}

async function cachedZipHashes(
  ref: PackageRef,
  sha256: string,
  ctx: PackageContext,
): Promise<ZipHashes | undefined> {
  const bytes = await ctx.store.readRef(ctx.store.archiveRefPath(ref));
  if (!bytes) return undefined;
  try {
    const rec = JSON.parse(bytes.toString('utf8')) as {
      sha256?: string;
      h1Zip?: string;
      h1Unpacked?: string;
      notes?: unknown;
    };
    if (rec.sha256 !== sha256 || typeof rec.h1Zip !== 'string' || typeof rec.h1Unpacked !== 'string')
      return undefined;
    const notes = Array.isArray(rec.notes) ? rec.notes.filter((n): n is string => typeof n === 'string') : [];
    return { h1Zip: rec.h1Zip, h1Unpacked: rec.h1Unpacked, notes };
  } catch {
    return undefined;
  }
}

function describe(ref: PackageRef): string {
  return `${formatAddress(ref.address)} ${ref.version} ${formatPlatform(ref.platform)}`;
}
