import { formatAddress, hostnameASCII } from '../domain/address.ts';
import { RepoxyError } from '../domain/errors.ts';
import { archiveFileName, type ArchiveRecord } from '../domain/package.ts';
import { formatPlatform } from '../domain/platform.ts';
import { compareVersionText } from '../domain/version.ts';
import type { DownloadMeta, SumsEvidence } from '../upstream/source.ts';
import { canonicalJson } from './json.ts';
import { providerDir, type MirrorFile } from './network-mirror.ts';

/** A mirrored archive with the upstream evidence that proved it. */
export interface ViewEntry {
  readonly record: ArchiveRecord;
  readonly meta: DownloadMeta;
  readonly sums: SumsEvidence;
}

/** Depth of `v1/providers/HOST/NS/TYPE/VERSION/download/OS/` below the mirror root. */
const DOWNLOAD_DOC_DEPTH = 8;
const TO_ROOT = '../'.repeat(DOWNLOAD_DOC_DEPTH);

/**
 * The registry-protocol view (PROTOCOL.md §2): one static tree serving several upstream hosts, with the
 * host as the first segment under `v1/providers/`, so a CLI `host "H" { services = { "providers.v1" =
 * "<mirror>v1/providers/H/" } }` block points each host at its own subtree. URLs are relative, so the
 * view works under a Pages project-site prefix. SHA256SUMS and its signature are upstream's bytes.
 */
export function registryViewFiles(entries: readonly ViewEntry[]): MirrorFile[] {
  if (entries.length === 0) return [];
  const files: MirrorFile[] = [wellKnown(entries)];
  const byProvider = groupBy(entries, (e) => formatAddress(e.record.ref.address));
  for (const list of byProvider.values()) {
    const base = `v1/providers/${providerDir(list[0]!.record.ref.address)}`;
    files.push({ path: `${base}/versions`, kind: 'text', text: versionsDocument(list) });
    for (const [version, perVersion] of groupBy(list, (e) => e.record.ref.version)) {
      const first = versionSums(perVersion);
      files.push({ path: `${base}/${version}/SHA256SUMS`, kind: 'bytes', bytes: first.sums });
      files.push({ path: `${base}/${version}/SHA256SUMS.sig`, kind: 'bytes', bytes: first.signature });
      for (const e of perVersion) {
        const { os, arch } = e.record.ref.platform;
        files.push({
          path: `${base}/${version}/download/${os}/${arch}`,
          kind: 'text',
          text: downloadDocument(e),
        });
      }
    }
  }
  return files;
}

/**
 * The one SHA256SUMS (and signature) a version's view serves, whatever order its platforms finished in:
 * the first platform in `os_arch` order. Every platform's download document points at this one file,
 * so platforms whose upstream documents led to different bytes cannot share it: the version fails
 * (UPSTREAM_BAD_RESPONSE) rather than serve a file that some platform's archive is not listed or signed in.
 */
function versionSums(perVersion: readonly ViewEntry[]): SumsEvidence {
  const sorted = [...perVersion].sort((a, b) => platformKey(a).localeCompare(platformKey(b)));
  const chosen = sorted[0]!;
  const other = sorted.find(
    (e) => !e.sums.sums.equals(chosen.sums.sums) || !e.sums.signature.equals(chosen.sums.signature),
  );
  if (other) {
    const ref = chosen.record.ref;
    throw new RepoxyError(
      'UPSTREAM_BAD_RESPONSE',
      `${formatAddress(ref.address)} ${ref.version}: the registry served different SHA256SUMS or signatures ` +
        `for ${platformKey(chosen)} and ${platformKey(other)}; the registry-protocol view serves one SHA256SUMS per ` +
        `version, so it cannot be written (mirror without the view: --no-registry-view / registry-view: false)`,
    );
  }
  return chosen.sums;
}

function platformKey(e: ViewEntry): string {
  return formatPlatform(e.record.ref.platform);
}

/**
 * `.well-known/terraform.json` only matters when the mirror is served at a domain root (PROTOCOL.md §2.7):
 * it advertises the primary upstream host's subtree (registry.terraform.io, else registry.opentofu.org,
 * else the first host). On a project site clients must use `host` blocks instead.
 */
function wellKnown(entries: readonly ViewEntry[]): MirrorFile {
  const hosts = [...new Set(entries.map((e) => hostnameASCII(e.record.ref.address.hostname)))].sort();
  const primary =
    ['registry.terraform.io', 'registry.opentofu.org'].find((h) => hosts.includes(h)) ?? hosts[0]!;
  return {
    path: '.well-known/terraform.json',
    kind: 'text',
    text: canonicalJson({ 'providers.v1': `../v1/providers/${primary}/` }),
  };
}

/** `versions` (PROTOCOL.md §2.2): only mirrored versions, with their protocols and mirrored platforms. */
function versionsDocument(list: readonly ViewEntry[]): string {
  const byVersion = groupBy(list, (e) => e.record.ref.version);
  const versions = [...byVersion.keys()].sort(compareVersionText).map((version) => {
    const perVersion = byVersion.get(version)!;
    const platforms = perVersion
      .map((e) => ({ os: e.record.ref.platform.os, arch: e.record.ref.platform.arch }))
      .sort((a, b) => `${a.os}_${a.arch}`.localeCompare(`${b.os}_${b.arch}`));
    return { version, protocols: [...perVersion[0]!.meta.protocols], platforms };
  });
  return canonicalJson({ versions });
}

/** The upstream download document with its three URLs pointing into the mirror (PROTOCOL.md §2.3). */
function downloadDocument(e: ViewEntry): string {
  const ref = e.record.ref;
  const zip = archiveFileName(ref.address, ref.version, formatPlatform(ref.platform));
  return canonicalJson({
    ...e.meta.document,
    download_url: `${TO_ROOT}${providerDir(ref.address)}/${zip}`,
    shasums_url: '../../SHA256SUMS',
    shasums_signature_url: '../../SHA256SUMS.sig',
  });
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k) ?? [];
    list.push(item);
    out.set(k, list);
  }
  return out;
}
