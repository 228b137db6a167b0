import type { ProviderAddress } from '../domain/address.ts';
import type { PackageRef } from '../domain/package.ts';
import { formatPlatform } from '../domain/platform.ts';
import { formatAddress } from '../domain/address.ts';
import type { BodyObserver } from '../upstream/download.ts';
import type { DownloadMeta, DownloadResult, Source, SumsEvidence, VersionsDoc } from '../upstream/source.ts';
import type { Store } from './store.ts';

/**
 * A Source that answers metadata from the store's `refs/` and falls back to the Source it wraps,
 * recording what it fetched (OpenTofu memoize_source.go, but persistent). This is how a warm run
 * makes zero upstream requests. Archives are not handled here: see `obtainArchive` in the engine.
 * Cached metadata is evidence, not trust: archives are still verified against it.
 */
export class CachedSource implements Source {
  private readonly store: Store;
  private readonly upstream: Source;
  private readonly fromStore = new Set<string>();

  constructor(store: Store, upstream: Source) {
    this.store = store;
    this.upstream = upstream;
  }

  versions(address: ProviderAddress): Promise<VersionsDoc> {
    return this.upstream.versions(address);
  }

  async downloadMeta(ref: PackageRef): Promise<DownloadMeta> {
    const rel = this.store.downloadRefPath(ref);
    const cached = await this.store.readRef(rel);
    if (cached) {
      const meta = parseCachedMeta(cached, ref);
      if (meta) {
        this.fromStore.add(refKey(ref));
        return meta;
      }
    }
    const meta = await this.upstream.downloadMeta(ref);
    await this.store.writeRef(rel, JSON.stringify(meta));
    return meta;
  }

  async sums(meta: DownloadMeta): Promise<SumsEvidence> {
    const dir = this.store.versionRefDir(meta.ref);
    const sums = await this.store.readRef(`${dir}/SHA256SUMS`);
    const signature = await this.store.readRef(`${dir}/SHA256SUMS.sig`);
    if (sums && signature) {
      this.fromStore.add(refKey(meta.ref));
      return { sums, signature };
    }
    const fresh = await this.upstream.sums(meta);
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

  /** True when any metadata for `ref` was answered from the store in this run. */
  servedFromStore(ref: PackageRef): boolean {
    return this.fromStore.has(refKey(ref));
  }

  /** Forgets a version's cached metadata (after it failed verification, so it is refetched). */
  async forget(ref: PackageRef): Promise<void> {
    const dir = this.store.versionRefDir(ref);
    await this.store.removeRef(this.store.downloadRefPath(ref));
    await this.store.removeRef(`${dir}/SHA256SUMS`);
    await this.store.removeRef(`${dir}/SHA256SUMS.sig`);
    this.fromStore.delete(refKey(ref));
  }
}

/** Reads a cached DownloadMeta; a damaged entry counts as a miss (it is refetched). */
function parseCachedMeta(bytes: Buffer, ref: PackageRef): DownloadMeta | undefined {
  try {
    const meta = JSON.parse(bytes.toString('utf8')) as DownloadMeta;
    const same =
      meta.ref.version === ref.version &&
      meta.ref.platform.os === ref.platform.os &&
      meta.ref.platform.arch === ref.platform.arch &&
      typeof meta.shasum === 'string' &&
      typeof meta.downloadUrl === 'string';
    return same ? meta : undefined;
  } catch {
    return undefined;
  }
}

function refKey(ref: PackageRef): string {
  return `${formatAddress(ref.address)} ${ref.version} ${formatPlatform(ref.platform)}`;
}
