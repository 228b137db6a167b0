import { formatAddress, hostnameASCII, type ProviderAddress } from '../domain/address.ts';
import { normalizeHashes } from '../domain/hash.ts';
import { archiveFileName, type ArchiveRecord } from '../domain/package.ts';
import { formatPlatform } from '../domain/platform.ts';
import { compareVersionText } from '../domain/version.ts';
import { canonicalJson } from './json.ts';

/** A file of the mirror: its path relative to the mirror root (posix) and where its bytes come from. */
export type MirrorFile =
  | { readonly path: string; readonly kind: 'text'; readonly text: string }
  | { readonly path: string; readonly kind: 'bytes'; readonly bytes: Buffer }
  | { readonly path: string; readonly kind: 'copy'; readonly from: string; readonly size: number };

/**
 * The directory of a provider in the mirror: `HOST/NS/TYPE` with the ASCII (punycode) host, which is
 * what network-mirror clients request (PROTOCOL.md §1.2). Lower case throughout.
 */
export function providerDir(address: ProviderAddress): string {
  return `${hostnameASCII(address.hostname)}/${address.namespace}/${address.type}`.toLowerCase();
}

/** `index.json` (PROTOCOL.md §1.6): every mirrored version, each with an empty object. */
export function versionIndexDocument(versions: readonly string[]): string {
  // canonicalJson sorts the keys, so no ordering is needed here.
  const entries = [...new Set(versions)].map((v) => [v, {}] as const);
  return canonicalJson({ versions: Object.fromEntries(entries) });
}

/** `VERSION.json` (PROTOCOL.md §1.6, §5.3): relative url and both h1: (HashZip) and zh: per archive. */
export function versionArchivesDocument(archives: readonly ArchiveRecord[]): string {
  const out: Record<string, { url: string; hashes: string[] }> = {};
  for (const a of archives) {
    const platform = formatPlatform(a.ref.platform);
    out[platform] = {
      url: archiveFileName(a.ref.address, a.ref.version, platform),
      hashes: normalizeHashes([a.h1, a.zh]),
    };
  }
  return canonicalJson({ archives: out });
}

/** Groups archives by provider then version, in a stable order. */
export function groupArchives(archives: readonly ArchiveRecord[]): Map<string, Map<string, ArchiveRecord[]>> {
  const byProvider = new Map<string, Map<string, ArchiveRecord[]>>();
  const sorted = [...archives].sort(
    (x, y) =>
      formatAddress(x.ref.address).localeCompare(formatAddress(y.ref.address)) ||
      compareVersionText(x.ref.version, y.ref.version) ||
      formatPlatform(x.ref.platform).localeCompare(formatPlatform(y.ref.platform)),
  );
  for (const a of sorted) {
    const dir = providerDir(a.ref.address);
    const versions = byProvider.get(dir) ?? new Map<string, ArchiveRecord[]>();
    byProvider.set(dir, versions);
    const list = versions.get(a.ref.version) ?? [];
    list.push(a);
    versions.set(a.ref.version, list);
  }
  return byProvider;
}

/** Where an archive goes in the mirror (posix, relative to the root): its provider directory, packed name. */
export function archivePath(a: Pick<ArchiveRecord, 'ref'>): string {
  const name = archiveFileName(a.ref.address, a.ref.version, formatPlatform(a.ref.platform));
  return `${providerDir(a.ref.address)}/${name}`;
}

/** Every file of the network-mirror view (which is also a packed filesystem_mirror), plus `.nojekyll`. */
export function networkMirrorFiles(archives: readonly ArchiveRecord[]): MirrorFile[] {
  const files: MirrorFile[] = [{ path: '.nojekyll', kind: 'text', text: '' }];
  for (const [dir, versions] of groupArchives(archives)) {
    files.push({ path: `${dir}/index.json`, kind: 'text', text: versionIndexDocument([...versions.keys()]) });
    for (const [version, list] of versions) {
      files.push({ path: `${dir}/${version}.json`, kind: 'text', text: versionArchivesDocument(list) });
      for (const a of list) {
        files.push({ path: archivePath(a), kind: 'copy', from: a.localPath, size: a.size });
      }
    }
  }
  return files;
}

/** Size in bytes of a mirror file as written. */
export function mirrorFileSize(f: MirrorFile): number {
  if (f.kind === 'copy') return f.size;
  if (f.kind === 'bytes') return f.bytes.length;
  return Buffer.byteLength(f.text);
}
