/**
 * Reads `.terraform.lock.hcl` exactly as the real client writes it (one `provider "ADDR" {` block
 * per provider, `version`, `constraints`, `hashes = [` one quoted hash per line `]`). Deliberately
 * independent of the product's parser: the suite checks the client's files with its own eyes.
 */

export interface LockedProvider {
  readonly version: string;
  readonly constraints: string | undefined;
  readonly hashes: readonly string[];
}

/** Provider address → what is locked. Throws on anything outside the client's own layout. */
export function readLock(text: string): Map<string, LockedProvider> {
  const locked = new Map<string, LockedProvider>();
  const blocks = text.matchAll(/^provider "([^"]+)" \{\n([\s\S]*?)^\}$/gm);
  for (const [, address = '', body = ''] of blocks) {
    const version = /^\s*version\s*=\s*"([^"]+)"$/m.exec(body)?.[1];
    if (!version) throw new Error(`lock file: ${address} has no version`);
    const constraints = /^\s*constraints\s*=\s*"([^"]+)"$/m.exec(body)?.[1];
    const list = /^\s*hashes\s*=\s*\[\n([\s\S]*?)^\s*\]$/m.exec(body)?.[1] ?? '';
    const hashes = [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? '');
    locked.set(address, { version, constraints, hashes });
  }
  if (locked.size === 0) throw new Error(`lock file: no provider blocks in\n${text}`);
  return locked;
}

/** The `zh:` hashes of a locked provider. */
export function zhHashes(p: LockedProvider): string[] {
  return p.hashes.filter((h) => h.startsWith('zh:'));
}
