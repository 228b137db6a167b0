/**
 * Hostile input: the parser must answer every text with diagnostics, never throw, never recurse
 * without bound, and stay linear (a super-linear case would hang here and hit the test timeout).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Diagnostic } from '../../src/domain/diagnostic.ts';
import {
  MAX_DIAGNOSTICS_PER_FILE,
  MAX_LOCK_FILE_BYTES,
  parseLockFile,
  type LockFile,
} from '../../src/lockfile/parse.ts';

const SIZE = 1_000_000;
const GUARD = { timeout: 120_000 };
const HEAD = 'provider "a.example/b/c" {\n';

function firstError(file: LockFile): Diagnostic {
  const d = file.diagnostics.find((x) => x.severity === 'error');
  assert.ok(d, 'expected an error');
  return d;
}

function assertWellFormed(file: LockFile, path: string): void {
  for (const d of file.diagnostics) {
    assert.equal(d.path, path);
    assert.ok(Number.isInteger(d.line) && d.line >= 1, `line ${d.line}`);
    assert.ok(Number.isInteger(d.col) && d.col >= 1, `col ${d.col}`);
    assert.match(d.code, /^LOCK_[A-Z_]+$/);
    assert.notEqual(d.code, 'LOCK_INTERNAL', `${d.summary}: ${d.detail}`);
  }
}

describe('parseLockFile on hostile input', () => {
  const cases: [string, string, string, number][] = [
    ['deeply nested lists', `${HEAD}  version = ${'['.repeat(SIZE)}\n}\n`, 'LOCK_SYNTAX', 2],
    ['deeply nested blocks', 'a {\n'.repeat(SIZE / 4), 'LOCK_SYNTAX', 33],
    ['a million opening braces', `a ${'{'.repeat(SIZE)}`, 'LOCK_SYNTAX', 1],
    ['a million unclosed parentheses', `${HEAD}  version = ${'('.repeat(SIZE)}\n}\n`, 'LOCK_SYNTAX', 2],
    ['a long reference chain', `${HEAD}  version = a${'.b'.repeat(SIZE / 2)}\n}\n`, 'LOCK_NOT_STATIC', 2],
    ['a string of dollar signs', `${HEAD}  version = "${'$'.repeat(SIZE)}"\n}\n`, 'LOCK_BAD_VERSION', 2],
    ['a string of escapes', `${HEAD}  version = "${'\\\\'.repeat(SIZE / 2)}"\n}\n`, 'LOCK_BAD_VERSION', 2],
    ['a long unterminated string', `${HEAD}  version = "${'x'.repeat(SIZE)}`, 'LOCK_SYNTAX', 2],
    ['repeated comment openers', '/*'.repeat(SIZE / 2), 'LOCK_SYNTAX', 1],
    [
      'a long pathological version',
      `${HEAD}  version = "1.0.0-${'a-.'.repeat(SIZE / 3)}!"\n}\n`,
      'LOCK_BAD_VERSION',
      2,
    ],
    [
      'a long pathological constraint',
      `${HEAD}  version = "1.0.0"\n  constraints = "~> 1.1.1-${'a.'.repeat(SIZE / 2)}!"\n}\n`,
      'LOCK_BAD_CONSTRAINTS',
      3,
    ],
    [
      'a long label',
      `provider "${'é'.repeat(SIZE)}.com/-${'a-'.repeat(SIZE / 2)}/c" {}\n`,
      'LOCK_BAD_ADDRESS',
      1,
    ],
    ['a long identifier', `${'a'.repeat(SIZE)} = 1\n`, 'LOCK_UNKNOWN_ATTRIBUTE', 1],
    ['a long number', `a = ${'1'.repeat(SIZE)}e\n`, 'LOCK_SYNTAX', 1],
    ['NUL bytes', `${HEAD}\0\0\0`, 'LOCK_SYNTAX', 2],
  ];
  for (const [name, text, code, line] of cases) {
    it(`answers ${name} with ${code} on line ${line}`, GUARD, () => {
      const file = parseLockFile(text, 'hostile.hcl');
      assertWellFormed(file, 'hostile.hcl');
      const d = firstError(file);
      assert.deepEqual([d.code, d.line], [code, line], `${d.summary}: ${d.detail}`);
    });
  }

  it('reads a million blank lines and comments as an empty file', GUARD, () => {
    const file = parseLockFile('\n'.repeat(SIZE / 2) + '# c\n// d\n/* e */\n'.repeat(SIZE / 20), 'blank.hcl');
    assert.deepEqual(file, { path: 'blank.hcl', providers: [], diagnostics: [] });
  });

  it('lists at most MAX_DIAGNOSTICS_PER_FILE problems, then says how many more', GUARD, () => {
    const text = `provider "a.example/b/c" {\n  version = "1.0.0"\n${'  x = 1\n'.repeat(SIZE / 8)}}\n`;
    const file = parseLockFile(text, 'many.hcl');
    assert.equal(file.diagnostics.length, MAX_DIAGNOSTICS_PER_FILE + 1);
    const last = file.diagnostics.at(-1)!;
    assert.equal(last.code, 'LOCK_TOO_MANY_PROBLEMS');
    assert.equal(last.summary, `${SIZE / 8 - MAX_DIAGNOSTICS_PER_FILE} more problems not shown`);
  });

  it('refuses text over the size limit without parsing it', GUARD, () => {
    const file = parseLockFile(' '.repeat(MAX_LOCK_FILE_BYTES + 1), 'big.hcl');
    assert.deepEqual(
      file.diagnostics.map((d) => [d.line, d.code]),
      [[1, 'LOCK_TOO_LARGE']],
    );
  });

  it('never throws on seeded random text built from HCL punctuation', GUARD, () => {
    const alphabet = [
      'provider',
      'module',
      'version',
      'hashes',
      ' ',
      '\n',
      '\r\n',
      '\r',
      '"',
      '\\',
      '\\u',
      '{',
      '}',
      '[',
      ']',
      '(',
      ')',
      ',',
      '=',
      '==',
      '#',
      '//',
      '/*',
      '*/',
      '${',
      '%{',
      '<<EOT',
      '<<<<<<<',
      '=======',
      'a/b/c',
      '1.0.0',
      'h1:x',
      'é',
      '\u0000',
      '\uFEFF',
      '\uD800',
    ];
    let state = 7;
    const random = (n: number) => (state = (state * 1103515245 + 12345) % 2147483648) % n;
    for (let i = 0; i < 3000; i++) {
      let text = '';
      const length = random(60);
      for (let j = 0; j < length; j++) text += alphabet[random(alphabet.length)];
      const file = parseLockFile(text, 'fuzz.hcl');
      assertWellFormed(file, 'fuzz.hcl');
      if (file.diagnostics.some((d) => d.severity === 'error')) continue;
      for (const p of file.providers) assert.ok(p.line >= 1 && p.version.length > 0);
    }
  });
});
