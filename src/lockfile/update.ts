/**
 * Completing a lock file's provider blocks with the hashes upstream proved (as `tofu providers lock`
 * merges them, OpenTofu internal/command/providers_lock.go), pure: text and evidence in, the new text
 * and what changed out. Hashes already in a block are kept; versions and constraints never change.
 */
import { formatAddress, type ProviderAddress } from '../domain/address.ts';
import { normalizeHashes } from '../domain/hash.ts';
import type { LockFile, LockedProvider } from './parse.ts';
import { formatLockFile, headerOf } from './write.ts';

/** What this run proved for one provider version. */
export interface VersionEvidence {
  /** Requested platform (`os_arch`) → the `h1:` of its verified archive. */
  readonly h1: ReadonlyMap<string, string>;
  /**
   * Hashes recorded whatever the platform, as OpenTofu records them: every `zh:` of the version's
   * SHA256SUMS (signed, except on registry.opentofu.org without keys) and, on registry.opentofu.org,
   * what its `packages` extension reports. A block's `zh:` outside this set is an error.
   */
  readonly reported: ReadonlySet<string>;
}

export type EvidenceLookup = (address: ProviderAddress, version: string) => VersionEvidence | undefined;

export interface BlockChange {
  readonly path: string;
  readonly line: number;
  readonly address: string;
  readonly version: string;
  /** Requested platforms whose `h1:` the block lacked. */
  readonly missingPlatforms: readonly string[];
  /** Hashes added, sorted. */
  readonly added: readonly string[];
}

/** A `zh:` in the file that the version's signed SHA256SUMS does not list. */
export interface UnknownHash {
  readonly path: string;
  readonly line: number;
  readonly address: string;
  readonly version: string;
  readonly hash: string;
}

export interface FileUpdate {
  readonly path: string;
  /** The new file text; undefined when every block already holds everything. */
  readonly text: string | undefined;
  readonly changes: readonly BlockChange[];
  readonly unknown: readonly UnknownHash[];
}

/**
 * Merges into each provider block of `file` (parsed from `text`) the `h1:` of each of `platforms` and
 * every signed `zh:`. Blocks with no evidence (excluded from the run) are kept as they are.
 */
export function updateLockFile(
  text: string,
  file: LockFile,
  platforms: readonly string[],
  lookup: EvidenceLookup,
): FileUpdate {
  const changes: BlockChange[] = [];
  const unknown: UnknownHash[] = [];
  const merged = file.providers.map((p) => {
    const evidence = lookup(p.address, p.version);
    if (!evidence) return p;
    unknown.push(...unknownHashes(text, file.path, p, evidence));
    const change = blockChange(file.path, p, platforms, evidence);
    if (change.added.length === 0) return p;
    changes.push(change);
    return { ...p, hashes: normalizeHashes([...p.hashes, ...change.added]) };
  });
  const newText = changes.length > 0 ? formatLockFile(headerOf(text), merged) : undefined;
  return { path: file.path, text: newText, changes, unknown };
}

function blockChange(
  path: string,
  p: LockedProvider,
  platforms: readonly string[],
  evidence: VersionEvidence,
): BlockChange {
  const have = new Set(p.hashes);
  const wanted = [...platforms.flatMap((pl) => evidence.h1.get(pl) ?? []), ...evidence.reported];
  const added = normalizeHashes(wanted.filter((h) => !have.has(h)));
  const missingPlatforms = platforms.filter((pl) => {
    const h1 = evidence.h1.get(pl);
    return h1 !== undefined && !have.has(h1);
  });
  const base = { path, line: p.line, address: formatAddress(p.address), version: p.version };
  return { ...base, missingPlatforms, added };
}

function unknownHashes(
  text: string,
  path: string,
  p: LockedProvider,
  evidence: VersionEvidence,
): UnknownHash[] {
  return p.hashes
    .filter((h) => h.startsWith('zh:') && !evidence.reported.has(h))
    .map((hash) => ({
      path,
      line: lineOf(text, p.line, hash),
      address: formatAddress(p.address),
      version: p.version,
      hash,
    }));
}

/** The 1-based line, at or after `fromLine`, that holds `"<hash>"`; `fromLine` when none does. */
export function lineOf(text: string, fromLine: number, hash: string): number {
  const lines = text.split('\n');
  for (let i = fromLine - 1; i < lines.length; i++) if (lines[i]!.includes(`"${hash}"`)) return i + 1;
  return fromLine;
}
