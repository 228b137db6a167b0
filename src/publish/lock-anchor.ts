import { preferredHashes, zhHash } from '../domain/hash.ts';
import { h1OfZip } from '../verify/h1.ts';
import { sha256File } from '../verify/zh.ts';

/**
 * The consuming job's lock files as trust anchors for a mirror it did not build (issue 13): for each
 * locked `HOST/NS/TYPE VERSION` (lower-case address, as mirror directories are named), the usable
 * hashes every lock file records for it. A version no lock file locks has no entry.
 */
export type LockAnchors = ReadonlyMap<string, readonly string[]>;

/** The key of a provider version in `LockAnchors`: `HOST/NS/TYPE VERSION`, the address lower-case. */
export function anchorKey(providerDir: string, version: string): string {
  return `${providerDir.toLowerCase()} ${version}`;
}

/** What the lock files say about one archive: anchored (it matched), unanchored, or a mismatch message. */
export type AnchorOutcome =
  | { readonly kind: 'anchored'; readonly hash: string }
  | { readonly kind: 'unanchored' }
  | { readonly kind: 'mismatch'; readonly message: string };

/**
 * Checks the archive at `file` against `lockHashes` (its version's hashes; undefined when no lock
 * file locks it): it must match one `zh:` (sha256 of the zip) or `h1:` (HashZip), PROTOCOL.md §1.8.
 * `zh` is the archive's `zh:` when the caller already hashed it; h1: is computed only when needed.
 */
export async function checkLockAnchor(
  file: string,
  lockHashes: readonly string[] | undefined,
  zh?: string,
): Promise<AnchorOutcome> {
  const usable = new Set(preferredHashes(lockHashes ?? []));
  if (usable.size === 0) return { kind: 'unanchored' };
  const actualZh = zh ?? zhHash(await sha256File(file));
  if (usable.has(actualZh)) return { kind: 'anchored', hash: actualZh };
  const h1 = await h1OfZip(file);
  if (usable.has(h1)) return { kind: 'anchored', hash: h1 };
  return {
    kind: 'mismatch',
    message:
      `is ${actualZh} and ${h1}, but the lock files record [${[...usable].sort().join(', ')}] for its ` +
      'version: the artifact holds an archive the repository did not lock',
  };
}
