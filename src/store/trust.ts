import { isRepoxyError } from '../domain/errors.ts';
import { preferredHashes, zhHash, type HashString } from '../domain/hash.ts';
import {
  archiveFileName,
  type ChainResult,
  type PlannedProvider,
  type Verification,
} from '../domain/package.ts';
import { formatPlatform } from '../domain/platform.ts';
import type { DownloadMeta, DownloadResult, SumsEvidence } from '../upstream/source.ts';
import { zhHashesFromSums } from '../verify/sums-line.ts';
import { verifyArchive } from '../verify/verify-archive.ts';
import type { MeasuredArchive } from './stored-archive.ts';

/**
 * Trust at the store's edge: the one place where a stored candidate becomes evidence. Every decision
 * here compares what this run MEASURED (hashes of the bytes) with an anchor from outside the store —
 * the lock files being mirrored, or upstream documents fetched in this run. Stored claims decide nothing.
 */

/** Verification options taken from the environment, as OpenTofu reads them. */
export interface ChainOptions {
  readonly enforceGpgValidation: boolean;
  readonly enforceExpiration: boolean;
}

/** OPENTOFU_ENFORCE_GPG_VALIDATION / OPENTOFU_ENFORCE_GPG_EXPIRATION, read once by the caller. */
export function chainOptionsFrom(env: NodeJS.ProcessEnv): ChainOptions {
  return {
    enforceGpgValidation: env.OPENTOFU_ENFORCE_GPG_VALIDATION === 'true',
    enforceExpiration: env.OPENTOFU_ENFORCE_GPG_EXPIRATION === 'true',
  };
}

/**
 * LOCK ANCHOR: when the archive's sha256 or one of its h1: computed in this run is one of the
 * version's lock-file hashes, names the hash and the lock files; else undefined.
 */
export function lockAnchor(provider: PlannedProvider, measured: MeasuredArchive): string | undefined {
  const usable = new Set(preferredHashes(provider.hashes));
  const { h1Zip, h1Unpacked } = measured.zipHashes;
  const matched = [zhHash(measured.sha256), h1Zip, h1Unpacked].find((h) => usable.has(h));
  if (!matched) return undefined;
  return `${matched} is locked by ${provider.lockfiles.join(', ')}`;
}

/** True when the lock files record a usable hash for the version (an archive must then match one). */
export function lockPinsVersion(provider: PlannedProvider): boolean {
  return preferredHashes(provider.hashes).length > 0;
}

/**
 * Whether stored metadata may stand beside a LOCK-ANCHORED archive in the registry view (it proves
 * nothing about the bytes; it must only be something a client of the view can verify): the document
 * names exactly this platform's file with the measured sha256, SHA256SUMS lists it so and every one of
 * its hashes is a lock-file `zh:` of the version, and its signature verifies with the document's keys.
 * Returns the chain's result, or the check that failed.
 */
export async function selfConsistent(
  provider: PlannedProvider,
  meta: DownloadMeta,
  sums: SumsEvidence,
  measured: MeasuredArchive,
  options: ChainOptions,
): Promise<{ chain: ChainResult } | { failed: string } | { unanchored: string }> {
  const locked = new Set<HashString>(provider.hashes);
  const listed = zhHashesFromSums(sums.sums);
  if (listed.length === 0) return { failed: 'SHA256SUMS is not a checksums file' };
  const unlocked = listed.find((h) => !locked.has(h));
  if (unlocked) {
    const why = `SHA256SUMS lists ${unlocked}, which no lock file records`;
    // A lock recording zh: (from SHA256SUMS) records all of them; one with only h1: cannot vouch for it.
    return locked.has(zhHash(measured.sha256)) ? { failed: why } : { unanchored: why };
  }
  const expected = archiveFilename(meta);
  if (meta.filename !== expected) return { failed: `the document names ${meta.filename}, not ${expected}` };
  // Nothing to check a stored document without keys against (OpenTofu's registry may serve none): fetch again.
  if (meta.signingKeys.length === 0) return { unanchored: 'the document carries no signing keys' };
  try {
    return { chain: await verifyArchive(evidence(provider, meta, sums, measured, options)) };
  } catch (err) {
    if (!isRepoxyError(err) || !err.code.startsWith('VERIFY_')) throw err;
    return { failed: err.message };
  }
}

/**
 * The verification chain over upstream documents fetched in this run and bytes hashed in this run,
 * with the anchor that proved the bytes: the signature when it was checked, else the lock file, else
 * only the TLS-fetched document (the registry sent no keys).
 */
export async function verifyAgainstUpstream(
  provider: PlannedProvider,
  meta: DownloadMeta,
  sums: SumsEvidence,
  measured: MeasuredArchive,
  options: ChainOptions,
): Promise<Verification> {
  const chain = await verifyArchive(evidence(provider, meta, sums, measured, options));
  const passed = (name: string) => chain.checks.some((c) => c.check === name && c.outcome === 'passed');
  if (passed('signature'))
    return {
      ...chain,
      anchor: 'upstream-signature',
      anchorDetail: `SHA256SUMS fetched in this run from ${meta.shasumsUrl}, signed by ${chain.signingKeyId ?? '?'} (a key fetched in this run)`,
    };
  const lock = lockAnchor(provider, measured);
  if (lock) return { ...chain, anchor: 'lock-file', anchorDetail: lock };
  return {
    ...chain,
    anchor: 'upstream-document',
    anchorDetail: `shasum of the download document fetched in this run (no signing keys)`,
  };
}

/**
 * Runs the chain over downloaded bytes that do not hash to the document's shasum, so the failure is the
 * one OpenTofu's order reports first (package size, sums line or shasum). Never returns.
 */
export async function refuseMismatched(
  provider: PlannedProvider,
  meta: DownloadMeta,
  sums: SumsEvidence,
  download: DownloadResult,
  options: ChainOptions,
): Promise<never> {
  await verifyArchive({
    meta,
    sums,
    download,
    zipHashes: undefined,
    lockHashes: provider.hashes,
    ...options,
  });
  throw new Error('internal: bytes that do not hash to the shasum passed verification');
}

/** The only file name `meta` may give its archive (see archiveFileName). */
export function archiveFilename(meta: DownloadMeta): string {
  const { ref } = meta;
  return archiveFileName(ref.address, ref.version, formatPlatform(ref.platform));
}

function evidence(
  provider: PlannedProvider,
  meta: DownloadMeta,
  sums: SumsEvidence,
  measured: MeasuredArchive,
  options: ChainOptions,
) {
  return {
    meta,
    sums,
    download: { path: measured.path, size: measured.size, sha256: measured.sha256 },
    zipHashes: measured.zipHashes,
    lockHashes: provider.hashes,
    ...options,
  };
}
