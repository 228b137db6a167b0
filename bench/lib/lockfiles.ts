import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { seededPrng, type SeededPrng } from '../../test/support/seeded.ts';

/**
 * A synthetic monorepo for the planning benchmark: `files` root modules, each with a
 * `.terraform.lock.hcl` as `tofu init` writes it (header comment, aligned attributes, one h1 and a
 * dozen zh hashes per block), `blocks` provider blocks in all, drawn from a shared pool of popular
 * providers and versions so many blocks repeat across files. A few files carry hand-written
 * comments (`#`, `//`, `/* *\/`) and CRLF line ends. Deterministic (seeded).
 */
export interface SyntheticMonorepo {
  readonly root: string;
  readonly files: number;
  readonly blocks: number;
  readonly bytes: number;
  readonly hashes: number;
}

const NAMESPACES: readonly (readonly [string, string])[] = [
  ['hashicorp', 'aws'],
  ['hashicorp', 'google'],
  ['hashicorp', 'azurerm'],
  ['hashicorp', 'random'],
  ['hashicorp', 'null'],
  ['hashicorp', 'tls'],
  ['hashicorp', 'local'],
  ['hashicorp', 'kubernetes'],
  ['hashicorp', 'helm'],
  ['hashicorp', 'archive'],
  ['hashicorp', 'http'],
  ['hashicorp', 'time'],
  ['hashicorp', 'external'],
  ['hashicorp', 'vault'],
  ['hashicorp', 'cloudinit'],
  ['cloudflare', 'cloudflare'],
  ['datadog', 'datadog'],
  ['integrations', 'github'],
  ['grafana', 'grafana'],
  ['mongodb', 'mongodbatlas'],
];
const HOSTS = ['registry.terraform.io', 'registry.opentofu.org'];
const VERSIONS_PER_PROVIDER = 6;
const ZH_PER_BLOCK = 12;

/** Writes the monorepo under `root` (`stacks/NNN/.terraform.lock.hcl`). */
export async function writeSyntheticMonorepo(
  root: string,
  options: { files: number; blocks: number },
): Promise<SyntheticMonorepo> {
  const prng = seededPrng('bench-plan', String(options.files), String(options.blocks));
  const counts = blocksPerFile(options.files, options.blocks, prng);
  let bytes = 0;
  let hashes = 0;
  let blocks = 0;
  for (let i = 0; i < options.files; i++) {
    const picks = pickProviders(counts[i]!, prng);
    blocks += picks.length;
    hashes += picks.length * (ZH_PER_BLOCK + 1);
    let text = lockFileText(picks, prng);
    if (i % 7 === 3) text = text.replaceAll('\n', '\r\n');
    const dir = path.join(root, 'stacks', String(i).padStart(3, '0'));
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, '.terraform.lock.hcl'), text);
    bytes += Buffer.byteLength(text);
  }
  return { root, files: options.files, blocks, bytes, hashes };
}

/** Splits `blocks` over `files` (each at least 1), roughly like a real monorepo: mostly 1–3. */
function blocksPerFile(files: number, blocks: number, prng: SeededPrng): number[] {
  const counts = Array.from({ length: files }, () => 1);
  for (let left = blocks - files; left > 0; left--) counts[prng.nextInt(files)]! += 1;
  return counts;
}

interface Pick {
  readonly address: string;
  readonly version: string;
}

function pickProviders(n: number, prng: SeededPrng): Pick[] {
  const chosen = new Map<string, Pick>();
  while (chosen.size < Math.min(n, NAMESPACES.length * HOSTS.length)) {
    // Popular providers first: a skewed pick, like real monorepos (aws and random everywhere).
    const index = Math.floor(prng.nextFloat() ** 2 * NAMESPACES.length);
    const [ns, type] = NAMESPACES[index]!;
    const host = HOSTS[prng.nextInt(5) === 0 ? 1 : 0]!;
    const address = `${host}/${ns}/${type}`;
    const minor = prng.nextInt(VERSIONS_PER_PROVIDER);
    chosen.set(address, { address, version: `${1 + (index % 5)}.${minor * 3 + 1}.${minor % 3}` });
  }
  return [...chosen.values()].sort((a, b) => (a.address < b.address ? -1 : 1));
}

function lockFileText(picks: readonly Pick[], prng: SeededPrng): string {
  const lines = [
    '# This file is maintained automatically by "tofu init".',
    '# Manual edits may be lost in future updates.',
    '',
  ];
  for (const p of picks) {
    if (prng.nextInt(12) === 0) lines.push('// pinned: see the upgrade ticket before bumping');
    lines.push(`provider "${p.address}" {`);
    lines.push(`  version     = "${p.version}"`);
    const [major] = p.version.split('.');
    lines.push(`  constraints = ">= ${major}.0.0, < ${Number(major) + 1}.0.0"`);
    if (prng.nextInt(20) === 0) lines.push('  /* hashes for linux and darwin */');
    lines.push('  hashes = [', ...blockHashes(p).map((h) => `    "${h}",`), '  ]', '}', '');
  }
  return lines.join('\n');
}

/** One h1 and ZH_PER_BLOCK zh, stable per (address, version) like real registries' hashes. */
function blockHashes(p: Pick): string[] {
  const digest = (i: number) => createHash('sha256').update(`${p.address}@${p.version}#${i}`).digest();
  const zh = Array.from({ length: ZH_PER_BLOCK }, (_, i) => `zh:${digest(i + 1).toString('hex')}`);
  return [`h1:${digest(0).toString('base64')}`, ...zh.sort()];
}
