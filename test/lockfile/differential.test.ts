/**
 * Differential test: our parser against HashiCorp's HCL parser (Go, compiled to wasm in
 * @cdktf/hcl2json) over the 199 real lock files in shared/corpus, plus CRLF and
 * no-final-newline variants and seeded single-character mutations of each.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { parse as hcl2json } from '@cdktf/hcl2json';
import { formatAddress } from '../../src/domain/address.ts';
import type { Diagnostic } from '../../src/domain/diagnostic.ts';
import { compareVersions, parseCanonicalVersion } from '../../src/domain/version.ts';
import { parseLockFile, type LockFile } from '../../src/lockfile/parse.ts';
import { firstLineWhere } from '../support/lockfile-fixtures.ts';

const CORPUS = path.resolve(import.meta.dirname, '../../../shared/corpus/lockfiles');

type Oracle =
  { ok: true; json: Record<string, unknown> } | { ok: false; message: string; lines: [number, number] };

async function oracle(name: string, text: string): Promise<Oracle> {
  try {
    return { ok: true, json: (await hcl2json(name, text)) as Record<string, unknown> };
  } catch (err) {
    const message = String((err as Error).message);
    // hcl2json reports "name:LINE,COL-[LINE,]COL: summary"; the first one is HCL's first error.
    const m = /:(\d+),\d+-(?:(\d+),)?\d+: /.exec(message);
    assert.ok(m, `cannot read a position in the oracle's error: ${message}`);
    return { ok: false, message, lines: [Number(m[1]), Number(m[2] ?? m[1])] };
  }
}

/** [address, version, constraints, hashes] per provider block, sorted (hcl2json keys are sorted). */
function oracleProviders(json: Record<string, unknown>): string[] {
  const blocks = (json.provider ?? {}) as Record<string, Record<string, unknown>[]>;
  return Object.entries(blocks)
    .flatMap(([label, list]) =>
      list.map((b) => JSON.stringify([label, b.version, b.constraints || null, b.hashes ?? []])),
    )
    .sort();
}

function ourProviders(file: LockFile): string[] {
  return file.providers
    .map((p) => JSON.stringify([formatAddress(p.address), p.version, p.constraints, p.hashes]))
    .sort();
}

/** Problems visible in the oracle's data alone, by our diagnostic code, found by simpler means. */
function oracleSemanticProblems(json: Record<string, unknown>): Set<string> {
  const found = new Set<string>();
  if (Object.keys(json).some((k) => k !== 'provider'))
    found.add('LOCK_UNKNOWN_BLOCK').add('LOCK_UNKNOWN_ATTRIBUTE');
  const blocks = (json.provider ?? {}) as Record<string, Record<string, unknown>[]>;
  for (const [label, list] of Object.entries(blocks)) {
    if (label.split('/').length !== 3 || label !== label.toLowerCase()) found.add('LOCK_BAD_ADDRESS');
    if (list.length > 1) found.add('LOCK_DUPLICATE_PROVIDER');
    for (const b of list) {
      if (Object.keys(b).some((k) => !['version', 'constraints', 'hashes'].includes(k))) {
        found.add('LOCK_UNKNOWN_ATTRIBUTE').add('LOCK_UNKNOWN_BLOCK');
      }
      if (b.version === undefined || b.version === null) found.add('LOCK_MISSING_VERSION');
      else if (typeof b.version !== 'string' || !parseCanonicalVersion(b.version))
        found.add('LOCK_BAD_VERSION');
      if ('constraints' in b && normalizeConstraints(String(b.constraints)) !== b.constraints) {
        found.add('LOCK_BAD_CONSTRAINTS');
      }
      const hashes = b.hashes;
      if (
        'hashes' in b &&
        (!Array.isArray(hashes) || hashes.length === 0 || hashes.some((h) => !/^[^:]+:/.test(String(h))))
      ) {
        found.add('LOCK_BAD_HASHES');
      }
      if (JSON.stringify(b).includes('${')) found.add('LOCK_NOT_STATIC');
    }
  }
  return found;
}

const OP_ORDER = ['>', '>=', '', '~>3', '~>2', '<=', '<', '!='];

/**
 * An independent, lenient rendition of OpenTofu's VersionConstraintsString: parse loosely, then
 * write canonically. A string is canonical when this returns it unchanged.
 */
function normalizeConstraints(raw: string): string | undefined {
  if (raw.trim() === '') return '';
  const clauses = [];
  for (const part of raw.split(',')) {
    const m =
      /^\s*(=|!=|>=|<=|>|<|~>)?\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?\s*$/.exec(
        part,
      );
    if (!m) return undefined;
    const op = m[1] === '~>' ? (m[4] === undefined ? '~>2' : '~>3') : m[1] === '=' ? '' : (m[1] ?? '');
    const [major, minor, patch] = [m[2], m[3] ?? '0', m[4] ?? '0'].map(Number) as [number, number, number];
    const version = {
      major,
      minor,
      patch,
      prerelease: (m[5] ?? '').slice(1),
      build: (m[6] ?? '').slice(1),
      text: '',
    };
    const numbers = op === '~>2' ? `${major}.${minor}` : `${major}.${minor}.${patch}`;
    const symbol = op === '' ? '' : `${op.slice(0, 2)} `;
    clauses.push({ op, version, text: `${symbol}${numbers}${m[5] ?? ''}${m[6] ?? ''}` });
  }
  clauses.sort(
    (a, b) => compareVersions(a.version, b.version) || OP_ORDER.indexOf(a.op) - OP_ORDER.indexOf(b.op),
  );
  return [...new Set(clauses.map((c) => c.text))].join(', ');
}

type Outcome = 'agree' | 'both-reject' | 'semantic-reject';

/** Compares one text; returns how the two parsers agreed, or fails the test. */
async function compare(name: string, text: string): Promise<Outcome> {
  const theirs = await oracle(name, text);
  const ours = parseLockFile(text, name);
  const errs: Diagnostic[] = ours.diagnostics.filter((d) => d.severity === 'error');
  if (!theirs.ok) {
    assert.ok(errs.length > 0, `${name}: HCL rejects (${theirs.message}) but we accept`);
    const marker = firstLineWhere(text, (l) => l.startsWith('<<<<<<<'));
    if (marker !== undefined) {
      assert.equal(errs[0]!.line, marker, `${name}: first error should be the first merge marker`);
    } else if (!errs.some((d) => d.code === 'LOCK_NOT_STATIC' || d.code === 'LOCK_MERGE_CONFLICT')) {
      // We report a non-literal expression at its start, HCL wherever its grammar breaks.
      const [lo, hi] = theirs.lines;
      assert.ok(
        errs.some((d) => d.line >= lo && d.line <= hi),
        `${name}: HCL's error is on lines ${lo}-${hi} (${theirs.message}); ours: ${JSON.stringify(errs.map((d) => [d.line, d.summary]))}`,
      );
    }
    return 'both-reject';
  }
  if (errs.length === 0) {
    assert.deepEqual(ourProviders(ours), oracleProviders(theirs.json), `${name}: providers differ`);
    assert.deepEqual(
      Object.keys(theirs.json).filter((k) => k !== 'provider'),
      [],
      `${name}: HCL sees other blocks`,
    );
    return 'agree';
  }
  const visible = oracleSemanticProblems(theirs.json);
  for (const d of errs) {
    assert.ok(
      visible.has(d.code),
      `${name}:${d.line}: we report ${d.code} (${d.detail}) but HCL's data shows no such problem`,
    );
  }
  return 'semantic-reject';
}

/** Deterministic pseudo-random numbers (LCG), so a failure reproduces. */
function seeded(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
}

const MUTATION_CHARS = [
  '"',
  '{',
  '}',
  '[',
  ']',
  ',',
  '=',
  '\n',
  '#',
  '/',
  '*',
  ' ',
  'x',
  '.',
  '-',
  '\\',
  '$',
  '<',
  ':',
];

function mutate(text: string, random: (n: number) => number): string {
  const at = random(text.length);
  if (random(2) === 0) return text.slice(0, at) + text.slice(at + 1);
  return text.slice(0, at) + MUTATION_CHARS[random(MUTATION_CHARS.length)]! + text.slice(at);
}

describe('lock-file parser vs HCL (differential)', () => {
  const names = readdirSync(CORPUS)
    .filter((n) => n.endsWith('.hcl'))
    .sort();
  const texts = new Map(names.map((n) => [n, readFileSync(path.join(CORPUS, n), 'utf8')]));

  before(async () => {
    // The oracle must work here; a broken oracle fails the suite instead of passing it vacuously.
    const probe = await hcl2json('probe.hcl', 'provider "a/b/c" {\n  version = "1.0.0"\n}\n');
    assert.deepEqual(probe, { provider: { 'a/b/c': [{ version: '1.0.0' }] } });
  });

  it('the corpus is what we expect: 199 files, 2 with merge markers', (t) => {
    assert.equal(names.length, 199);
    const all = [...texts.values()];
    const count = (f: (s: string) => boolean) => all.filter(f).length;
    const markers = count((s) => /^<<<<<<< /m.test(s));
    const summary = {
      files: names.length,
      mergeMarkers: markers,
      crlf: count((s) => s.includes('\r\n')),
      noFinalNewline: count((s) => !s.endsWith('\n')),
      slashComments: count((s) => /^\/\//m.test(s)),
      blockComments: count((s) => s.includes('/*')),
      prerelease: count((s) => /version\s+= "\d+\.\d+\.\d+-/.test(s)),
      opentofuHost: count((s) => s.includes('"registry.opentofu.org/')),
      terraformHost: count((s) => s.includes('"registry.terraform.io/')),
    };
    t.diagnostic(`corpus: ${JSON.stringify(summary)}`);
    assert.equal(markers, 2);
  });

  it('agrees with HCL on every corpus file', async (t) => {
    const outcomes: Record<string, number> = {};
    for (const [name, text] of texts) {
      const outcome = await compare(name, text);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
    t.diagnostic(`corpus outcomes: ${JSON.stringify(outcomes)}`);
    assert.deepEqual(outcomes, { agree: 197, 'both-reject': 2 });
  });

  it('agrees with HCL on CRLF and no-final-newline variants of every corpus file', async () => {
    for (const [name, text] of texts) {
      await compare(`${name} (CRLF)`, text.replace(/\r?\n/g, '\r\n'));
      await compare(`${name} (no final newline)`, text.replace(/\s+$/, ''));
    }
  });

  it('agrees with HCL on seeded single-character mutations of every corpus file', async (t) => {
    const random = seeded(20261101);
    const outcomes: Record<string, number> = {};
    for (const [name, text] of texts) {
      for (let i = 0; i < 4; i++) {
        const outcome = await compare(`${name} (mutation ${i})`, mutate(text, random));
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
    }
    t.diagnostic(`mutation outcomes: ${JSON.stringify(outcomes)}`);
    for (const kind of ['agree', 'both-reject', 'semantic-reject'])
      assert.ok((outcomes[kind] ?? 0) > 10, kind);
  });
});
