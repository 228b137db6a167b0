import type { ProviderAddress } from './address.ts';
import type { HashString } from './hash.ts';
import type { Platform } from './platform.ts';

/** One provider version to mirror, as planned from lock files (deduplicated by address+version). */
export interface PlannedProvider {
  readonly address: ProviderAddress;
  readonly version: string;
  readonly constraints: string | null;
  /** Union of every lock file's hashes for this (address, version): sorted, unique. */
  readonly hashes: readonly HashString[];
  /** Every `path:line` that locked it. */
  readonly lockfiles: readonly string[];
}

/** The full plan: what to mirror, for which platforms. Providers sorted by address then version. */
export interface Plan {
  readonly platforms: readonly Platform[];
  readonly providers: readonly PlannedProvider[];
}

/** One archive: a provider version for one platform. */
/**
 * `terraform-provider-TYPE_VERSION_OS_ARCH.zip`: the only file name a registry's download document may
 * give an archive (its SHA256SUMS line binds the bytes to this name, and only the name binds them to a
 * platform), and the packed name a filesystem_mirror accepts (PROTOCOL.md §5.1).
 */
export function archiveFileName(
  address: Pick<ProviderAddress, 'type'>,
  version: string,
  platform: string,
): string {
  return `terraform-provider-${address.type}_${version}_${platform}.zip`;
}

export interface PackageRef {
  readonly address: ProviderAddress;
  readonly version: string;
  readonly platform: Platform;
}

/** The name of one check in the verification chain (PROTOCOL.md §2.4). */
export type CheckName =
  'registry-packages' | 'shasum' | 'sums-line' | 'signature' | 'lock-hash' | 'package-size';

/** What one check established, for the record kept with the archive. */
export interface CheckResult {
  readonly check: CheckName;
  readonly outcome: 'passed' | 'skipped';
  /** Human-readable: what was compared, e.g. "signed by 34365D9472D7468F". */
  readonly detail: string;
  readonly warnings?: readonly string[];
}

/** What the verification chain (PROTOCOL.md §2.4, §3) established for one archive. */
export interface ChainResult {
  readonly checks: readonly CheckResult[];
  /** Primary key id of the signing key, upper-case hex, when a signature was checked. */
  readonly signingKeyId: string | null;
}

/**
 * The trust anchor that proved an archive's bytes, never the store: `lock-file` (its zh:/h1: computed in
 * this run is one of the lock files' hashes), `upstream-signature` (a SHA256SUMS fetched in this run and
 * signed by a key fetched in this run lists it), `upstream-document` (the registry sent no keys, so only
 * the download document fetched over TLS in this run binds its shasum: a skipped signature check).
 */
export type AnchorKind = 'lock-file' | 'upstream-signature' | 'upstream-document';

/** Proof that an archive may be published. Only produced when every check passed or was skippable. */
export interface Verification extends ChainResult {
  readonly anchor: AnchorKind;
  /** What the anchor is, e.g. `infra/.terraform.lock.hcl:5 lists zh:…` or `signed by 34365D9472D7468F`. */
  readonly anchorDetail: string;
}

/** A verified archive ready for the mirror. */
export interface ArchiveRecord {
  readonly ref: PackageRef;
  /** Upstream file name, e.g. terraform-provider-aws_5.0.0_linux_amd64.zip. */
  readonly filename: string;
  readonly size: number;
  /** `zh:<sha256 hex>` */
  readonly zh: HashString;
  /** `h1:` HashZip of the archive (entry names verbatim). */
  readonly h1: HashString;
  /** Where the bytes came from: the upstream URL, or `store` when reused. */
  readonly source: 'upstream' | 'store';
  readonly downloadUrl: string;
  readonly verification: Verification;
  /** Absolute path of the verified bytes on local disk. */
  readonly localPath: string;
}

/** Why a provider version of the previous mirror is published again (`kept`) or not (`dropped`). */
export interface RetentionDecision {
  readonly address: ProviderAddress;
  readonly version: string;
  /** UTC day of the last build whose lock files asked for it. */
  readonly lastLocked: string;
  readonly outcome: 'kept' | 'dropped';
  readonly reason: string;
}
