import type { VersionEntry } from './catalog.ts';

/** JSON documents of the provider registry protocol (PROTOCOL.md §2), as plain values. */

const OPENTOFU_HOST = 'registry.opentofu.org';

/** Path prefix under which everything of provider host `host` is served. */
export function hostPrefix(host: string): string {
  return `/${host}/`;
}

/** `/.well-known/terraform.json` with a relative providers.v1 URL (PROTOCOL.md §2.1). */
export function discoveryDocument(host: string): object {
  return { 'providers.v1': `${hostPrefix(host)}v1/providers/` };
}

/** The `versions` document (PROTOCOL.md §2.2). */
export function versionsDocument(entries: readonly VersionEntry[]): object {
  return {
    versions: entries.map((v) => ({
      version: v.spec.version,
      protocols: v.protocols,
      platforms: [...v.archives.keys()].map(splitPlatform),
    })),
  };
}

/** Where the files of a version live: `/H/files/NS/TYPE/VERSION/`. */
export function filesPrefix(v: VersionEntry): string {
  const { hostname, namespace, type, version } = v.spec;
  return `${hostPrefix(hostname)}files/${namespace}/${type}/${version}/`;
}

export interface DownloadDocumentOptions {
  /** Armored public keys listed in `signing_keys`, in order. */
  keys: readonly { keyId: string; armored: string }[];
  /** Replace `shasum` by a wrong value (the 'wrong-shasum' fault). */
  wrongShasum: boolean;
}

/** The download document for one platform (PROTOCOL.md §2.3), with relative URLs. */
export function downloadDocument(
  v: VersionEntry,
  platform: string,
  options: DownloadDocumentOptions,
): object {
  const archive = v.archives.get(platform);
  if (!archive) throw new Error(`downloadDocument: ${v.address} ${v.spec.version} has no ${platform}`);
  const { os, arch } = splitPlatform(platform);
  const prefix = filesPrefix(v);
  const doc: Record<string, unknown> = {
    protocols: v.protocols,
    os,
    arch,
    filename: archive.filename,
    download_url: `${prefix}${archive.filename}`,
    shasum: options.wrongShasum ? flipHex(archive.sha256) : archive.sha256,
    shasums_url: `${prefix}${v.sumsFilename}`,
    shasums_signature_url: `${prefix}${v.sumsFilename}.sig`,
    signing_keys: {
      gpg_public_keys: options.keys.map((k) => ({
        key_id: k.keyId,
        ascii_armor: k.armored,
        trust_signature: '',
        source: 'fixture',
        source_url: null,
      })),
    },
  };
  if (v.spec.hostname === OPENTOFU_HOST) doc['packages'] = packagesExtension(v);
  return doc;
}

/** OpenTofu's `packages` extension: h1 and zh for every platform (PROTOCOL.md §2.3, §2.4 step 1). */
function packagesExtension(v: VersionEntry): object {
  const packages: Record<string, object> = {};
  for (const [platform, a] of v.archives) {
    packages[platform] = { hashes: [a.h1, a.zh], package_size: a.size };
  }
  return packages;
}

/** The registry's error body shape. */
export function errorDocument(message: string): object {
  return { errors: [message] };
}

function splitPlatform(platform: string): { os: string; arch: string } {
  const i = platform.indexOf('_');
  return { os: platform.slice(0, i), arch: platform.slice(i + 1) };
}

function flipHex(hex: string): string {
  return (hex[0] === '0' ? '1' : '0') + hex.slice(1);
}
