import { rm } from 'node:fs/promises';
import { isRepoxyError, RepoxyError } from '../domain/errors.ts';
import type { ArchiveRecord, PackageRef, PlannedProvider, Verification } from '../domain/package.ts';
import type { Reporter } from '../events.ts';
import type { DownloadMeta, DownloadResult, SumsEvidence } from '../upstream/source.ts';
import { hashStreamedZip, hashZip, type ZipHashes } from '../verify/h1.ts';
import { describePackage as describe } from '../verify/verify-archive.ts';
import { StreamingZipHasher, type StreamedZip } from '../verify/zip-stream.ts';
import type { CachedSource } from './cached-source.ts';
import { reportSkippedChecks } from './skipped-checks.ts';
import { measureStoredArchive, type MeasuredArchive } from './stored-archive.ts';
import type { Store } from './store.ts';
import {
  lockAnchor,
  lockPinsVersion,
  refuseMismatched,
  selfConsistent,
  verifyAgainstUpstream,
  type ChainOptions,
} from './trust.ts';

export interface PackageContext {
  readonly store: Store;
  readonly source: CachedSource;
  readonly report: Reporter;
  readonly env: NodeJS.ProcessEnv;
  /** A signature not verified in this run (no keys, or only a lock anchor) fails the archive. */
  readonly requireSignatures?: boolean;
}

/** A verified archive and the evidence for the registry-protocol view, trustworthy by an anchor. */
export interface MirroredPackage {
  readonly record: ArchiveRecord;
  readonly meta: DownloadMeta;
  readonly sums: SumsEvidence;
}

/** A stored archive measured in this run, with the stored document that pointed at it. */
interface Candidate {
  readonly meta: DownloadMeta;
  readonly measured: MeasuredArchive;
  /** Set when a lock-file hash matches the measured bytes. */
  readonly lock: string | undefined;
}

/**
 * Mirrors one archive, cheapest anchor first: (a) a stored archive whose bytes match a lock-file hash,
 * with stored metadata only where it is self-consistent; (b) metadata fetched from upstream in this run,
 * with the stored archive reused only when its bytes match it; (c) a download. Anything stored that fails
 * a check is reported (`store-corrupt`), discarded and fetched again. Fails closed: throws VERIFY_*.
 */
export async function mirrorPackage(
  ref: PackageRef,
  provider: PlannedProvider,
  ctx: PackageContext,
): Promise<MirroredPackage> {
  const candidate = await storedCandidate(ref, provider, ctx);
  const done =
    (candidate?.lock && !ctx.requireSignatures ? await lockAnchored(provider, candidate, ctx) : undefined) ??
    (await upstreamAnchored(ref, provider, candidate?.measured, ctx));
  requireSignature(done.record, ctx);
  reportSkippedChecks(done.record, ctx.report);
  return done;
}

/** The stored archive the stored document points at, measured; undefined when none is usable. */
async function storedCandidate(
  ref: PackageRef,
  provider: PlannedProvider,
  ctx: PackageContext,
): Promise<Candidate | undefined> {
  const meta = await discardIfCorrupt(
    ref,
    ctx,
    () => ctx.source.candidateMeta(ref),
    () => ctx.source.forget(ref),
  );
  if (!meta) return undefined;
  const measured = await measure(ref, meta.shasum, ctx);
  if (!measured) return undefined;
  const lock = lockAnchor(provider, measured);
  if (!lock && lockPinsVersion(provider)) {
    await discard(ref, ctx, `${measured.path} matches none of the lock files' hashes`, () =>
      ctx.store.evictArchive(measured.sha256),
    );
    return undefined;
  }
  return { meta, measured, lock };
}

/** (a) LOCK ANCHOR: publishes the stored archive with the stored metadata when that is self-consistent. */
async function lockAnchored(
  provider: PlannedProvider,
  candidate: Candidate,
  ctx: PackageContext,
): Promise<MirroredPackage | undefined> {
  const ref = candidate.meta.ref;
  const sums = await discardIfCorrupt(
    ref,
    ctx,
    () => ctx.source.candidateSums(ref),
    () => ctx.source.forget(ref),
  );
  if (!sums) return undefined;
  const checked = await selfConsistent(provider, candidate.meta, sums, candidate.measured, chainOptions(ctx));
  if ('unanchored' in checked) return undefined;
  if ('failed' in checked) {
    await discard(ref, ctx, `stored metadata is not self-consistent: ${checked.failed}`, () =>
      ctx.source.forget(ref),
    );
    return undefined;
  }
  // Anchor: the lock file (the bytes' hash is the lock's); the metadata is only consistent with it.
  const verification: Verification = { ...checked.chain, anchor: 'lock-file', anchorDetail: candidate.lock! };
  return packageOf(candidate.meta, sums, candidate.measured, verification, 'store', ctx);
}

/** (b)/(c) UPSTREAM ANCHOR: metadata fetched in this run; the stored archive if its bytes match, else a download. */
async function upstreamAnchored(
  ref: PackageRef,
  provider: PlannedProvider,
  measured: MeasuredArchive | undefined,
  ctx: PackageContext,
): Promise<MirroredPackage> {
  const meta = await ctx.source.downloadMeta(ref);
  const sums = await ctx.source.sums(meta);
  if (measured && measured.sha256 !== meta.shasum) {
    const why = `${measured.path} is not the upstream archive (sha256 ${meta.shasum}) of ${describe(ref)}`;
    await discard(ref, ctx, why, () => ctx.store.evictArchive(measured.sha256));
  }
  const stored = measured?.sha256 === meta.shasum ? measured : await measure(ref, meta.shasum, ctx);
  if (stored) {
    // Anchor: upstream metadata fetched and verified in this run; the stored bytes hash to its shasum.
    const verification = await verifyAgainstUpstream(provider, meta, sums, stored, chainOptions(ctx));
    return packageOf(meta, sums, stored, verification, 'store', ctx);
  }
  const fetched = await download(provider, meta, sums, ctx);
  // Anchor: upstream metadata fetched and verified in this run; the bytes were downloaded in this run.
  const verification = await verifyAgainstUpstream(provider, meta, sums, fetched, chainOptions(ctx)).catch(
    async (err: unknown) => {
      await rm(fetched.path, { force: true });
      throw err;
    },
  );
  const localPath = await ctx.store.admitArchive(fetched.path, fetched.sha256);
  return packageOf(meta, sums, { ...fetched, path: localPath }, verification, 'upstream', ctx);
}

function packageOf(
  meta: DownloadMeta,
  sums: SumsEvidence,
  archive: MeasuredArchive,
  verification: Verification,
  source: ArchiveRecord['source'],
  ctx: PackageContext,
): MirroredPackage {
  for (const note of archive.zipHashes.notes)
    ctx.report({ type: 'warning', message: `${describe(meta.ref)}: ${note}` });
  const record: ArchiveRecord = {
    ref: meta.ref,
    filename: meta.filename,
    size: archive.size,
    zh: `zh:${archive.sha256}`,
    h1: archive.zipHashes.h1Zip,
    source,
    downloadUrl: meta.downloadUrl,
    verification,
    localPath: archive.path,
  };
  return { record, meta, sums };
}

/** With `requireSignatures`, an archive whose SHA256SUMS signature was not verified in this run fails. */
function requireSignature(record: ArchiveRecord, ctx: PackageContext): void {
  if (!ctx.requireSignatures || record.verification.anchor === 'upstream-signature') return;
  throw new RepoxyError(
    'VERIFY_NO_KEYS',
    `${describe(record.ref)}: signature check failed: expected a SHA256SUMS signature verified in this run ` +
      `because signatures are required, actual: ${record.verification.anchorDetail}`,
  );
}

function chainOptions(ctx: PackageContext): ChainOptions {
  return {
    enforceGpgValidation: ctx.env.OPENTOFU_ENFORCE_GPG_VALIDATION === 'true',
    enforceExpiration: ctx.env.OPENTOFU_ENFORCE_GPG_EXPIRATION === 'true',
  };
}

/** Measures the stored archive named `sha256`; a damaged one is reported and evicted (undefined). */
async function measure(
  ref: PackageRef,
  sha256: string,
  ctx: PackageContext,
): Promise<MeasuredArchive | undefined> {
  return discardIfCorrupt(
    ref,
    ctx,
    () => measureStoredArchive(ctx.store, sha256),
    () => ctx.store.evictArchive(sha256),
  );
}

/** Runs a store read; on STORE_CORRUPT reports it, runs `drop` and answers undefined (fetch again). */
async function discardIfCorrupt<T>(
  ref: PackageRef,
  ctx: PackageContext,
  read: () => Promise<T | undefined>,
  drop: () => Promise<void>,
): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (!isRepoxyError(err) || err.code !== 'STORE_CORRUPT') throw err;
    await discard(ref, ctx, err.message, drop);
    return undefined;
  }
}

async function discard(
  ref: PackageRef,
  ctx: PackageContext,
  why: string,
  drop: () => Promise<void>,
): Promise<void> {
  ctx.report({
    type: 'store-corrupt',
    ref,
    message: `${describe(ref)}: store entry discarded: ${why}; fetching again`,
  });
  await drop();
}

/**
 * Downloads into the store's tmp/ and hashes it while it arrives. Bytes that do not hash to the
 * registry's shasum (damaged in transit) are fetched once more; verification then judges them.
 */
async function download(
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
      chainOptions(ctx),
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
