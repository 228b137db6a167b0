import { formatAddress } from '../domain/address.ts';
import { isRepoxyError } from '../domain/errors.ts';
import type { PackageRef } from '../domain/package.ts';
import type { DownloadMeta, SumsEvidence } from '../upstream/source.ts';
import { parseSums } from '../verify/sums-line.ts';
import type { CachedSource } from './cached-source.ts';
import { archiveFilename } from './trust.ts';

/** Upstream metadata for one archive, and whether its download document is the stored one. */
export interface UpstreamMetadata {
  readonly meta: DownloadMeta;
  readonly sums: SumsEvidence;
  /** The download document came from the store, confirmed against the version's upstream anchor. */
  readonly storedDocument: boolean;
}

/**
 * UPSTREAM ANCHOR per provider version, for one run: the first platform of a version fetches its
 * download document, SHA256SUMS and signature from upstream (3 small requests). Another platform of
 * the same version may then use its STORED download document, but only when it agrees with that anchor:
 * the same signing keys and sums URLs as the document fetched in this run, exactly this platform's file
 * name, and a shasum equal to that file's line in the SHA256SUMS fetched in this run (which the
 * verification chain then checks against the signature, with the keys fetched in this run).
 */
export class VersionAnchors {
  readonly #first = new Map<string, Promise<UpstreamMetadata>>();

  async metadata(ref: PackageRef, source: CachedSource): Promise<UpstreamMetadata> {
    const key = `${formatAddress(ref.address)} ${ref.version}`;
    const first = this.#first.get(key);
    if (!first) {
      const fetched = fetchFresh(ref, source);
      this.#first.set(key, fetched);
      return fetched;
    }
    const anchor = await first.catch(() => undefined);
    const stored = anchor ? await agreeingStoredDocument(ref, anchor, source) : undefined;
    if (stored) return { meta: stored, sums: anchor!.sums, storedDocument: true };
    return fetchFresh(ref, source);
  }
}

/** Download document, SHA256SUMS and signature from upstream, in this run. */
export async function fetchFresh(ref: PackageRef, source: CachedSource): Promise<UpstreamMetadata> {
  const meta = await source.downloadMeta(ref);
  return { meta, sums: await source.sums(meta), storedDocument: false };
}

async function agreeingStoredDocument(
  ref: PackageRef,
  anchor: UpstreamMetadata,
  source: CachedSource,
): Promise<DownloadMeta | undefined> {
  const meta = await source.candidateMeta(ref).catch((err: unknown) => {
    if (isRepoxyError(err) && err.code === 'STORE_CORRUPT') return undefined;
    throw err;
  });
  if (!meta) return undefined;
  const agrees =
    meta.filename === archiveFilename(meta) &&
    sameList(meta.signingKeys, anchor.meta.signingKeys) &&
    meta.shasumsUrl === anchor.meta.shasumsUrl &&
    meta.shasumsSignatureUrl === anchor.meta.shasumsSignatureUrl &&
    parseSums(anchor.sums.sums).get(meta.filename) === meta.shasum;
  return agrees ? meta : undefined;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
