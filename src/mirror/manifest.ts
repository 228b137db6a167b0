import { formatAddress } from '../domain/address.ts';
import type { ArchiveRecord, Verification } from '../domain/package.ts';
import { formatPlatform } from '../domain/platform.ts';
import type { DownloadMeta } from '../upstream/source.ts';
import { canonicalJson } from './json.ts';
import type { UpstreamUrl } from '../store/obtain.ts';
import { archivePath, groupArchives } from './network-mirror.ts';

/** The provenance document at the root of every mirror (README "mirror.json"). */
export const MANIFEST_FILE = 'mirror.json';
/** Bumped on any change a reader of an older version would misread. */
export const MANIFEST_SCHEMA_VERSION = 1;

/** One published archive: where it came from, how it was verified, who asked for it and since when. */
export interface ManifestArchive {
  readonly address: string;
  readonly version: string;
  readonly platform: string;
  /** The archive's path in the mirror (posix, relative to the root), as VERSION.json's url resolves. */
  readonly path: string;
  /** The upstream file name. */
  readonly filename: string;
  readonly size: number;
  readonly h1: string;
  readonly zh: string;
  /**
   * Upstream URLs as this run fetched or confirmed them; null where only the store's copy of a document
   * named one (an archive verified by the lock file against stored metadata): never provenance unverified.
   */
  readonly downloadUrl: string | null;
  readonly shasumsUrl: string | null;
  readonly shasumsSignatureUrl: string | null;
  /** Key ids that verified SHA256SUMS.sig in the build (empty when no signature was checked). */
  readonly signingKeyIds: readonly string[];
  readonly verification: Verification;
  /** Every `path:line` of a lock file of this build that locked this version; empty for a kept version. */
  readonly lockfiles: readonly string[];
  /** UTC days (YYYY-MM-DD). */
  readonly firstPublished: string;
  readonly lastPublished: string;
  /** The last build whose lock files asked for this version: retention counts from here. */
  readonly lastLocked: string;
}

export interface Manifest {
  readonly schemaVersion: number;
  /** The keep-days the build ran with. */
  readonly keepDays: number;
  /** Sorted by address, version, platform. */
  readonly archives: readonly ManifestArchive[];
}

/** A verified archive with the upstream document that located it (the engine's MirroredPackage). */
export interface ManifestInput {
  readonly record: ArchiveRecord;
  readonly meta: Pick<DownloadMeta, 'shasumsUrl' | 'shasumsSignatureUrl'>;
  /** Fields of the record or meta nothing in this run confirmed (written as null). */
  readonly unverifiedUrls?: readonly UpstreamUrl[];
}

/** What the build knows of an archive beyond its record: lock files and dates. */
export interface ArchiveHistory {
  readonly lockfiles: readonly string[];
  readonly firstPublished: string;
  readonly lastLocked: string;
}

/**
 * Builds the manifest from the same records VERSION.json is written from, so the two cannot disagree.
 * `historyOf` gives each archive's lock files and dates; `today` is the build's UTC day.
 */
export function buildManifest(
  packages: readonly ManifestInput[],
  historyOf: (record: ArchiveRecord) => ArchiveHistory,
  today: string,
  keepDays: number,
): Manifest {
  const metaOf = new Map(packages.map((p) => [p.record, p]));
  const archives: ManifestArchive[] = [];
  // In mirror order (groupArchives), as VERSION.json lists them.
  for (const versions of groupArchives(packages.map((p) => p.record)).values()) {
    for (const list of versions.values()) {
      for (const r of list) archives.push(manifestArchive(r, metaOf.get(r)!, historyOf(r), today));
    }
  }
  return { schemaVersion: MANIFEST_SCHEMA_VERSION, keepDays, archives };
}

function manifestArchive(
  r: ArchiveRecord,
  input: ManifestInput,
  history: ArchiveHistory,
  today: string,
): ManifestArchive {
  const platform = formatPlatform(r.ref.platform);
  const unverified = new Set(input.unverifiedUrls ?? []);
  const url = (name: UpstreamUrl, value: string) => (unverified.has(name) ? null : value);
  return {
    address: formatAddress(r.ref.address),
    version: r.ref.version,
    platform,
    path: archivePath(r),
    filename: r.filename,
    size: r.size,
    h1: r.h1,
    zh: r.zh,
    downloadUrl: url('downloadUrl', r.downloadUrl),
    shasumsUrl: url('shasumsUrl', input.meta.shasumsUrl),
    shasumsSignatureUrl: url('shasumsSignatureUrl', input.meta.shasumsSignatureUrl),
    signingKeyIds: r.verification.signingKeyId ? [r.verification.signingKeyId] : [],
    verification: r.verification,
    lockfiles: [...history.lockfiles].sort(),
    firstPublished: history.firstPublished,
    lastPublished: today,
    lastLocked: history.lastLocked,
  };
}

/** `mirror.json`: canonical JSON (sorted keys, archives in mirror order), byte-identical for equal input. */
export function manifestDocument(manifest: Manifest): string {
  return canonicalJson(manifest);
}

/**
 * The store's copy of the build's state (`state/mirror.json`): what retention reads back (addresses,
 * versions, platforms, hashes, dates), without the per-run verification record, so a warm run that
 * verified the same archives by other anchors leaves it, and the cache entry holding it, unchanged.
 */
export function stateDocument(manifest: Manifest): string {
  return canonicalJson({
    schemaVersion: manifest.schemaVersion,
    keepDays: manifest.keepDays,
    archives: manifest.archives.map((a) => ({
      address: a.address,
      version: a.version,
      platform: a.platform,
      path: a.path,
      size: a.size,
      h1: a.h1,
      zh: a.zh,
      firstPublished: a.firstPublished,
      lastLocked: a.lastLocked,
    })),
  });
}
