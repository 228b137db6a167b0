/**
 * Writing lock files as OpenTofu's writer does (PROTOCOL.md §3; OpenTofu internal/depsfile/
 * locks_file.go SaveLocksToBytes / encodeHashSetTokens), pure: blocks sorted by address, `version`
 * and `constraints` aligned as hclwrite aligns them, `hashes` one per line, sorted, unique, each with
 * a trailing comma. Like OpenTofu, a rewrite is of the whole file in its normalized form: LF line
 * endings, no comments inside or between blocks, module blocks dropped. Unlike OpenTofu, the
 * file's own header comment (its leading comment lines) is kept rather than replaced.
 */
import { normalizeHashes } from '../domain/hash.ts';
import { compareAddresses, formatAddress, type ProviderAddress } from '../domain/address.ts';

/** One provider block to write. */
export interface ProviderLock {
  readonly address: ProviderAddress;
  readonly version: string;
  readonly constraints: string | null;
  readonly hashes: readonly string[];
}

/** The header OpenTofu writes; used when a file has none of its own. */
export const DEFAULT_HEADER =
  '# This file is maintained automatically by "tofu init".\n# Manual edits may be lost in future updates.\n';

/** The whole file: `header` (lines ending in `\n`), then each block after an empty line. */
export function formatLockFile(header: string, providers: readonly ProviderLock[]): string {
  const sorted = [...providers].sort((a, b) => compareAddresses(a.address, b.address));
  return header + sorted.map((p) => `\n${formatProviderBlock(p)}`).join('');
}

/** One `provider "<addr>" { ... }` block, ending in a newline. */
export function formatProviderBlock(p: ProviderLock): string {
  const lines = [`provider ${quote(formatAddress(p.address))} {`];
  if (p.constraints) {
    lines.push(`  version     = ${quote(p.version)}`, `  constraints = ${quote(p.constraints)}`);
  } else lines.push(`  version = ${quote(p.version)}`);
  const hashes = normalizeHashes(p.hashes);
  if (hashes.length > 0) {
    lines.push('  hashes = [', ...hashes.map((h) => `    ${quote(h)},`), '  ]');
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/**
 * The file's header: its leading comment lines (`#` or `//`, blank lines between them kept), with LF
 * endings, or DEFAULT_HEADER when it starts with anything else.
 */
export function headerOf(text: string): string {
  const kept: string[] = [];
  for (const raw of text.replace(/^\uFEFF/, '').split('\n')) {
    const line = raw.trimEnd();
    if (line !== '' && !/^\s*(#|\/\/)/.test(line)) break;
    kept.push(`${line}\n`);
  }
  while (kept.at(-1) === '\n') kept.pop();
  return kept.length > 0 ? kept.join('') : DEFAULT_HEADER;
}

/** A quoted HCL string literal as hclwrite writes one (escapeQuotedStringLit). */
function quote(value: string): string {
  const escaped = value
    .replaceAll('\\', '\\\\')
    .replaceAll('"', '\\"')
    .replaceAll('\n', '\\n')
    .replaceAll('\r', '\\r')
    .replaceAll('\t', '\\t')
    .replaceAll('${', '$${')
    .replaceAll('%{', '%%{');
  return `"${escaped}"`;
}
