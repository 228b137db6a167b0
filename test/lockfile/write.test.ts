import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseLockFile } from '../../src/lockfile/parse.ts';
import { lineOf, updateLockFile, type VersionEvidence } from '../../src/lockfile/update.ts';
import { DEFAULT_HEADER, formatLockFile, headerOf } from '../../src/lockfile/write.ts';
import { fakeHash, lockFileText } from '../support/lockfile-fixtures.ts';

const CORPUS = '/work/shared/corpus/lockfiles';
const VECTORS = '/work/shared/vectors/opentofu/lockfiles';

function reformat(text: string, name: string): string {
  const file = parseLockFile(text, name);
  assert.deepEqual(
    file.diagnostics.filter((d) => d.severity === 'error'),
    [],
    `${name} parses`,
  );
  return formatLockFile(headerOf(text), file.providers);
}

test('every corpus lock file written by tofu/terraform formats back to the same bytes', () => {
  const names = readdirSync(CORPUS).filter((n) => n.endsWith('.hcl'));
  assert.ok(names.length > 100, 'the corpus is there');
  let skipped = 0;
  for (const name of names) {
    const text = readFileSync(path.join(CORPUS, name), 'utf8');
    // Not as a tool left them: merge-conflict markers, or a final newline removed by an editor.
    const edited = parseLockFile(text, name).diagnostics.some((d) => d.severity === 'error');
    if (edited || !text.endsWith('\n')) skipped++;
    else assert.equal(reformat(text, name), text, name);
  }
  assert.ok(skipped <= 3, `${skipped} corpus files were edited by hand`);
});

test("OpenTofu's own lock files (e2e and equivalence fixtures) format back to the same bytes", () => {
  // The predecessor fixture is written by hand (comments between blocks): not the writer's output.
  const names = readdirSync(VECTORS).filter((n) => n.endsWith('.hcl') && !n.includes('predecessor'));
  assert.ok(names.length >= 3);
  for (const name of names) {
    const text = readFileSync(path.join(VECTORS, name), 'utf8');
    assert.equal(reformat(text, name), text, name);
  }
});

test('blocks are sorted by address, hashes sorted and unique; constraints align version', () => {
  const text = lockFileText([
    { address: 'registry.opentofu.org/zz/b', version: '1.0.0', hashes: ['zh:bb', 'h1:aa', 'zh:bb'] },
    { address: 'example.com/aa/a', version: '2.0.0-beta.1', constraints: '~> 2.0' },
  ]);
  const out = reformat(text, 'x');
  assert.equal(
    out,
    `${DEFAULT_HEADER}
provider "example.com/aa/a" {
  version     = "2.0.0-beta.1"
  constraints = "~> 2.0"
}

provider "registry.opentofu.org/zz/b" {
  version = "1.0.0"
  hashes = [
    "h1:aa",
    "zh:bb",
  ]
}
`,
  );
});

test('the header: leading comments kept (CRLF to LF), the default when there is none', () => {
  assert.equal(headerOf('# mine\r\n// two  \r\n\r\nprovider "a/b/c" {}'), '# mine\n// two\n');
  assert.equal(headerOf('provider "a/b/c" {}\n'), DEFAULT_HEADER);
  assert.equal(headerOf('\n# late\n\nprovider'), '\n# late\n');
});

const ADDR = 'registry.opentofu.org/acme/thing';

function evidence(): VersionEvidence {
  return {
    h1: new Map([
      ['linux_amd64', fakeHash('h1', 'l')],
      ['darwin_arm64', fakeHash('h1', 'd')],
    ]),
    reported: new Set([fakeHash('zh', 'l'), fakeHash('zh', 'd'), fakeHash('zh', 'w')]),
  };
}

test('update merges the requested platforms h1 and every signed zh; keeps the rest', () => {
  const ev = evidence();
  const other = fakeHash('h1', 'other-platform');
  const text = lockFileText([
    { address: ADDR, version: '1.0.0', constraints: '>= 1.0.0', hashes: [fakeHash('h1', 'l'), other] },
  ]);
  const file = parseLockFile(text, 'a.hcl');
  const up = updateLockFile(text, file, ['linux_amd64', 'darwin_arm64'], () => ev);
  assert.deepEqual(up.unknown, []);
  assert.equal(up.changes.length, 1);
  assert.deepEqual(up.changes[0]!.missingPlatforms, ['darwin_arm64']);
  const after = parseLockFile(up.text!, 'a.hcl').providers[0]!;
  assert.equal(after.version, '1.0.0');
  assert.equal(after.constraints, '>= 1.0.0');
  assert.deepEqual(new Set(after.hashes), new Set([other, ...ev.h1.values(), ...ev.reported]));
  // A second pass over the result changes nothing.
  const again = updateLockFile(
    up.text!,
    parseLockFile(up.text!, 'a.hcl'),
    ['linux_amd64', 'darwin_arm64'],
    () => ev,
  );
  assert.equal(again.text, undefined);
  assert.deepEqual(again.changes, []);
});

test('a zh: the signed SHA256SUMS does not list is reported with its line', () => {
  const bogus = fakeHash('zh', 'not-in-sums');
  const text = lockFileText([{ address: ADDR, version: '1.0.0', hashes: [fakeHash('h1', 'l'), bogus] }]);
  const up = updateLockFile(text, parseLockFile(text, 'a.hcl'), ['linux_amd64'], evidence);
  assert.equal(up.unknown.length, 1);
  assert.equal(up.unknown[0]!.hash, bogus);
  assert.equal(up.unknown[0]!.line, 8);
  assert.equal(text.split('\n')[7], `    "${bogus}",`);
});

test('blocks without evidence (excluded) are kept as they are; comments and CRLF go on a rewrite', () => {
  const text = [
    '# my header',
    '',
    'provider "registry.opentofu.org/other/x" {',
    '  version = "3.0.0" # pinned',
    '  hashes = ["zh:1"]',
    '}',
    '',
    `provider "${ADDR}" {`,
    '  version = "1.0.0"',
    '}',
    '',
  ].join('\r\n');
  const up = updateLockFile(text, parseLockFile(text, 'c.hcl'), ['linux_amd64'], (a) =>
    a.namespace === 'acme' ? evidence() : undefined,
  );
  assert.ok(up.text);
  assert.ok(!up.text.includes('\r'));
  assert.ok(up.text.startsWith('# my header\n\nprovider "registry.opentofu.org/acme/thing" {'));
  assert.ok(
    up.text.includes(
      'provider "registry.opentofu.org/other/x" {\n  version = "3.0.0"\n  hashes = [\n    "zh:1",\n  ]\n}\n',
    ),
  );
});

test('lineOf falls back to the block line', () => {
  assert.equal(lineOf('a\nb\n', 1, 'zz'), 1);
  assert.equal(lineOf('a\n"zz"\n', 1, 'zz'), 2);
});
