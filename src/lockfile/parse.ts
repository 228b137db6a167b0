/**
 * `.terraform.lock.hcl` parsing (PROTOCOL.md §3), pure: text in, providers and diagnostics out.
 * Stages: merge-conflict markers → lexer → syntax → schema (address, version, constraints, hashes).
 */
import type { ProviderAddress } from '../domain/address.ts';
import type { Diagnostic } from '../domain/diagnostic.ts';
import { Lexer, type Problem } from './lexer.ts';
import { findMergeMarkers } from './merge-markers.ts';
import { decodeLockBody, type DecodedProvider } from './schema.ts';
import { parseSyntax } from './syntax.ts';

/** One `provider` block that decoded without errors. `line`/`col` point at the `provider` keyword. */
export interface LockedProvider {
  readonly address: ProviderAddress;
  /** Canonical `MAJOR.MINOR.PATCH[-PRE][+BUILD]`. */
  readonly version: string;
  /** Canonical constraints string; null when absent (or empty, which OpenTofu reads the same way). */
  readonly constraints: string | null;
  /** As written: order kept, `scheme:value` each, unknown schemes kept (PROTOCOL.md §3). */
  readonly hashes: string[];
  readonly line: number;
  readonly col: number;
}

export interface LockFile {
  readonly path: string;
  readonly providers: LockedProvider[];
  /** Errors and warnings, sorted by position. With any error, `providers` may be incomplete. */
  readonly diagnostics: Diagnostic[];
}

/** Lock files above this size are refused without being parsed. */
export const MAX_LOCK_FILE_BYTES = 10 * 1024 * 1024;

/**
 * Parses one lock file's text. Never throws: every problem, including a failure of this parser
 * itself, comes back as a diagnostic on `path`. Collects all schema problems; stops at the first
 * syntax error (items completed before it are still checked).
 */
export function parseLockFile(text: string, path: string): LockFile {
  let result: { providers: DecodedProvider[]; problems: Problem[] };
  try {
    result = parseText(text);
  } catch (err) {
    const detail = `the lock-file parser failed on this file (${err instanceof Error ? err.message : String(err)}); please report it`;
    result = { providers: [], problems: [problem('LOCK_INTERNAL', 1, 'Could not parse lock file', detail)] };
  }
  const sorted = result.problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => a.p.line - b.p.line || a.p.col - b.p.col || a.i - b.i)
    .map(({ p }) => p);
  const diagnostics = capped(sorted).map((p) => ({ ...p, path }));
  return { path, providers: result.providers, diagnostics };
}

/** Problems reported per file at most; one more diagnostic says how many were left out. */
export const MAX_DIAGNOSTICS_PER_FILE = 200;

function capped(problems: Problem[]): Problem[] {
  if (problems.length <= MAX_DIAGNOSTICS_PER_FILE) return problems;
  const first = problems[MAX_DIAGNOSTICS_PER_FILE]!;
  const more = problems.length - MAX_DIAGNOSTICS_PER_FILE;
  const rest = problems.slice(MAX_DIAGNOSTICS_PER_FILE).some((p) => p.severity === 'error')
    ? 'error'
    : 'warning';
  const summary = `${more} more problems not shown`;
  const detail = `only the first ${MAX_DIAGNOSTICS_PER_FILE} problems of this file are listed; fix those and run again`;
  const tail: Problem = {
    severity: rest,
    code: 'LOCK_TOO_MANY_PROBLEMS',
    line: first.line,
    col: first.col,
    summary,
    detail,
  };
  return [...problems.slice(0, MAX_DIAGNOSTICS_PER_FILE), tail];
}

function parseText(text: string): { providers: DecodedProvider[]; problems: Problem[] } {
  // text.length counts UTF-16 units, never more than the UTF-8 bytes: a cheap lower bound.
  if (text.length > MAX_LOCK_FILE_BYTES) {
    const detail = `lock files are at most ${MAX_LOCK_FILE_BYTES} bytes; this one is not a lock file OpenTofu wrote`;
    return { providers: [], problems: [problem('LOCK_TOO_LARGE', 1, 'Lock file too large', detail)] };
  }
  const markers = findMergeMarkers(text);
  if (markers.length > 0) return { providers: [], problems: markers };
  const lexer = new Lexer(text);
  const syntax = parseSyntax(lexer);
  // After a lexical error the token stream is cut short: its syntax errors would only be echoes.
  const syntaxProblems = lexer.problem
    ? [lexer.problem, ...syntax.problems.filter((p) => p.code !== 'LOCK_SYNTAX')]
    : syntax.problems;
  const decoded = decodeLockBody(syntax.body);
  const problems = [...syntaxProblems, ...decoded.problems];
  return { providers: decoded.providers, problems };
}

function problem(code: string, line: number, summary: string, detail: string): Problem {
  return { severity: 'error', code, line, col: 1, summary, detail };
}
