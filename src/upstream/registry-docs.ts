import { RepoxyError } from '../domain/errors.ts';
import type { PackageRef } from '../domain/package.ts';
import { formatPlatform } from '../domain/platform.ts';
import type { DownloadMeta, RegistryPackageEntry, UpstreamVersion, VersionsDoc } from './source.ts';
import { displayUrl, requireFetchableUrl } from './url-policy.ts';

type JsonObject = Record<string, unknown>;

/** A version string go-versions' ParseVersion accepts (loosely: `1`, `1.0`, `1.0.0-beta+x`). */
const LOOSE_VERSION = /^v?[0-9]+(?:\.[0-9]+){0,2}(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/**
 * Validates a `versions` document (PROTOCOL.md §2.2). An unparsable version is a hard error, as in
 * OpenTofu's registry source. Throws UPSTREAM_BAD_RESPONSE naming the URL.
 */
export function parseVersionsDoc(value: unknown, url: string): VersionsDoc {
  const bad = badResponse(url);
  const doc = requireObject(value, 'the versions document', bad);
  const versions = optionalArray(doc['versions'], 'versions', bad).map((entry, i): UpstreamVersion => {
    const v = requireObject(entry, `versions[${i}]`, bad);
    const version = v['version'];
    if (typeof version !== 'string' || !LOOSE_VERSION.test(version)) {
      throw bad(`versions[${i}].version ${JSON.stringify(version)} is not a version`);
    }
    const protocols = stringArray(v['protocols'], `versions[${i}].protocols`, bad);
    const platforms = optionalArray(v['platforms'], `versions[${i}].platforms`, bad).map((p, j) => {
      const o = requireObject(p, `versions[${i}].platforms[${j}]`, bad);
      return {
        os: requireString(o['os'], `versions[${i}].platforms[${j}].os`, bad),
        arch: requireString(o['arch'], `versions[${i}].platforms[${j}].arch`, bad),
      };
    });
    return { version, protocols, platforms };
  });
  return { versions, warnings: stringArray(doc['warnings'], 'warnings', bad) };
}

/**
 * Validates a download document for `ref` (PROTOCOL.md §2.3): protocols include a 5.x or 6.x when
 * present; os/arch echo the request; `filename` is a plain `terraform-provider-….zip` name; URLs are
 * resolved against `finalUrl` and must be http(s) (plain http only to loopback); `shasum` is 64 hex.
 * Throws UPSTREAM_BAD_RESPONSE naming the URL and the field.
 */
export function parseDownloadDoc(value: unknown, ref: PackageRef, finalUrl: string): DownloadMeta {
  const bad = badResponse(finalUrl);
  const doc = requireObject(value, 'the download document', bad);
  const protocols = stringArray(doc['protocols'], 'protocols', bad);
  requireSupportedProtocol(protocols, bad);
  if (doc['os'] !== ref.platform.os || doc['arch'] !== ref.platform.arch) {
    const got = `${String(doc['os'])}_${String(doc['arch'])}`;
    throw bad(`it describes platform ${got}, not the requested ${formatPlatform(ref.platform)}`);
  }
  const url = (field: string) => resolveUrl(doc[field], field, finalUrl, bad);
  return {
    ref,
    protocols,
    filename: requireArchiveFilename(doc['filename'], bad),
    downloadUrl: url('download_url'),
    shasum: requireShasum(doc['shasum'], bad),
    shasumsUrl: url('shasums_url'),
    shasumsSignatureUrl: url('shasums_signature_url'),
    signingKeys: signingKeys(doc['signing_keys'], bad),
    packages: packagesExtension(doc['packages'], bad),
    document: doc,
  };
}

type Bad = (why: string) => RepoxyError;

function badResponse(url: string): Bad {
  return (why) =>
    new RepoxyError('UPSTREAM_BAD_RESPONSE', `registry response from ${displayUrl(url)}: ${why}`);
}

function requireObject(value: unknown, what: string, bad: Bad): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad(`${what} is not a JSON object`);
  return value as JsonObject;
}

function requireString(value: unknown, what: string, bad: Bad): string {
  if (typeof value !== 'string') throw bad(`${what} must be a string`);
  return value;
}

/** Absent or null is an empty list, as Go's decoder leaves a nil slice. */
function optionalArray(value: unknown, what: string, bad: Bad): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw bad(`${what} must be a list`);
  return value;
}

function stringArray(value: unknown, what: string, bad: Bad): string[] {
  return optionalArray(value, what, bad).map((v, i) => requireString(v, `${what}[${i}]`, bad));
}

/** PROTOCOL.md §2.3: when protocols are listed, one must be in `>= 5, < 7`. */
function requireSupportedProtocol(protocols: readonly string[], bad: Bad): void {
  if (protocols.length === 0) return;
  const majors = protocols.map((p) => {
    const m = /^([0-9]+)(?:\.[0-9]+){0,2}$/.exec(p);
    if (!m) throw bad(`protocols contains "${p}", which is not a version`);
    return Number(m[1]);
  });
  if (!majors.some((major) => major === 5 || major === 6)) {
    throw bad(`provider protocol versions ${protocols.join(', ')} are not supported (need 5.x or 6.x)`);
  }
}

/** A plain file name: no separators, NUL, control characters or `..`; `terraform-provider-*.zip`. */
function requireArchiveFilename(value: unknown, bad: Bad): string {
  const name = requireString(value, 'filename', bad);
  // eslint-disable-next-line no-control-regex
  const unsafe = /[/\\\u0000-\u001f\u007f]/.test(name) || name.includes('..') || name.length > 255;
  const lower = name.toLowerCase();
  if (unsafe || !lower.startsWith('terraform-provider-') || !lower.endsWith('.zip')) {
    throw bad(`filename ${JSON.stringify(name)} is not a plain terraform-provider-*.zip file name`);
  }
  return name;
}

function requireShasum(value: unknown, bad: Bad): string {
  if (typeof value !== 'string' || !/^[0-9a-fA-F]{64}$/.test(value)) {
    throw bad(`shasum ${JSON.stringify(value)} is not 64 hexadecimal digits`);
  }
  return value.toLowerCase();
}

function resolveUrl(value: unknown, field: string, finalUrl: string, bad: Bad): string {
  const text = requireString(value, field, bad);
  if (text === '') throw bad(`${field} is empty`);
  try {
    return requireFetchableUrl(text, field, 'UPSTREAM_BAD_RESPONSE', finalUrl).href;
  } catch (err) {
    throw bad((err as Error).message);
  }
}

function signingKeys(value: unknown, bad: Bad): string[] {
  if (value === undefined || value === null) return [];
  const keys = requireObject(value, 'signing_keys', bad);
  return optionalArray(keys['gpg_public_keys'], 'signing_keys.gpg_public_keys', bad).map((k, i) => {
    const key = requireObject(k, `signing_keys.gpg_public_keys[${i}]`, bad);
    return requireString(key['ascii_armor'], `signing_keys.gpg_public_keys[${i}].ascii_armor`, bad);
  });
}

/** OpenTofu's `packages` extension (PROTOCOL.md §2.3), or null when absent. */
function packagesExtension(value: unknown, bad: Bad): Record<string, RegistryPackageEntry> | null {
  if (value === undefined || value === null) return null;
  const entries = Object.entries(requireObject(value, 'packages', bad)).map(([platform, raw]) => {
    const entry = requireObject(raw, `packages.${platform}`, bad);
    const hashes = stringArray(entry['hashes'], `packages.${platform}.hashes`, bad);
    const size = entry['package_size'];
    if (size === undefined || size === null) return [platform, { hashes }] as const;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw bad(`packages.${platform}.package_size must be a non-negative integer`);
    }
    return [platform, { hashes, package_size: size }] as const;
  });
  return Object.fromEntries(entries);
}
