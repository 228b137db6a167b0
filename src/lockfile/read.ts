/**
 * The disk edge of lock-file reading: expands paths and globs, reads each file once, and hands the
 * text to the pure `parseLockFile`.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import fg from 'fast-glob';
import type { Diagnostic } from '../domain/diagnostic.ts';
import { RepoxyError } from '../domain/errors.ts';
import { MAX_LOCK_FILE_BYTES, parseLockFile, type LockFile } from './parse.ts';

/** Directories a glob never descends into: dependencies, OpenTofu's own cache, git internals. */
export const GLOB_IGNORE = ['**/node_modules/**', '**/.terraform/**', '**/.git/**'];

/**
 * Reads every lock file named by `patterns` (paths or fast-glob globs, relative to `cwd`).
 * Returns one LockFile per distinct file, sorted by path; paths are relative to `cwd` with `/`
 * separators when inside it. Throws LOCK_NOT_FOUND for a missing path or a glob matching nothing,
 * IO when a file cannot be read. Problems inside a file are diagnostics, never exceptions.
 */
export async function readLockFiles(patterns: string[], options: { cwd: string }): Promise<LockFile[]> {
  const cwd = path.resolve(options.cwd);
  if (patterns.length === 0) {
    throw new RepoxyError(
      'INPUT_INVALID',
      'no lock files given: pass a path or a glob such as **/.terraform.lock.hcl',
    );
  }
  const found = new Set<string>();
  for (const pattern of patterns) {
    for (const file of await expandPattern(pattern, cwd)) found.add(file);
  }
  const files = await Promise.all([...found].map((abs) => readOne(abs, displayPath(abs, cwd))));
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function expandPattern(pattern: string, cwd: string): Promise<string[]> {
  if (!fg.isDynamicPattern(pattern)) return [await literalPath(pattern, cwd)];
  const matches = await fg(pattern, { cwd, dot: true, ignore: GLOB_IGNORE, onlyFiles: true, absolute: true });
  if (matches.length === 0) {
    throw new RepoxyError('LOCK_NOT_FOUND', `no lock files match "${pattern}" under ${cwd}`, {
      detail: `node_modules, .terraform and .git directories are not searched; check the pattern, or list the files`,
    });
  }
  return matches.map((m) => path.resolve(m));
}

async function literalPath(given: string, cwd: string): Promise<string> {
  const abs = path.resolve(cwd, given);
  const info = await stat(abs).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
    throw new RepoxyError('IO', `cannot read lock file "${given}": ${err.message}`, { cause: err });
  });
  if (info === undefined) {
    // A relative path is resolved against cwd, so naming cwd helps; an absolute one is where we looked.
    const where = path.isAbsolute(given) ? '' : ` (looked in ${cwd})`;
    throw new RepoxyError('LOCK_NOT_FOUND', `lock file "${given}" does not exist${where}`);
  }
  if (!info.isFile()) {
    throw new RepoxyError(
      'LOCK_NOT_FOUND',
      `"${given}" is not a file: name the .terraform.lock.hcl inside it`,
    );
  }
  return abs;
}

async function readOne(abs: string, shown: string): Promise<LockFile> {
  try {
    const info = await stat(abs);
    if (info.size > MAX_LOCK_FILE_BYTES) return refused(shown, tooLarge(shown, info.size));
    const bytes = await readFile(abs);
    const text = decodeUtf8(bytes);
    if (typeof text !== 'string') return refused(shown, { ...text, path: shown });
    return parseLockFile(text, shown);
  } catch (err) {
    throw new RepoxyError('IO', `cannot read lock file "${shown}": ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** The text, or a diagnostic at the first byte that is not UTF-8 (HCL requires UTF-8). */
function decodeUtf8(bytes: Uint8Array): string | Diagnostic {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const lenient = new TextDecoder('utf-8').decode(bytes);
    const bad = lenient.indexOf('\uFFFD');
    const before = lenient.slice(0, Math.max(bad, 0));
    const line = before.split('\n').length;
    const col = before.length - before.lastIndexOf('\n');
    const summary = 'Invalid character encoding';
    return {
      severity: 'error',
      code: 'LOCK_ENCODING',
      path: '',
      line,
      col,
      summary,
      detail: 'lock files must be UTF-8',
    };
  }
}

function tooLarge(shown: string, size: number): Diagnostic {
  const detail = `${size} bytes; lock files are at most ${MAX_LOCK_FILE_BYTES} bytes, so this is not one OpenTofu wrote`;
  return {
    severity: 'error',
    code: 'LOCK_TOO_LARGE',
    path: shown,
    line: 1,
    col: 1,
    summary: 'Lock file too large',
    detail,
  };
}

function refused(shown: string, diagnostic: Diagnostic): LockFile {
  return { path: shown, providers: [], diagnostics: [diagnostic] };
}

/** Relative to `cwd` with `/` separators when inside it; absolute otherwise. */
function displayPath(abs: string, cwd: string): string {
  const rel = path.relative(cwd, abs);
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel))
    return abs.split(path.sep).join('/');
  return rel.split(path.sep).join('/');
}
