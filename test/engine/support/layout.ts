/**
 * Checks a written mirror the way clients read it: as a packed `filesystem_mirror` (PROTOCOL.md §5.1)
 * and as a static network mirror (§1.6, §5.3). Written from the spec, independently of src/mirror.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TreeEntry } from './harness.ts';

const CANONICAL_VERSION =
  /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
const PLATFORM = /^[a-z0-9]+_[a-z0-9]+$/;

/** A packed archive found at `HOST/NS/TYPE/<file>`, parsed as filesystem_search.go does. */
export interface PackedArchive {
  readonly dir: string;
  readonly version: string;
  readonly platform: string;
  readonly path: string;
}

/**
 * Asserts the tree is a valid packed filesystem mirror and returns its archives: every file at depth 4
 * is a `.json` document (ignored by the scanner) or a packed zip whose name parses; no directory at
 * depth 5 reads as an unpacked `HOST/NS/TYPE/VERSION/OS_ARCH` package; no symlinks; hidden names only
 * `.nojekyll` and `.well-known` at the root.
 */
export function assertPackedFilesystemMirror(tree: Map<string, TreeEntry>): PackedArchive[] {
  const archives: PackedArchive[] = [];
  for (const [rel, entry] of tree) {
    const parts = rel.split('/');
    assert.notEqual(entry.kind, 'symlink', `${rel} is a symlink`);
    // Network-mirror clients request lower-case paths (§1.2); the registry view (v1/) follows its documents.
    if (parts[0] !== 'v1') assert.equal(rel, rel.toLowerCase(), `${rel} is not lower case`);
    for (const [i, part] of parts.entries()) {
      if (!part.startsWith('.')) continue;
      const allowed = i === 0 && (part === '.nojekyll' || part === '.well-known');
      assert.ok(allowed, `${rel}: hidden name ${part}`);
    }
    if (entry.kind === 'file' && parts.length === 4 && !rel.startsWith('.')) {
      if (parts[3]!.endsWith('.json')) continue;
      archives.push(parsePacked(rel, parts));
    }
    if (entry.kind === 'dir' && parts.length === 5) {
      const looksUnpacked = CANONICAL_VERSION.test(parts[3]!) && PLATFORM.test(parts[4]!);
      assert.ok(!looksUnpacked, `${rel} would be read as an unpacked provider package`);
    }
  }
  return archives;
}

function parsePacked(rel: string, parts: string[]): PackedArchive {
  const [host, ns, type, file] = parts as [string, string, string, string];
  const lower = file.toLowerCase();
  const prefix = `terraform-provider-${type}_`;
  assert.ok(lower.startsWith(prefix) && lower.endsWith('.zip'), `${rel}: not a packed archive name`);
  const middle = lower.slice(prefix.length, -'.zip'.length).split('_');
  assert.ok(middle.length >= 3, `${rel}: the name needs VERSION_OS_ARCH`);
  const [version, os, arch] = middle as [string, string, string];
  assert.match(version, CANONICAL_VERSION, `${rel}: version`);
  assert.ok(!host.startsWith('xn--'), `${rel}: a filesystem mirror needs Unicode host names`);
  return { dir: `${host}/${ns}/${type}`, version, platform: `${os}_${arch}`, path: rel };
}

/** `index.json` and `VERSION.json` as a network-mirror client reads them (PROTOCOL.md §1.6). */
export interface NetworkMirrorView {
  /** dir → versions listed in its index.json. */
  readonly versions: Map<string, string[]>;
  /** `dir/version` → platform → { url, hashes }. */
  readonly archives: Map<string, Record<string, { url: string; hashes: string[] }>>;
}

/**
 * Reads every index.json and the VERSION.json of each listed version; asserts each `url` names a file
 * present beside it, so a client following the documents finds every archive.
 */
export async function readNetworkMirror(
  out: string,
  tree: Map<string, TreeEntry>,
): Promise<NetworkMirrorView> {
  const versions = new Map<string, string[]>();
  const archives = new Map<string, Record<string, { url: string; hashes: string[] }>>();
  for (const rel of tree.keys()) {
    const parts = rel.split('/');
    if (parts.length !== 4 || parts[3] !== 'index.json' || rel.startsWith('.')) continue;
    const dir = parts.slice(0, 3).join('/');
    const index = JSON.parse(await readFile(path.join(out, rel), 'utf8')) as {
      versions: Record<string, object>;
    };
    versions.set(dir, Object.keys(index.versions));
    for (const version of Object.keys(index.versions)) {
      const doc = JSON.parse(await readFile(path.join(out, dir, `${version}.json`), 'utf8')) as {
        archives: Record<string, { url: string; hashes: string[] }>;
      };
      for (const [platform, a] of Object.entries(doc.archives)) {
        assert.ok(tree.has(`${dir}/${a.url}`), `${dir}/${version}.json ${platform}: ${a.url} is missing`);
      }
      archives.set(`${dir}/${version}`, doc.archives);
    }
  }
  return { versions, archives };
}
