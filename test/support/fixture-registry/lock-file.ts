import type { Catalog, VersionEntry } from './catalog.ts';
import type { LockFileEntry, LockHashes } from './types.ts';

const OPENTOFU_HOST = 'registry.opentofu.org';

/**
 * `.terraform.lock.hcl` text in the exact shape `tofu init` writes (PROTOCOL.md §3): header,
 * blocks sorted by address, `version`/`constraints` aligned, hashes sorted one per line.
 * Hash sets: 'h1' = h1 of the listed platforms; 'zh' = zh of the listed platforms; 'both' = what
 * `tofu init` on the listed platforms writes: their h1 + zh of every platform in SHA256SUMS, and on
 * registry.opentofu.org the h1 of every platform too (from the `packages` extension, PROTOCOL.md §2.4);
 * 'all-platforms-zh' = zh of every platform; 'none' = no `hashes` attribute.
 * Listed platforms default to every platform the version has. Throws for unknown providers.
 */
export function lockFileText(
  catalog: Catalog,
  entries: readonly LockFileEntry[],
  hashes: LockHashes,
): string {
  const seen = new Set<string>();
  const blocks = [...entries]
    .sort((a, b) => compareAddresses(a.address, b.address))
    .map((entry) => {
      if (seen.has(entry.address)) throw new Error(`lockFile: ${entry.address} listed twice`);
      seen.add(entry.address);
      const v = catalog.find(entry.address, entry.version);
      if (!v) throw new Error(`lockFile: the registry does not serve ${entry.address} ${entry.version}`);
      return providerBlock(entry, lockHashes(v, entry, hashes));
    });
  const header = [
    '# This file is maintained automatically by "tofu init".',
    '# Manual edits may be lost in future updates.',
    '',
  ];
  return [...header, blocks.join('\n')].join('\n');
}

function lockHashes(v: VersionEntry, entry: LockFileEntry, hashes: LockHashes): string[] {
  const listed = entry.platforms ?? [...v.archives.keys()];
  const archiveOf = (platform: string) => {
    const a = v.archives.get(platform);
    if (!a) throw new Error(`lockFile: ${entry.address} ${entry.version} has no ${platform}`);
    return a;
  };
  const listedArchives = listed.map(archiveOf);
  const allArchives = [...v.archives.values()];
  const reportedH1 = v.spec.hostname === OPENTOFU_HOST ? allArchives : listedArchives;
  const chosen: Record<LockHashes, string[]> = {
    none: [],
    h1: listedArchives.map((a) => a.h1Unpacked),
    zh: listedArchives.map((a) => a.zh),
    both: [...reportedH1.map((a) => a.h1Unpacked), ...allArchives.map((a) => a.zh)],
    'all-platforms-zh': allArchives.map((a) => a.zh),
  };
  return [...new Set(chosen[hashes])].sort();
}

function providerBlock(entry: LockFileEntry, hashes: readonly string[]): string {
  const lines = [`provider ${JSON.stringify(entry.address)} {`];
  if (entry.constraints === undefined) {
    lines.push(`  version = ${JSON.stringify(entry.version)}`);
  } else {
    lines.push(`  version     = ${JSON.stringify(entry.version)}`);
    lines.push(`  constraints = ${JSON.stringify(entry.constraints)}`);
  }
  if (hashes.length > 0) {
    lines.push('  hashes = [', ...hashes.map((h) => `    ${JSON.stringify(h)},`), '  ]');
  }
  lines.push('}', '');
  return lines.join('\n');
}

/** Lock files order blocks by (hostname, namespace, type) (RA: provider.go:174-184). */
function compareAddresses(a: string, b: string): number {
  const [x, y] = [a.split('/'), b.split('/')];
  for (let i = 0; i < 3; i++) {
    const [p = '', q = ''] = [x[i], y[i]];
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}
