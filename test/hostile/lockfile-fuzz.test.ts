/**
 * A seeded fuzz test of lock-file reading (issue 9): mutations of the real lock files in
 * shared/corpus and generated garbage. Every input either plans or is refused as LOCK_INVALID with
 * diagnostics at a valid `line:col`; nothing else is ever thrown, and nothing hangs (the test's
 * timeout is the guard). Files too large or nested too deep are refused, also by the bundled CLI.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Diagnostic } from '../../src/domain/diagnostic.ts';
import { isRepoxyError } from '../../src/domain/errors.ts';
import { parseLockFile } from '../../src/lockfile/parse.ts';
import { readLockFiles } from '../../src/lockfile/read.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { seededPrng, type SeededPrng } from '../support/seeded.ts';
import { createWorkspace, type Workspace } from '../engine/support/harness.ts';
import { hasStackTrace, runCli } from '../engine/support/processes.ts';

const CORPUS = path.resolve(import.meta.dirname, '../../../shared/corpus/lockfiles');
/** Always run this many cases (deterministic), then more while the budget lasts, up to MAX_CASES. */
const MIN_CASES = 3000;
const MAX_CASES = 20_000;
const BUDGET_MS = 10_000;
const GUARD = { timeout: 120_000 };
const PLATFORMS = [{ os: 'linux', arch: 'amd64' }];

/** Pieces of lock-file syntax and of things that break it. */
const TOKENS = [
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  '"',
  '=',
  ',',
  ':',
  '\n',
  '\r\n',
  '\r',
  '\t',
  ' ',
  '#',
  '//',
  '/*',
  '*/',
  '<<<<<<< HEAD\n',
  '=======\n',
  '>>>>>>> main\n',
  '${',
  '%{',
  '\\',
  '\\"',
  '\\u00e9',
  '\\U0001F600',
  '\0',
  'provider',
  'module',
  'terraform',
  'version',
  'constraints',
  'hashes',
  'locals',
  'variable',
  '"registry.terraform.io/hashicorp/aws"',
  '"Registry.Terraform.io/HashiCorp/AWS"',
  '"xn--bcher-kva.example/a/b"',
  '"h1:"',
  '"zh:00"',
  '"h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="',
  '"1.0.0"',
  '"v1.0"',
  '"01.2.3"',
  '"~> 1.0"',
  '">= 1, < 2"',
  '1.0.0',
  '1e999',
  '0x1F',
  '-',
  '.',
  '*',
  '<<EOT\nx\nEOT\n',
  '<<-EOT\n  y\n  EOT\n',
  'null',
  'true',
  'a.b.c',
  'a[0]',
  '\uFEFF',
  'é',
  '😀',
  '\u2028',
  '\uD800',
  'ǅ',
  '\u0301',
];

function corpusTexts(): string[] {
  return readdirSync(CORPUS)
    .filter((f) => f.endsWith('.hcl'))
    .sort()
    .map((f) => readFileSync(path.join(CORPUS, f), 'utf8'));
}

/** One random edit of `text`. */
function mutate(text: string, rng: SeededPrng, corpus: readonly string[]): string {
  const at = rng.nextInt(text.length + 1);
  const lines = text.split('\n');
  switch (rng.nextInt(10)) {
    case 0:
      return text.slice(0, at) + rng.pick(TOKENS) + text.slice(at + 1);
    case 1:
      return text.slice(0, at) + rng.pick(TOKENS) + text.slice(at);
    case 2:
      return text.slice(0, at) + text.slice(at + 1 + rng.nextInt(40));
    case 3: {
      const i = rng.nextInt(lines.length);
      lines.splice(i, 0, lines[i]!);
      return lines.join('\n');
    }
    case 4: {
      const [i, j] = [rng.nextInt(lines.length), rng.nextInt(lines.length)];
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return lines.join('\n');
    }
    case 5:
      return text.slice(0, at);
    case 6: {
      const other = rng.pick(corpus);
      return text.slice(0, at) + other.slice(rng.nextInt(other.length + 1));
    }
    case 7:
      return rng.pick([
        text.replaceAll('\n', '\r\n'),
        text.trimEnd(),
        `\uFEFF${text}`,
        text.replaceAll('"', "'"),
      ]);
    case 8:
      return (
        text.slice(0, at) +
        rng.pick(['[', '{', '(', '/*', '"', '${']).repeat(1 + rng.nextInt(5000)) +
        text.slice(at)
      );
    default:
      return text.slice(0, at) + text.slice(at).replace(/[a-z0-9]/, rng.pick(['Z', '9', '_', '-', '']));
  }
}

function garbage(rng: SeededPrng): string {
  return Array.from({ length: rng.nextInt(200) }, () => rng.pick(TOKENS)).join(rng.pick(['', ' ', '\n']));
}

/** Asserts every diagnostic points into the text, with a stable code and words for people. */
function assertWellPlaced(diagnostics: readonly Diagnostic[], text: string, file: string): void {
  const lines = text.split('\n');
  for (const d of diagnostics) {
    const where = `${file}:${d.line}:${d.col} ${d.code} ${d.summary}`;
    assert.equal(d.path, file, where);
    assert.ok(d.severity === 'error' || d.severity === 'warning', where);
    assert.match(d.code, /^LOCK_[A-Z_]+$/, where);
    assert.notEqual(d.code, 'LOCK_INTERNAL', `${where}: ${d.detail}`);
    assert.ok(d.summary.trim() !== '', where);
    assert.ok(Number.isInteger(d.line) && d.line >= 1 && d.line <= lines.length, where);
    assert.ok(Number.isInteger(d.col) && d.col >= 1 && d.col <= lines[d.line - 1]!.length + 1, where);
  }
}

/** The whole contract for one text: it plans, or it is LOCK_INVALID with well-placed diagnostics. */
function assertPlansOrRefuses(text: string, file: string): 'planned' | 'refused' {
  const parsed = parseLockFile(text, file);
  assertWellPlaced(parsed.diagnostics, text, file);
  const hasErrors = parsed.diagnostics.some((d) => d.severity === 'error');
  try {
    buildPlan([parsed], { platforms: PLATFORMS, include: [], exclude: [] });
    assert.ok(!hasErrors, `${file}: planned despite errors`);
    return 'planned';
  } catch (err) {
    assert.ok(isRepoxyError(err), `${file}: threw ${String(err)}`);
    assert.equal(err.code, 'LOCK_INVALID', `${file}: ${err.message}`);
    assert.ok(err.diagnostics.length >= 1 && hasErrors, `${file}: LOCK_INVALID without diagnostics`);
    return 'refused';
  }
}

describe('hostile lock files', () => {
  const corpus = corpusTexts();
  let ws: Workspace;

  before(async () => {
    ws = await createWorkspace('repoxy-fuzz-');
  });
  after(() => ws.remove());

  it(
    `${MIN_CASES}+ seeded mutations and garbage texts each plan or are refused with placed diagnostics`,
    GUARD,
    () => {
      const rng = seededPrng('repoxy', 'lockfile-fuzz', 'v1');
      const outcomes = { planned: 0, refused: 0 };
      const started = performance.now();
      for (let i = 0; i < MAX_CASES && (i < MIN_CASES || performance.now() - started < BUDGET_MS); i++) {
        let text = i % 5 === 4 ? garbage(rng) : rng.pick(corpus);
        for (let edits = i % 5 === 4 ? 0 : 1 + rng.nextInt(3); edits > 0; edits--)
          text = mutate(text, rng, corpus);
        outcomes[assertPlansOrRefuses(text, `fuzz-${i}.hcl`)]++;
      }
      // Both outcomes must be exercised for the test to mean anything.
      const total = outcomes.planned + outcomes.refused;
      assert.ok(outcomes.planned > total / 20 && outcomes.refused > total / 4, JSON.stringify(outcomes));
    },
  );

  it('reads mutated bytes (invalid UTF-8 included) from disk without throwing', GUARD, async () => {
    const rng = seededPrng('repoxy', 'lockfile-fuzz-bytes', 'v1');
    await mkdir(path.join(ws.root, 'bytes'));
    for (let i = 0; i < 200; i++) {
      const bytes = Buffer.from(mutate(rng.pick(corpus), rng, corpus));
      for (let flips = rng.nextInt(3); flips > 0; flips--)
        bytes[rng.nextInt(bytes.length)] = 0x80 + rng.nextInt(0x80);
      await writeFile(path.join(ws.root, 'bytes', `f${i}.hcl`), bytes);
    }
    const files = await readLockFiles(['bytes/*.hcl'], { cwd: ws.root });
    assert.equal(files.length, 200);
    for (const f of files) {
      for (const d of f.diagnostics) {
        assert.equal(d.path, f.path);
        assert.ok(d.line >= 1 && d.col >= 1, `${f.path}:${d.line}:${d.col}`);
        assert.notEqual(d.code, 'LOCK_INTERNAL');
      }
    }
    assert.ok(files.some((f) => f.diagnostics.some((d) => d.code === 'LOCK_ENCODING')));
  });

  it('the bundled CLI exits 2 with path:line:col, or plans, for fuzzed files', GUARD, async () => {
    const rng = seededPrng('repoxy', 'lockfile-fuzz-cli', 'v1');
    const texts = Array.from({ length: 6 }, () => mutate(mutate(rng.pick(corpus), rng, corpus), rng, corpus));
    const runs = await Promise.all(
      texts.map(async (text, i) => {
        await ws.writeLock(`cli/f${i}.hcl`, text);
        const outcome = assertPlansOrRefuses(text, `cli/f${i}.hcl`);
        return { outcome, r: await runCli(['plan', '--lockfile', `cli/f${i}.hcl`], { cwd: ws.root }) };
      }),
    );
    for (const [i, { outcome, r }] of runs.entries()) {
      assert.ok(!hasStackTrace(r.stderr), r.stderr);
      if (outcome === 'planned') assert.equal(r.code, 0, r.stderr);
      else {
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, new RegExp(`^cli/f${i}\\.hcl:\\d+:\\d+: `, 'm'));
      }
    }
  });

  it('refuses a 50 MB file quickly, without parsing it, by its size', GUARD, async () => {
    const big = Buffer.alloc(50 * 1024 * 1024, '# padding\n');
    await writeFile(path.join(ws.root, 'big.hcl'), big);
    const [file] = await readLockFiles(['big.hcl'], { cwd: ws.root });
    assert.deepEqual(
      file!.diagnostics.map((d) => [d.code, d.line, d.col]),
      [['LOCK_TOO_LARGE', 1, 1]],
    );
    const r = await runCli(['plan', '--lockfile', 'big.hcl'], { cwd: ws.root });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^big\.hcl:1:1: Lock file too large/m);
    assert.ok(!hasStackTrace(r.stderr), r.stderr);
  });

  it('refuses pathological nesting (a million brackets) with a placed error', GUARD, async () => {
    const text = `provider "registry.terraform.io/hashicorp/aws" {\n  version = ${'['.repeat(1_000_000)}\n}\n`;
    await ws.writeLock('deep.hcl', text);
    assert.equal(assertPlansOrRefuses(text, 'deep.hcl'), 'refused');
    const r = await runCli(['plan', '--json', '--lockfile', 'deep.hcl'], { cwd: ws.root });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^deep\.hcl:2:\d+: /m);
    assert.ok(!hasStackTrace(r.stderr), r.stderr);
  });
});
