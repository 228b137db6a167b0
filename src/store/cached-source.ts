import type { ProviderAddress } from '../domain/address.ts';
import { isRepoxyError, RepoxyError } from '../domain/errors.ts';
import type { PackageRef } from '../domain/package.ts';
import type { BodyObserver } from '../upstream/download.ts';
import { parseDownloadDoc } from '../upstream/registry-docs.ts';
import type { DownloadMeta, DownloadResult, Source, SumsEvidence, VersionsDoc } from '../upstream/source.ts';
import type { Store } from './store.ts';

/**
 * A Source that always asks upstream (what it answers was fetched in this run) and records what it
 * fetched in the store's `refs/`, plus the store's *candidates*: what an earlier run recorded. A
 * candidate is never trusted: `store/obtain.ts` uses one only where an anchor from outside the store
 * (the lock files) confirms it, else it asks upstream again. A stored entry that is not a regular file
 * or does not parse throws STORE_CORRUPT.
 */
export class CachedSource implements Source {
  private readonly store: Store;
  private readonly upstream: Source;

  constructor(store: Store, upstream: Source) {
    this.store = store;
    this.upstream = upstream;
  }

  versions(address: ProviderAddress): Promise<VersionsDoc> {
    return this.upstream.versions(address);
  }

  /** The download document from upstream, in this run; recorded as the next run's candidate. */
  async downloadMeta(ref: PackageRef): Promise<DownloadMeta> {
    const meta = await this.upstream.downloadMeta(ref);
    const record = { downloadUrl: meta.downloadUrl, document: meta.document };
    await this.store.writeRef(this.store.downloadRefPath(ref), JSON.stringify(record));
    return meta;
  }

  /** SHA256SUMS and its signature from upstream, in this run; recorded as the next run's candidate. */
  async sums(meta: DownloadMeta): Promise<SumsEvidence> {
    const fresh = await this.upstream.sums(meta);
    const dir = this.store.versionRefDir(meta.ref);
    await this.store.writeRef(`${dir}/SHA256SUMS`, fresh.sums);
    await this.store.writeRef(`${dir}/SHA256SUMS.sig`, fresh.signature);
    return fresh;
  }

  download<O extends BodyObserver = never>(
    meta: DownloadMeta,
    destPath: string,
    observe?: () => O,
  ): Promise<DownloadResult<O>> {
    return this.upstream.download(meta, destPath, observe);
  }

  /**
   * The stored download document of `ref`, parsed again as upstream's would be (so the fields the checks
   * read cannot disagree with the document the registry view publishes), for `ref` itself: the stored
   * address, version and platform are not taken from the store. A CANDIDATE: nothing here is verified.
   */
  async candidateMeta(ref: PackageRef): Promise<DownloadMeta | undefined> {
    const rel = this.store.downloadRefPath(ref);
    const bytes = await this.store.readRef(rel);
    if (!bytes) return undefined;
    try {
      const stored = JSON.parse(bytes.toString('utf8')) as { downloadUrl?: unknown; document?: unknown };
      if (typeof stored.downloadUrl !== 'string') throw new Error('no downloadUrl');
      return parseDownloadDoc(stored.document, ref, stored.downloadUrl);
    } catch (err) {
      const why = isRepoxyError(err) || err instanceof Error ? err.message : String(err);
      throw new RepoxyError('STORE_CORRUPT', `${rel} is not a download document (${why})`);
    }
  }

  /** The stored SHA256SUMS and signature of `ref`'s version. A CANDIDATE: nothing here is verified. */
  async candidateSums(ref: PackageRef): Promise<SumsEvidence | undefined> {
    const dir = this.store.versionRefDir(ref);
    const sums = await this.store.readRef(`${dir}/SHA256SUMS`);
    const signature = await this.store.readRef(`${dir}/SHA256SUMS.sig`);
    return sums && signature ? { sums, signature } : undefined;
  }

  /** Forgets a version's recorded metadata (it failed a check, so it is fetched again). */
  async forget(ref: PackageRef): Promise<void> {
    const dir = this.store.versionRefDir(ref);
    await this.store.removeRef(this.store.downloadRefPath(ref));
    await this.store.removeRef(`${dir}/SHA256SUMS`);
    await this.store.removeRef(`${dir}/SHA256SUMS.sig`);
  }
}
