import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { MANIFEST_FILE } from '../mirror/manifest.ts';
import { readManifest } from '../mirror/manifest-read.ts';

/** A problem found in a mirror, at a path relative to its root. */
interface Problem {
  readonly path: string;
  readonly message: string;
}

/** An archive some VERSION.json lists: its path in the mirror and its usable hashes. */
interface Listed {
  readonly rel: string;
  readonly hashes: readonly string[];
}

/**
 * Checks `mirror.json` (when present) against the VERSION.json documents: every archive it records is
 * one a VERSION.json lists, with the same h1: and zh: and the file's size, and every listed archive is
 * recorded. The bytes are checked against VERSION.json by the caller, so agreeing with it means
 * agreeing with the bytes. A mirror without mirror.json (written before it existed) has no problem.
 */
export async function manifestProblems(root: string, listed: readonly Listed[]): Promise<Problem[]> {
  const text = await readFile(path.join(root, MANIFEST_FILE), 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (text === undefined) return [];
  const read = readManifest(text);
  const problems: Problem[] = read.problems.map((message) => ({ path: MANIFEST_FILE, message }));
  const byPath = new Map(listed.map((l) => [l.rel, l] as const));
  const recorded = new Set<string>();
  for (const a of read.archives) {
    recorded.add(a.path);
    const problem = (message: string) =>
      problems.push({ path: MANIFEST_FILE, message: `${a.path}: ${message}` });
    const l = byPath.get(a.path);
    if (!l) {
      problem('recorded, but no VERSION.json lists it');
      continue;
    }
    for (const h of [a.h1, a.zh]) if (!l.hashes.includes(h)) problem(`${h} is not in its VERSION.json`);
    const size = (await stat(path.join(root, ...a.path.split('/'))).catch(() => undefined))?.size;
    if (size !== a.size) problem(`size ${a.size} recorded, the file has ${size ?? 'no'} bytes`);
  }
  for (const l of listed)
    if (!recorded.has(l.rel))
      problems.push({ path: MANIFEST_FILE, message: `${l.rel}: listed in VERSION.json, not recorded` });
  return problems;
}
