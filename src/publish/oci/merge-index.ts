import { RepoxyError } from '../../domain/errors.ts';
import type { OciRegistryClient } from './distribution.ts';
import type { IndexEntry, OciDocument } from './layout.ts';
import { archiveLayerOf, providerIndex, readProviderIndex, sha256Digest } from './layout.ts';

/**
 * The index a tag that already exists must move to: every platform it has is kept (platforms pushed
 * later never drop earlier ones), ours added. A platform both have must carry the same zip, else
 * OCI_CONFLICT: that would be different bytes for the same version. Returns undefined when the
 * existing index already is that index (nothing to push).
 */
export async function mergeProviderIndex(
  existing: Buffer,
  ours: ReadonlyMap<string, IndexEntry>,
  ourArchives: ReadonlyMap<string, string>,
  at: { client: OciRegistryClient; repo: string; where: string },
): Promise<OciDocument | undefined> {
  const theirs = readProviderIndex(existing, at.where);
  const merged = new Map(theirs);
  for (const [platform, entry] of ours) {
    const their = theirs.get(platform);
    if (their && their.digest !== entry.digest)
      await requireSameArchive(their, ourArchives.get(platform)!, platform, at);
    merged.set(platform, entry);
  }
  const index = providerIndex([...merged.values()]);
  return index.digest === sha256Digest(existing) ? undefined : index;
}

/** Another manifest for a platform is fine only when its `archive/zip` layer is our zip. */
async function requireSameArchive(
  their: IndexEntry,
  ourDigest: string,
  platform: string,
  at: { client: OciRegistryClient; repo: string; where: string },
): Promise<void> {
  const bytes = await at.client.getManifest(at.repo, their.digest);
  if (bytes === undefined) {
    throw new RepoxyError(
      'OCI_REGISTRY',
      `${at.where} lists ${platform} manifest ${their.digest}, which the registry does not have`,
    );
  }
  const layer = archiveLayerOf(bytes, `${at.where} ${platform} manifest ${their.digest}`);
  if (layer.digest !== ourDigest) {
    throw new RepoxyError(
      'OCI_CONFLICT',
      `${at.where} already has ${platform} as ${layer.digest}, but the mirror's archive is ${ourDigest}: ` +
        'different bytes for the same version; nothing was retagged (push to another repository, or delete the tag)',
    );
  }
}
