import { rm } from 'node:fs/promises';
import { isRepoxyError, RepoxyError } from '../domain/errors.ts';
import type { ArchiveRecord, PackageRef, PlannedProvider, Verification } from '../domain/package.ts';
import type { DownloadMeta, SumsEvidence } from '../upstream/source.ts';
import { describePackage as describe } from '../verify/verify-archive.ts';
import type { PackageContext } from './context.ts';
import { download } from './download-archive.ts';
import { measureStoredArchive, type MeasuredArchive } from './stored-archive.ts';
import { fetchFresh, type UpstreamMetadata } from './version-anchors.ts';
import { lockAnchor, lockPinsVersion, selfConsistent, verifyAgainstUpstream } from './trust.ts';

/** A verified archive and the evidence for the registry-protocol view, trustworthy by an anchor. */
export interface MirroredPackage {
  readonly record: ArchiveRecord;
  readonly meta: DownloadMeta;
  readonly sums: SumsEvidence;
  /**
   * URLs of `meta` that only the store's copy of a document vouches for (nothing fetched in this run
   * confirmed them): mirror.json does not publish them as provenance.
   */
  readonly unverifiedUrls: readonly UpstreamUrl[];
}

export type UpstreamUrl = 'downloadUrl' | 'shasumsUrl' | 'shasumsSignatureUrl';

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
    // The archive is intact under its name (another version may use it): the pointer to it is dropped.
    const why = `the stored document points at ${measured.path}, which matches none of the lock files' hashes`;
    await discard(ref, ctx, why, () => ctx.source.forget(ref));
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
  const checked = await selfConsistent(provider, candidate.meta, sums, candidate.measured, ctx.chain);
  if ('unanchored' in checked) return undefined;
  if ('failed' in checked) {
    await discard(ref, ctx, `stored metadata is not self-consistent: ${checked.failed}`, () =>
      ctx.source.forget(ref),
    );
    return undefined;
  }
  // Anchor: the lock file (the bytes' hash is the lock's); the metadata is only consistent with it.
  const checks = checked.chain.checks.map((c) =>
    c.check === 'signature'
      ? { ...c, detail: `${c.detail}, with keys from the store (consistency only)` }
      : c,
  );
  const verification: Verification = {
    ...checked.chain,
    checks,
    anchor: 'lock-file',
    anchorDetail: candidate.lock!,
  };
  const urls: UpstreamUrl[] = ['downloadUrl', 'shasumsUrl', 'shasumsSignatureUrl'];
  return packageOf(candidate.meta, sums, candidate.measured, verification, 'store', ctx, urls);
}

/**
 * (b)/(c) UPSTREAM ANCHOR: metadata from upstream in this run (a stored download document only where it
 * agrees with the version's documents fetched in this run); the stored archive if its bytes match, else a
 * download from a URL fetched in this run.
 */
async function upstreamAnchored(
  ref: PackageRef,
  provider: PlannedProvider,
  measured: MeasuredArchive | undefined,
  ctx: PackageContext,
  fresh?: UpstreamMetadata,
): Promise<MirroredPackage> {
  const { meta, sums, storedDocument } = fresh ?? (await ctx.versions.metadata(ref, ctx.source));
  if (measured && measured.sha256 !== meta.shasum) {
    // Intact under its name, so kept; only the stored document that pointed at it was wrong.
    const why = `the stored document pointed at ${measured.path}, not at the upstream archive (sha256 ${meta.shasum})`;
    await discard(ref, ctx, why, () => Promise.resolve());
  }
  const stored = measured?.sha256 === meta.shasum ? measured : await measure(ref, meta.shasum, ctx);
  if (stored) {
    // Anchor: SHA256SUMS (and keys) fetched in this run; the stored bytes hash to its line for this file.
    const verified = await verifyAgainstUpstream(provider, meta, sums, stored, ctx.chain).catch(
      (err: unknown) => {
        if (storedDocument && isRepoxyError(err) && err.code.startsWith('VERIFY_')) return undefined;
        throw err;
      },
    );
    // A stored document agreeing with this run's SHA256SUMS URLs and line: its download URL is its own.
    if (verified)
      return packageOf(meta, sums, stored, verified, 'store', ctx, storedDocument ? ['downloadUrl'] : []);
  }
  if (storedDocument) return upstreamAnchored(ref, provider, stored, ctx, await fetchFresh(ref, ctx.source));
  const fetched = await download(provider, meta, sums, ctx);
  // Anchor: upstream metadata fetched and verified in this run; the bytes were downloaded in this run.
  const verification = await verifyAgainstUpstream(provider, meta, sums, fetched, ctx.chain).catch(
    async (err: unknown) => {
      await rm(fetched.path, { force: true });
      throw err;
    },
  );
  const localPath = await ctx.store.admitArchive(fetched.path, fetched.sha256);
  return packageOf(meta, sums, { ...fetched, path: localPath }, verification, 'upstream', ctx, []);
}

function packageOf(
  meta: DownloadMeta,
  sums: SumsEvidence,
  archive: MeasuredArchive,
  verification: Verification,
  source: ArchiveRecord['source'],
  ctx: PackageContext,
  unverifiedUrls: readonly UpstreamUrl[],
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
  return { record, meta, sums, unverifiedUrls };
}

/** With `requireSignatures`, an archive whose SHA256SUMS signature was not verified in this run fails. */
function requireSignature(record: ArchiveRecord, ctx: PackageContext): void {
  if (!ctx.requireSignatures || record.verification.anchor === 'upstream-signature') return;
  throw new RepoxyError(
    'VERIFY_NO_KEYS',
    `${describe(record.ref)}: signatures are required, but no SHA256SUMS signature was verified in this run ` +
      `(anchor: ${record.verification.anchorDetail})`,
  );
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
