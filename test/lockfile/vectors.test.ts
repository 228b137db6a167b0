import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { formatAddress } from '../../src/domain/address.ts';
import { parseLockFile, type LockFile } from '../../src/lockfile/parse.ts';

const VECTORS = path.resolve(import.meta.dirname, '../../../shared/vectors/opentofu/lockfiles');

function listFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? listFiles(full) : [full];
    })
    .sort();
}

/** `# ERROR: <summary>` / `# WARNING: <summary>` comments, by line (OpenTofu locks_file_test.go). */
function expectedByLine(text: string, prefix: string): Map<number, string> {
  const want = new Map<number, string>();
  text.split('\n').forEach((line, i) => {
    const at = line.indexOf(prefix);
    if (at !== -1) want.set(i + 1, line.slice(at + prefix.length).trimEnd());
  });
  return want;
}

function assertMatchesComments(file: LockFile, text: string, severity: 'error' | 'warning'): void {
  const want = expectedByLine(text, severity === 'error' ? '# ERROR: ' : '# WARNING: ');
  const got = file.diagnostics.filter((d) => d.severity === severity);
  assert.deepEqual(
    [...new Set(got.map((d) => d.line))].sort((a, b) => a - b),
    [...want.keys()].sort((a, b) => a - b),
    `${severity} lines of ${file.path}: ${JSON.stringify(got.map((d) => [d.line, d.summary]))}`,
  );
  for (const [line, summary] of want) {
    const summaries = got.filter((d) => d.line === line).map((d) => d.summary);
    assert.ok(
      summaries.includes(summary),
      `line ${line}: want "${summary}", got ${JSON.stringify(summaries)}`,
    );
  }
}

describe('OpenTofu lock-file vectors', () => {
  const files = listFiles(VECTORS).filter((f) => f.endsWith('.hcl'));

  it('finds the vectors', () => {
    assert.ok(files.length >= 9, `only ${files.length} vector files under ${VECTORS}`);
  });

  for (const full of files) {
    const name = path.relative(VECTORS, full);
    it(`reports exactly the # ERROR / # WARNING lines of ${name}`, () => {
      const text = readFileSync(full, 'utf8');
      const file = parseLockFile(text, name);
      assertMatchesComments(file, text, 'error');
      assertMatchesComments(file, text, 'warning');
      for (const d of file.diagnostics) {
        assert.equal(d.path, name);
        assert.match(d.code, /^LOCK_[A-Z_]+$/);
      }
    });
  }

  it('reads the three providers of valid-provider-locks.hcl', () => {
    const text = readFileSync(path.join(VECTORS, 'depsfile-testdata/valid-provider-locks.hcl'), 'utf8');
    const file = parseLockFile(text, 'valid.hcl');
    assert.deepEqual(
      file.providers.map((p) => [
        formatAddress(p.address),
        p.version,
        p.constraints,
        p.hashes,
        p.line,
        p.col,
      ]),
      [
        ['terraform.io/test/version-only', '1.0.0', null, [], 2, 1],
        ['terraform.io/test/version-and-constraints', '1.2.0', '~> 1.2', [], 6, 1],
        [
          'terraform.io/test/all-the-things',
          '3.0.10',
          '>= 3.0.2',
          ['test:placeholder-hash-1', 'test:placeholder-hash-2', 'test:placeholder-hash-3'],
          11,
          1,
        ],
      ],
    );
  });

  it('reads no providers from empty.hcl', () => {
    const text = readFileSync(path.join(VECTORS, 'depsfile-testdata/empty.hcl'), 'utf8');
    assert.deepEqual(parseLockFile(text, 'empty.hcl'), { path: 'empty.hcl', providers: [], diagnostics: [] });
  });

  const realFiles: [string, number, number][] = [
    ['e2e-tofu-providers-mirror-with-lock-file.terraform.lock.hcl', 2, 14],
    ['e2e-predecessor-registry-terraform-io.terraform.lock.hcl', 1, 11],
    ['equivalence-moved_simple.terraform.lock.hcl', 1, 11],
    ['providers-lock-append.terraform.lock.hcl', 1, 1],
  ];
  for (const [name, providers, hashesEach] of realFiles) {
    it(`accepts ${name}`, () => {
      const file = parseLockFile(readFileSync(path.join(VECTORS, name), 'utf8'), name);
      assert.deepEqual(file.diagnostics, []);
      assert.equal(file.providers.length, providers);
      for (const p of file.providers) assert.equal(p.hashes.length, hashesEach);
    });
  }
});
