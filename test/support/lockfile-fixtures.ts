/**
 * Lock-file text generated in code, laid out the way `tofu init` writes it
 * (internal/depsfile/locks_file.go: header, aligned `=`, one hash per line, trailing commas).
 */
import { createHash } from 'node:crypto';

export interface FixtureProvider {
  readonly address: string;
  readonly version: string;
  readonly constraints?: string;
  readonly hashes?: readonly string[];
}

export interface FixtureOptions {
  readonly tool?: 'tofu' | 'terraform';
  readonly eol?: '\n' | '\r\n';
  readonly finalNewline?: boolean;
}

/** A lock file holding `providers` in the given order. */
export function lockFileText(providers: readonly FixtureProvider[], options: FixtureOptions = {}): string {
  const lines = [
    `# This file is maintained automatically by "${options.tool ?? 'tofu'} init".`,
    '# Manual edits may be lost in future updates.',
  ];
  for (const p of providers) {
    lines.push('', `provider "${p.address}" {`);
    lines.push(p.constraints === undefined ? `  version = "${p.version}"` : `  version     = "${p.version}"`);
    if (p.constraints !== undefined) lines.push(`  constraints = "${p.constraints}"`);
    if (p.hashes && p.hashes.length > 0) {
      lines.push('  hashes = [', ...p.hashes.map((h) => `    "${h}",`), '  ]');
    }
    lines.push('}');
  }
  const eol = options.eol ?? '\n';
  return lines.join(eol) + (options.finalNewline === false ? '' : eol);
}

/** A deterministic, well-formed hash string derived from `seed`. */
export function fakeHash(scheme: 'h1' | 'zh', seed: string): string {
  const digest = createHash('sha256').update(seed);
  return scheme === 'zh' ? `zh:${digest.digest('hex')}` : `h1:${digest.digest('base64')}`;
}

/** The line (1-based) of the first line of `text` satisfying `predicate`, or undefined. */
export function firstLineWhere(text: string, predicate: (line: string) => boolean): number | undefined {
  const index = text.split('\n').findIndex(predicate);
  return index === -1 ? undefined : index + 1;
}
