import { DEFAULT_OPENTOFU_HOST, formatAddress } from '../domain/address.ts';
import { isRepoxyError, RepoxyError } from '../domain/errors.ts';
import { preferredHashes, zhHash } from '../domain/hash.ts';
import type { HashString } from '../domain/hash.ts';
import {
  archiveFileName,
  type ChainResult,
  type CheckName,
  type CheckResult,
  type PackageRef,
} from '../domain/package.ts';
import { formatPlatform } from '../domain/platform.ts';
import type { DownloadMeta, DownloadResult, SumsEvidence } from '../upstream/source.ts';
import type { ZipHashes } from './h1.ts';
import { verifySignature } from './signature.ts';
import { findSumsLine } from './sums-line.ts';

/** Everything upstream said about one archive, plus what we measured of the staged file. */
export interface ArchiveEvidence {
  readonly meta: DownloadMeta;
  readonly sums: SumsEvidence;
  readonly download: DownloadResult;
  /**
   * Both h1: of the staged zip; undefined when its bytes do not hash to the registry's shasum (they are
   * then never parsed as a zip, and the shasum check fails before anything reads these).
   */
  readonly zipHashes: ZipHashes | undefined;
  /** Every hash the lock files record for this provider version (any platform, any scheme). */
  readonly lockHashes: readonly HashString[];
  /** Require a signature even for registry.opentofu.org providers without keys (OPENTOFU_ENFORCE_GPG_VALIDATION). */
  readonly enforceGpgValidation?: boolean;
  /** Refuse expired keys and signatures (OPENTOFU_ENFORCE_GPG_EXPIRATION). */
  readonly enforceExpiration?: boolean;
  /** Clock for expiry; default now. */
  readonly now?: Date;
}

/**
 * Runs the verification chain of PROTOCOL.md §2.4 in OpenTofu's order (registry-packages, sums-line,
 * shasum, signature), then the lock-file check of §3, and returns what each check established.
 * Throws RepoxyError (VERIFY_*) at the first failure, its message naming provider, version, platform,
 * the check, the expected and the actual value. Fetches nothing; the caller hashes the file first.
 */
export async function verifyArchive(e: ArchiveEvidence): Promise<ChainResult> {
  const ref = e.meta.ref;
  const checks: CheckResult[] = [];
  checks.push(await inContext(ref, 'registry-packages', () => checkRegistryPackages(e)));
  checks.push(await inContext(ref, 'sums-line', () => checkSumsLine(e)));
  checks.push(await inContext(ref, 'shasum', () => checkShasum(e)));
  const signature = await inContext(ref, 'signature', () => checkSignature(e));
  checks.push(signature.result);
  checks.push(await inContext(ref, 'lock-hash', () => checkLockHash(e)));
  return { checks, signingKeyId: signature.keyId };
}

/** `host/namespace/type version os_arch`, the way every verification message names a package. */
export function describePackage(ref: PackageRef): string {
  return `${formatAddress(ref.address)} ${ref.version} ${formatPlatform(ref.platform)}`;
}

async function inContext<T>(ref: PackageRef, check: CheckName, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw withContext(ref, check, err);
  }
}

function withContext(ref: PackageRef, check: CheckName, err: unknown): unknown {
  if (!isRepoxyError(err)) return err;
  return new RepoxyError(err.code, `${describePackage(ref)}: ${check} check failed: ${err.message}`, {
    detail: err.detail,
    cause: err,
  });
}

// PROTOCOL.md §2.4 step 1 (registryPackageAuthentication): only when the `packages` extension is present.
function checkRegistryPackages(e: ArchiveEvidence): CheckResult {
  const packages = e.meta.packages;
  if (!packages || Object.keys(packages).length === 0) {
    return { check: 'registry-packages', outcome: 'skipped', detail: 'registry sent no packages extension' };
  }
  const platform = formatPlatform(e.meta.ref.platform);
  const entry = packages[platform];
  if (!entry) {
    const listed = Object.keys(packages).sort().join(', ');
    throw new RepoxyError(
      'VERIFY_SHASUM',
      `the registry's packages extension has no entry for ${platform} (it lists ${listed})`,
    );
  }
  const size = entry.package_size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0) {
    throw new RepoxyError(
      'VERIFY_PACKAGE_SIZE',
      `packages[${platform}].package_size is ${String(size)}, expected a size > 0`,
    );
  }
  if (size !== e.download.size) {
    throw new RepoxyError(
      'VERIFY_PACKAGE_SIZE',
      `expected package_size ${size} bytes, downloaded ${e.download.size} bytes`,
    );
  }
  const expected = zhHash(e.meta.shasum);
  const zh = entry.hashes.filter((h) => h.startsWith('zh:'));
  const wrong = zh.find((h) => h !== expected);
  if (zh.length === 0 || wrong !== undefined) {
    const actual = wrong ?? 'no zh: hash at all';
    throw new RepoxyError(
      'VERIFY_SHASUM',
      `packages[${platform}] expected ${expected} (the shasum), actual ${actual}`,
    );
  }
  return {
    check: 'registry-packages',
    outcome: 'passed',
    detail: `packages[${platform}]: ${size} bytes, ${expected}`,
  };
}

// PROTOCOL.md §2.4 step 2 (matchingChecksumAuthentication), for the file of exactly this platform.
function checkSumsLine(e: ArchiveEvidence): CheckResult {
  requirePlatformFilename(e.meta);
  const listed = findSumsLine(e.sums.sums, e.meta.filename, e.meta.shasum);
  return {
    check: 'sums-line',
    outcome: 'passed',
    detail: `SHA256SUMS lists ${listed} for ${e.meta.filename}`,
  };
}

/**
 * The SHA256SUMS line binds bytes to a file name, and only the name binds them to a platform: a
 * `linux_amd64` document naming the `darwin_arm64` file would otherwise pass every check (issue 13).
 */
function requirePlatformFilename(meta: DownloadMeta): void {
  const { address, version, platform } = meta.ref;
  const expected = archiveFileName(address, version, formatPlatform(platform));
  if (meta.filename !== expected) {
    throw new RepoxyError(
      'VERIFY_FILENAME',
      `the download document for ${formatPlatform(platform)} names the file "${meta.filename}", ` +
        `expected "${expected}": its SHA256SUMS line would vouch for another provider, version or platform`,
    );
  }
}

// PROTOCOL.md §2.4 step 3 (archiveHashAuthentication).
function checkShasum(e: ArchiveEvidence): CheckResult {
  const expected = zhHash(e.meta.shasum);
  const actual = zhHash(e.download.sha256);
  if (actual !== expected) {
    throw new RepoxyError(
      'VERIFY_SHASUM',
      `archive has incorrect checksum: expected ${expected}, actual ${actual}`,
    );
  }
  return {
    check: 'shasum',
    outcome: 'passed',
    detail: `sha256 of ${e.meta.filename} is ${e.download.sha256}`,
  };
}

// PROTOCOL.md §2.4 step 4 (signatureAuthentication, ShouldEnforceGPGValidationForProvider).
async function checkSignature(e: ArchiveEvidence): Promise<{ result: CheckResult; keyId: string | null }> {
  const host = e.meta.ref.address.hostname;
  const keys = e.meta.signingKeys;
  if (keys.length === 0 && host === DEFAULT_OPENTOFU_HOST && !e.enforceGpgValidation) {
    const warning = `${describePackage(e.meta.ref)}: ${host} sent no signing keys, so SHA256SUMS is not signature-checked (as OpenTofu does)`;
    return {
      result: {
        check: 'signature',
        outcome: 'skipped',
        detail: 'registry sent no signing keys',
        warnings: [warning],
      },
      keyId: null,
    };
  }
  if (keys.length === 0) {
    const why =
      host === DEFAULT_OPENTOFU_HOST
        ? 'GPG validation is enforced'
        : `${host} is not ${DEFAULT_OPENTOFU_HOST}`;
    throw new RepoxyError(
      'VERIFY_NO_KEYS',
      `expected at least one signing key because ${why}, actual: the registry sent none`,
    );
  }
  const signed = await verifySignature(e.sums.sums, e.sums.signature, keys, {
    now: e.now,
    enforceExpiration: e.enforceExpiration,
  });
  const detail = `signed by ${signed.keyId}${signed.expired ? ' (expired)' : ''}`;
  const warnings = signed.warnings.map((w) => `${describePackage(e.meta.ref)}: ${w}`);
  return {
    result: { check: 'signature', outcome: 'passed', detail, ...(warnings.length > 0 ? { warnings } : {}) },
    keyId: signed.keyId,
  };
}

// PROTOCOL.md §1.8 and §3: the archive must match one usable (h1:/zh:) lock hash of this version.
function checkLockHash(e: ArchiveEvidence): CheckResult {
  if (e.lockHashes.length === 0) {
    return {
      check: 'lock-hash',
      outcome: 'skipped',
      detail: 'the lock files record no hashes for this version',
    };
  }
  const usable = new Set(preferredHashes(e.lockHashes));
  if (usable.size === 0) {
    throw new RepoxyError(
      'VERIFY_LOCK_HASH',
      `the lock files record only [${e.lockHashes.join(', ')}]; OpenTofu does not support any of these checksum formats (expected h1: or zh:)`,
    );
  }
  const zh = zhHash(e.download.sha256);
  if (!e.zipHashes) throw new Error('internal: no zip hashes for an archive that passed the shasum check');
  const { h1Zip, h1Unpacked } = e.zipHashes;
  const matched = [zh, h1Zip, h1Unpacked].filter((h, i, all) => usable.has(h) && all.indexOf(h) === i);
  if (matched.length === 0) {
    throw new RepoxyError(
      'VERIFY_LOCK_HASH',
      `the archive matches none of the lock files' hashes: expected one of [${[...usable].join(', ')}], ` +
        `actual ${zh}, ${h1Zip} (zip), ${h1Unpacked} (unpacked); the upstream archive is not the one the ` +
        `lock pinned (a lock written against another registry host never matches: PROTOCOL.md §0 fact 9)`,
    );
  }
  const onlyUnpacked = matched.length === 1 && matched[0] === h1Unpacked && h1Unpacked !== h1Zip;
  const warnings = onlyUnpacked
    ? [
        `${describePackage(e.meta.ref)}: the archive matches the lock only by the h1: of its unpacked files; ` +
          `tofu init checks a mirrored zip by zh: or by ${h1Zip}, so add the zh: to the lock (tofu providers lock)`,
      ]
    : undefined;
  return {
    check: 'lock-hash',
    outcome: 'passed',
    detail: `lock file lists ${matched.join(', ')}`,
    ...(warnings ? { warnings } : {}),
  };
}
