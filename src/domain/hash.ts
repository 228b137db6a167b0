/** A package hash `scheme:value` (PROTOCOL.md §4). Only `h1:` and `zh:` are usable; others are kept. */
export type HashString = string;

export interface ParsedHash {
  readonly scheme: string;
  readonly value: string;
}

/** OpenTofu's ParseHash: a `:` at index >= 1 (hash.go:58-64). Returns undefined when not a hash. */
export function parseHash(text: string): ParsedHash | undefined {
  const i = text.indexOf(':');
  if (i < 1) return undefined;
  return { scheme: text.slice(0, i), value: text.slice(i + 1) };
}

/** The usable subset of hashes (PreferredHashes, hash.go:311-329). */
export function preferredHashes(hashes: readonly HashString[]): HashString[] {
  return hashes.filter((h) => h.startsWith('h1:') || h.startsWith('zh:'));
}

/** Sorted, unique. */
export function normalizeHashes(hashes: Iterable<HashString>): HashString[] {
  return [...new Set(hashes)].sort();
}

export function zhHash(sha256Hex: string): HashString {
  return `zh:${sha256Hex.toLowerCase()}`;
}
