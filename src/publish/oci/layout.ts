import { createHash } from 'node:crypto';
import type { Platform } from '../../domain/platform.ts';
import { comparePlatforms, formatPlatform } from '../../domain/platform.ts';
import { RepoxyError } from '../../domain/errors.ts';
import { canonicalJson } from '../../mirror/json.ts';

/**
 * What a provider version looks like in an OCI repository (PROTOCOL.md §6.3): per platform an image
 * manifest whose one `archive/zip` layer is the upstream zip, and an index over them tagged with the
 * version. Pure: the same archives always give byte-identical documents, hence the same digests.
 */

export const INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';
export const MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const PROVIDER_ARTIFACT_TYPE = 'application/vnd.opentofu.provider';
export const TARGET_ARTIFACT_TYPE = 'application/vnd.opentofu.provider-target';
export const ARCHIVE_MEDIA_TYPE = 'archive/zip';

/** The OCI empty descriptor (`{}`), the config of every target manifest, as OpenTofu's fixtures use. */
export const EMPTY_CONFIG = Object.freeze({
  mediaType: 'application/vnd.oci.empty.v1+json',
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
  data: 'e30=',
});
export const EMPTY_CONFIG_BYTES = Buffer.from('{}');

/** A content-addressed blob: `sha256:<hex>` and its length in bytes. */
export interface BlobRef {
  readonly digest: string;
  readonly size: number;
}

/** A manifest or index as pushed: its exact bytes and their digest. */
export interface OciDocument extends BlobRef {
  readonly mediaType: string;
  readonly bytes: Buffer;
}

/** One platform of a provider version: the image manifest and the zip it carries. */
export interface PlatformManifest {
  readonly platform: Platform;
  readonly manifest: OciDocument;
}

/** A `manifests[]` entry of a provider index. */
export interface IndexEntry {
  readonly platform: Platform;
  readonly digest: string;
  readonly size: number;
}

/** The tag of a version: OpenTofu resolves `strings.ReplaceAll(version, "+", "_")` (§6.2 step 2). */
export function tagOfVersion(version: string): string {
  return version.replaceAll('+', '_');
}

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The image manifest of one platform's zip (§6.2 steps 5-6). */
export function platformManifest(platform: Platform, archive: BlobRef): PlatformManifest {
  const body = {
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPE,
    artifactType: TARGET_ARTIFACT_TYPE,
    config: EMPTY_CONFIG,
    layers: [{ mediaType: ARCHIVE_MEDIA_TYPE, digest: archive.digest, size: archive.size }],
  };
  return { platform, manifest: document(MANIFEST_MEDIA_TYPE, body) };
}

/** The index of a version over `entries`, sorted by platform (§6.2 steps 3-4). */
export function providerIndex(entries: readonly IndexEntry[]): OciDocument {
  const sorted = [...entries].sort((a, b) => comparePlatforms(a.platform, b.platform));
  const body = {
    schemaVersion: 2,
    mediaType: INDEX_MEDIA_TYPE,
    artifactType: PROVIDER_ARTIFACT_TYPE,
    manifests: sorted.map((e) => ({
      mediaType: MANIFEST_MEDIA_TYPE,
      artifactType: TARGET_ARTIFACT_TYPE,
      digest: e.digest,
      size: e.size,
      platform: { architecture: e.platform.arch, os: e.platform.os },
    })),
  };
  return document(INDEX_MEDIA_TYPE, body);
}

export function entryOf(p: PlatformManifest): IndexEntry {
  return { platform: p.platform, digest: p.manifest.digest, size: p.manifest.size };
}

function document(mediaType: string, body: unknown): OciDocument {
  const bytes = Buffer.from(canonicalJson(body));
  return { mediaType, bytes, digest: sha256Digest(bytes), size: bytes.length };
}

/**
 * The provider-target entries of an index found in the registry, by platform. Throws OCI_CONFLICT
 * when the document is not a provider index (the tag holds something else: never overwritten).
 */
export function readProviderIndex(bytes: Buffer, where: string): Map<string, IndexEntry> {
  const doc = parseObject(bytes, where);
  if (doc['mediaType'] !== INDEX_MEDIA_TYPE || doc['artifactType'] !== PROVIDER_ARTIFACT_TYPE) {
    throw new RepoxyError(
      'OCI_CONFLICT',
      `${where} is not an OpenTofu provider index (mediaType ${String(doc['mediaType'])}, artifactType ` +
        `${String(doc['artifactType'])}); refusing to replace it`,
    );
  }
  const out = new Map<string, IndexEntry>();
  for (const m of Array.isArray(doc['manifests']) ? (doc['manifests'] as unknown[]) : []) {
    const entry = indexEntryOf(m);
    if (entry) out.set(formatPlatform(entry.platform), entry);
  }
  return out;
}

/** The `archive/zip` layer of a target manifest from the registry; OCI_CONFLICT when it has none. */
export function archiveLayerOf(bytes: Buffer, where: string): BlobRef {
  const doc = parseObject(bytes, where);
  const layers = Array.isArray(doc['layers']) ? (doc['layers'] as unknown[]) : [];
  const zips = layers.filter(isObject).filter((l) => l['mediaType'] === ARCHIVE_MEDIA_TYPE);
  const layer = zips[0];
  if (zips.length !== 1 || typeof layer?.['digest'] !== 'string' || typeof layer['size'] !== 'number') {
    throw new RepoxyError('OCI_CONFLICT', `${where} has no single ${ARCHIVE_MEDIA_TYPE} layer`);
  }
  return { digest: layer['digest'], size: layer['size'] };
}

function indexEntryOf(m: unknown): IndexEntry | undefined {
  if (!isObject(m) || m['artifactType'] !== TARGET_ARTIFACT_TYPE || !isObject(m['platform']))
    return undefined;
  const { os, architecture } = m['platform'];
  if (typeof os !== 'string' || typeof architecture !== 'string') return undefined;
  if (typeof m['digest'] !== 'string' || typeof m['size'] !== 'number') return undefined;
  return { platform: { os, arch: architecture }, digest: m['digest'], size: m['size'] };
}

function parseObject(bytes: Buffer, where: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    if (isObject(value)) return value;
  } catch {
    // reported below
  }
  throw new RepoxyError('OCI_REGISTRY', `${where} is not a JSON object`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
