import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isRepoxyError, RepoxyError } from '../domain/errors.ts';
import { preferredHashes, zhHash } from '../domain/hash.ts';
import { runLimited } from '../limit.ts';
import { h1OfZip } from '../verify/h1.ts';
import { sha256File } from '../verify/zh.ts';
import { anchorKey, checkLockAnchor, type LockAnchors } from './lock-anchor.ts';
import { manifestProblems } from './verify-manifest.ts';
import { archiveFileName } from '../domain/package.ts';

/**
 * Client-side check of a mirror directory received from elsewhere (an artifact, a download): every
 * archive matches the hashes its `VERSION.json` lists, `index.json` and the `VERSION.json` files agree,
 * and nothing installable sits in the tree unverified. It proves the tree is the one the build wrote
 * (PROTOCOL.md §1.6, §1.8, §5.1), not that upstream signed it: that was the build's job. With lock
 * anchors (the consuming job's lock files) it also checks origin: an archive of a locked version must
 * match one of that version's lock hashes; archives of versions no lock file locks are listed.
 */

/** One thing wrong with the mirror, at a path relative to its root. */
export interface MirrorProblem {
  readonly path: string;
  readonly message: string;
}

export interface MirrorVerification {
  readonly root: string;
  /** `HOST/NS/TYPE` of every provider directory found, sorted. */
  readonly providers: readonly string[];
  readonly versions: number;
  /** Archives whose bytes matched their hashes. */
  readonly archives: number;
  readonly archiveBytes: number;
  /** Archives (relative paths, sorted) that no lock anchor vouches for; every archive without anchors. */
  readonly unanchored: readonly string[];
  readonly problems: readonly MirrorProblem[];
}

interface ArchiveCheck {
  readonly rel: string;
  readonly absolute: string;
  readonly hashes: readonly string[];
  /** The lock files' hashes of this archive's version; undefined when none locks it. */
  readonly lockHashes: readonly string[] | undefined;
}

interface ProviderFindings {
  versions: number;
  checks: ArchiveCheck[];
  problems: MirrorProblem[];
}

/** The top-level names that are not provider hosts: the registry-protocol view. */
const NOT_HOSTS = new Set(['v1']);

/**
 * Walks `root` and verifies it (see the file comment). Never throws for a bad mirror: every finding is
 * a problem in the report, so the caller can list them all. Throws IO when `root` cannot be read.
 */
export async function verifyMirrorDir(
  root: string,
  options: { concurrency?: number; anchors?: LockAnchors } = {},
): Promise<MirrorVerification> {
  const absoluteRoot = path.resolve(root);
  const providers = await findProviderDirs(absoluteRoot);
  const problems: MirrorProblem[] = [];
  const checks: ArchiveCheck[] = [];
  const unanchored: string[] = [];
  let versions = 0;
  for (const rel of providers) {
    const found = await inspectProvider(absoluteRoot, rel, options.anchors ?? new Map());
    versions += found.versions;
    checks.push(...found.checks);
    problems.push(...found.problems);
  }
  let archives = 0;
  let archiveBytes = 0;
  await runLimited(checks, options.concurrency ?? 4, async (check) => {
    const outcome = await checkArchive(check);
    if (outcome.problem) {
      problems.push(outcome.problem);
      return;
    }
    if (!outcome.anchored) unanchored.push(check.rel);
    const size = await sizeOf(check.absolute);
    archives++;
    archiveBytes += size;
  });
  problems.push(...(await manifestProblems(absoluteRoot, checks)));
  if (providers.length === 0)
    problems.push({ path: '.', message: 'no provider directories (HOST/NAMESPACE/TYPE/index.json) found' });
  problems.sort((a, b) => compareText(a.path, b.path) || compareText(a.message, b.message));
  unanchored.sort(compareText);
  return { root: absoluteRoot, providers, versions, archives, archiveBytes, unanchored, problems };
}

/** The problems as lines for a person: `  - path: message`. */
export function describeMirrorProblems(report: MirrorVerification, max = 20): string {
  const lines = report.problems.slice(0, max).map((p) => `  - ${p.path}: ${p.message}`);
  if (report.problems.length > max) lines.push(`  - ... and ${report.problems.length - max} more`);
  return lines.join('\n');
}

/** `HOST/NS/TYPE` directories, three levels down, skipping hidden names and the registry view. */
export async function findProviderDirs(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const host of await subdirs(root)) {
    if (host.startsWith('.') || NOT_HOSTS.has(host)) continue;
    for (const ns of await subdirs(path.join(root, host))) {
      for (const type of await subdirs(path.join(root, host, ns))) found.push(`${host}/${ns}/${type}`);
    }
  }
  return found.sort();
}

async function subdirs(dir: string): Promise<string[]> {
  return (await list(dir)).filter((d) => d.isDirectory()).map((d) => d.name);
}

async function list(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (cause) {
    throw new RepoxyError('IO', `cannot list ${dir}: ${(cause as Error).message}`, { cause });
  }
}

async function inspectProvider(root: string, rel: string, anchors: LockAnchors): Promise<ProviderFindings> {
  const dir = path.join(root, ...rel.split('/'));
  const entries = await list(dir);
  const findings: ProviderFindings = { versions: 0, checks: [], problems: [] };
  const problem: Report = (name, message) => findings.problems.push({ path: `${rel}/${name}`, message });
  for (const d of entries) {
    if (!d.isFile() && !d.name.startsWith('.')) {
      problem(
        d.name,
        'unexpected non-file in a provider directory (a filesystem_mirror would treat a directory as an ' +
          'unverified unpacked package)',
      );
    }
  }
  const files = new Set(entries.filter((d) => d.isFile()).map((d) => d.name));
  const listed = await readIndex(dir, files, problem);
  const documents = [...files]
    .filter((f) => f.endsWith('.json') && f !== 'index.json')
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
  for (const v of listed) {
    if (!documents.includes(v))
      problem(`${v}.json`, `index.json lists version ${v} but ${v}.json is missing`);
  }
  const referenced = new Set<string>();
  for (const version of documents) {
    if (!listed.includes(version))
      problem(`${version}.json`, `version ${version} is not listed in index.json`);
    findings.versions++;
    const archives = await readVersionDocument(dir, version, problem);
    for (const { name, hashes } of archiveFiles(rel, version, archives, problem)) {
      referenced.add(name);
      if (!files.has(name)) problem(name, `listed in ${version}.json but missing`);
      else {
        const lockHashes = anchors.get(anchorKey(rel, version));
        findings.checks.push({ rel: `${rel}/${name}`, absolute: path.join(dir, name), hashes, lockHashes });
      }
    }
  }
  for (const f of files) {
    if (f.toLowerCase().endsWith('.zip') && !referenced.has(f) && !f.startsWith('.')) {
      problem(f, 'archive not listed in any VERSION.json: a filesystem_mirror would install it unverified');
    }
  }
  return findings;
}

/**
 * The archive file names a VERSION.json lists, each required to be the packed name of its version and
 * platform (PROTOCOL.md §5.1): a filesystem_mirror reads version and platform from that name alone.
 */
function archiveFiles(
  rel: string,
  version: string,
  archives: readonly ListedArchive[],
  problem: Report,
): { name: string; hashes: string[] }[] {
  const type = rel.split('/')[2]!;
  const out: { name: string; hashes: string[] }[] = [];
  for (const { platform, url, hashes } of archives) {
    const expected = archiveFileName({ type }, version, platform);
    if (url === expected) out.push({ name: expected, hashes });
    else {
      problem(
        `${version}.json`,
        `${platform}: url "${url}" is not "${expected}", the archive file of this version and platform`,
      );
    }
  }
  return out;
}

/** One archive a VERSION.json lists, with its usable (h1:/zh:) hashes. */
interface ListedArchive {
  readonly platform: string;
  readonly url: string;
  readonly hashes: string[];
}

type Report = (name: string, message: string) => void;

/** The versions `index.json` lists (PROTOCOL.md §1.6); problems for a missing or malformed file. */
async function readIndex(dir: string, files: ReadonlySet<string>, problem: Report): Promise<string[]> {
  if (!files.has('index.json')) {
    problem('index.json', 'missing: network-mirror clients find no versions of this provider');
    return [];
  }
  const doc = await readJson(path.join(dir, 'index.json'), (m) => problem('index.json', m));
  if (doc === undefined) return [];
  const versions = isObject(doc) ? doc['versions'] : undefined;
  if (!isObject(versions)) {
    problem('index.json', 'has no "versions" object');
    return [];
  }
  return Object.keys(versions);
}

/** The archives of `VERSION.json` (PROTOCOL.md §1.6, §1.8); problems for anything a client would refuse. */
async function readVersionDocument(dir: string, version: string, problem: Report): Promise<ListedArchive[]> {
  const name = `${version}.json`;
  const out: ListedArchive[] = [];
  const doc = await readJson(path.join(dir, name), (m) => problem(name, m));
  if (doc === undefined) return out;
  const archives = isObject(doc) ? doc['archives'] : undefined;
  if (!isObject(archives)) {
    problem(name, 'has no "archives" object');
    return out;
  }
  for (const [platform, value] of Object.entries(archives)) {
    const url = isObject(value) ? value['url'] : undefined;
    const hashes = isObject(value) ? value['hashes'] : undefined;
    if (typeof url !== 'string' || !Array.isArray(hashes) || !hashes.every((h) => typeof h === 'string')) {
      problem(name, `${platform}: needs a "url" string and a "hashes" list of strings`);
      continue;
    }
    const usable = preferredHashes(hashes as string[]);
    if (usable.length === 0) {
      problem(name, `${platform}: no h1: or zh: hash, so nothing can be verified`);
      continue;
    }
    out.push({ platform, url, hashes: usable });
  }
  return out;
}

/** A JSON file of the mirror; `problem` hears when it does not parse (undefined then). Throws IO. */
export async function readJson(file: string, problem: (message: string) => void): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new RepoxyError('IO', `cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    problem(`is not valid JSON (${(err as Error).message})`);
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * zh: when listed (sha256 of the bytes, streamed), else h1: (HashZip); any listed value may match
 * (§1.8). Then the lock anchor, when the version has one (lock-anchor.ts).
 */
async function checkArchive(check: ArchiveCheck): Promise<{ problem?: MirrorProblem; anchored: boolean }> {
  const zh = check.hashes.filter((h) => h.startsWith('zh:'));
  try {
    const actual = zh.length ? zhHash(await sha256File(check.absolute)) : await h1OfZip(check.absolute);
    const expected = zh.length ? zh : check.hashes.filter((h) => h.startsWith('h1:'));
    if (!expected.includes(actual)) {
      const message = `is ${actual}, but its VERSION.json lists ${expected.join(', ')}: the archive was altered or corrupted`;
      return { problem: { path: check.rel, message }, anchored: false };
    }
    const anchor = await checkLockAnchor(check.absolute, check.lockHashes, zh.length ? actual : undefined);
    if (anchor.kind === 'mismatch')
      return { problem: { path: check.rel, message: anchor.message }, anchored: false };
    return { anchored: anchor.kind === 'anchored' };
  } catch (err) {
    if (isRepoxyError(err)) return { problem: { path: check.rel, message: err.message }, anchored: false };
    throw err;
  }
}

async function sizeOf(file: string): Promise<number> {
  return (await stat(file)).size;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
