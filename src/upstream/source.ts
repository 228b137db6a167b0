import type { ProviderAddress } from '../domain/address.ts';
import type { PackageRef } from '../domain/package.ts';
import type { BodyObserver } from './download.ts';

/** One entry of the registry's `versions` document (PROTOCOL.md §2.2). */
export interface UpstreamVersion {
  readonly version: string;
  readonly protocols: readonly string[];
  readonly platforms: readonly { os: string; arch: string }[];
}

export interface VersionsDoc {
  readonly versions: readonly UpstreamVersion[];
  readonly warnings: readonly string[];
}

/** `packages` extension entry of registry.opentofu.org (PROTOCOL.md §2.3, §2.4 step 1). */
export interface RegistryPackageEntry {
  readonly hashes: readonly string[];
  readonly package_size?: number;
}

/**
 * The download document for one platform (PROTOCOL.md §2.3), validated:
 * URLs are absolute (resolved against the final response URL) and http(s);
 * `shasum` is 64 lowercase hex; `os`/`arch` echo the request.
 */
export interface DownloadMeta {
  readonly ref: PackageRef;
  readonly protocols: readonly string[];
  readonly filename: string;
  readonly downloadUrl: string;
  readonly shasum: string;
  readonly shasumsUrl: string;
  readonly shasumsSignatureUrl: string;
  /** ASCII-armored public keys, in the order the registry returned them. */
  readonly signingKeys: readonly string[];
  readonly packages: Readonly<Record<string, RegistryPackageEntry>> | null;
  /** The upstream document as received (parsed JSON), for the registry-protocol view. */
  readonly document: Record<string, unknown>;
}

/** SHA256SUMS and its detached signature, byte-identical to upstream. Fetched once per (provider, version). */
export interface SumsEvidence {
  readonly sums: Buffer;
  readonly signature: Buffer;
}

/** The result of streaming an archive to disk. sha256 computed while downloading. */
export interface DownloadResult<O extends BodyObserver = never> {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  /** The observer of the attempt whose bytes are in `path`, when one was asked for. */
  readonly observer?: O | undefined;
}

/**
 * Where provider metadata and archives come from. The registry client implements it against the
 * network; the store's CachedSource answers from `refs/` and falls back to the one it wraps.
 * Every method throws RepoxyError with a UPSTREAM_* code on failure; nothing returns null.
 */
export interface Source {
  versions(address: ProviderAddress): Promise<VersionsDoc>;
  /** Throws UPSTREAM_PLATFORM_MISSING when the registry answers 404 for that platform. */
  downloadMeta(ref: PackageRef): Promise<DownloadMeta>;
  sums(meta: DownloadMeta): Promise<SumsEvidence>;
  /**
   * Streams the archive to `destPath` (created; parent exists), hashing as it goes; `observe` makes
   * an observer that sees each attempt's bytes as they are written.
   */
  download<O extends BodyObserver = never>(
    meta: DownloadMeta,
    destPath: string,
    observe?: () => O,
  ): Promise<DownloadResult<O>>;
}
