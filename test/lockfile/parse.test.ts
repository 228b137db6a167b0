import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAddress } from '../../src/domain/address.ts';
import type { Diagnostic } from '../../src/domain/diagnostic.ts';
import { parseLockFile, type LockFile } from '../../src/lockfile/parse.ts';
import { fakeHash, lockFileText } from '../support/lockfile-fixtures.ts';

const NULL = 'registry.opentofu.org/hashicorp/null';

function parse(text: string): LockFile {
  return parseLockFile(text, 'dir/.terraform.lock.hcl');
}

function errors(file: LockFile): Diagnostic[] {
  return file.diagnostics.filter((d) => d.severity === 'error');
}

/** `[line, col, code]` of every error. */
function errorSpots(text: string): [number, number, string][] {
  return errors(parse(text)).map((d) => [d.line, d.col, d.code]);
}

function onlyProvider(text: string) {
  const file = parse(text);
  assert.deepEqual(file.diagnostics, []);
  assert.equal(file.providers.length, 1);
  return file.providers[0]!;
}

describe('parseLockFile: HCL syntax a lock file may use', () => {
  it('reads a file laid out the way tofu init writes it', () => {
    const hashes = [fakeHash('h1', 'a'), fakeHash('zh', 'b')];
    const text = lockFileText([{ address: NULL, version: '3.2.0', constraints: '~> 3.0', hashes }]);
    const p = onlyProvider(text);
    assert.deepEqual(p, {
      address: { hostname: 'registry.opentofu.org', namespace: 'hashicorp', type: 'null' },
      version: '3.2.0',
      constraints: '~> 3.0',
      hashes,
      line: 4,
      col: 1,
    });
  });

  it('accepts CRLF line endings, a missing final newline and a leading BOM', () => {
    const base = lockFileText([{ address: NULL, version: '1.0.0', hashes: ['h1:x'] }], {
      eol: '\r\n',
      finalNewline: false,
    });
    assert.equal(onlyProvider(base).version, '1.0.0');
    assert.equal(onlyProvider('\uFEFF' + base).line, 4);
  });

  it('ignores #, // and /* */ comments, including a comment that spans lines', () => {
    const text = [
      '// Licensed under the MIT licence',
      '/* a block',
      '   comment */',
      `provider "${NULL}" { # trailing comment`,
      '  version = "1.0.0" // why this version',
      '  /* inline */ hashes = [ /* first */ "h1:a", # one',
      '    "zh:b", // two',
      '  ]',
      '}',
      '# last line comment without newline',
    ].join('\n');
    const p = onlyProvider(text);
    assert.deepEqual([p.line, p.hashes], [4, ['h1:a', 'zh:b']]);
  });

  it('accepts blank lines, tabs, lists with or without a trailing comma, and one-line lists', () => {
    const text = `\n\n\tprovider\t"${NULL}" {\n\n\tversion = "1.0.0"\n\n\thashes = ["h1:a", "zh:b"]\n}\n\n`;
    assert.deepEqual(onlyProvider(text).hashes, ['h1:a', 'zh:b']);
    const trailing = `provider "${NULL}" {\n  version = "1.0.0"\n  hashes = ["h1:a",]\n}\n`;
    assert.deepEqual(onlyProvider(trailing).hashes, ['h1:a']);
  });

  it('accepts single-line blocks and an identifier as block label', () => {
    assert.equal(onlyProvider(`provider "${NULL}" { version = "1.0.0" }\n`).version, '1.0.0');
    const label = parse(`provider null { version = "1.0.0" }\n`);
    assert.deepEqual(
      label.diagnostics.map((d) => d.summary),
      ['Non-normalized provider source address'],
    );
  });

  it('decodes HCL string escapes and keeps hashes with unknown schemes', () => {
    const hashes = '["test:q\\"b\\\\s\\n\\t\\u00e9\\U0001F600", "x:$${y}%%{z}$a"]';
    const text = `provider "${NULL}" {\n  version = "1.0.0"\n  hashes = ${hashes}\n}\n`;
    assert.deepEqual(onlyProvider(text).hashes, ['test:q"b\\s\n\té😀', 'x:${y}%{z}$a']);
  });

  it('normalizes strings to NFC, as HCL does', () => {
    const text = `provider "${NULL}" {\n  version = "1.0.0"\n  hashes = ["test:e\u0301"]\n}\n`;
    assert.deepEqual(onlyProvider(text).hashes, ['test:\u00e9']);
  });
});

describe('parseLockFile: syntax errors', () => {
  it('refuses a template interpolation or directive in a string as not static', () => {
    assert.deepEqual(errorSpots(`provider "${NULL}" {\n  version = "1.${'${'}x}.0"\n}\n`), [
      [2, 16, 'LOCK_NOT_STATIC'],
    ]);
    assert.deepEqual(errorSpots(`provider "${NULL}" {\n  version = "%{if x}1%{endif}"\n}\n`), [
      [2, 14, 'LOCK_NOT_STATIC'],
    ]);
  });

  it('refuses a heredoc', () => {
    assert.deepEqual(errorSpots(`provider "${NULL}" {\n  version = <<EOT\n1.0.0\nEOT\n}\n`), [
      [2, 13, 'LOCK_NOT_STATIC'],
    ]);
  });

  it('reports an unterminated string at its opening quote', () => {
    assert.deepEqual(errorSpots(`provider "${NULL}" {\n  version = "1.0.0\n}\n`), [[2, 13, 'LOCK_SYNTAX']]);
    assert.deepEqual(errorSpots(`provider "${NULL}" {\n  version = "1.0.0`), [[2, 13, 'LOCK_SYNTAX']]);
  });

  it('reports an unclosed block at its opening brace', () => {
    assert.deepEqual(errorSpots(`provider "${NULL}" {\n  version = "1.0.0"\n`), [[1, 49, 'LOCK_SYNTAX']]);
    assert.deepEqual(errorSpots(`provider "${NULL}" {`), [[1, 49, 'LOCK_SYNTAX']]);
  });

  it('reports an unterminated comment at its start', () => {
    assert.deepEqual(errorSpots(`# ok\n  /* never closed\nprovider "${NULL}" {}\n`), [[2, 3, 'LOCK_SYNTAX']]);
  });

  it('reports an unterminated list, a missing comma, and a missing value', () => {
    const head = `provider "${NULL}" {\n  version = "1.0.0"\n`;
    assert.deepEqual(errorSpots(`${head}  hashes = [\n    "h1:a",\n`), [[3, 12, 'LOCK_SYNTAX']]);
    assert.deepEqual(errorSpots(`${head}  hashes = [\n    "h1:a"\n    "h1:b"\n  ]\n}\n`), [
      [5, 5, 'LOCK_SYNTAX'],
    ]);
    assert.deepEqual(errorSpots(`${head}  hashes =\n}\n`), [[3, 11, 'LOCK_SYNTAX']]);
  });

  it('reports invalid characters, lone carriage returns and bad escapes where they are', () => {
    assert.deepEqual(errorSpots(`provider "${NULL}" {\n  version\u00a0= "1.0.0"\n}\n`), [
      [2, 10, 'LOCK_SYNTAX'],
    ]);
    assert.deepEqual(errorSpots(`provider "${NULL}" {\r  version = "1.0.0"\r}\r`), [[1, 50, 'LOCK_SYNTAX']]);
    assert.deepEqual(errorSpots(`provider "${NULL}" {\n  version = "1.0.0\\q"\n}\n`), [
      [2, 19, 'LOCK_SYNTAX'],
    ]);
    assert.deepEqual(errorSpots(`provider "${NULL}" {\n  version = "\\ud800"\n}\n`), [
      [2, 14, 'LOCK_SYNTAX'],
    ]);
  });

  it('requires a newline after an argument and after a block', () => {
    assert.deepEqual(errorSpots(`provider "${NULL}" {\n  version = "1.0.0" hashes = ["h1:a"]\n}\n`), [
      [2, 21, 'LOCK_SYNTAX'],
    ]);
    assert.deepEqual(errorSpots(`provider "a/b/c" {} provider "a/b/d" {}\n`), [[1, 21, 'LOCK_SYNTAX']]);
    assert.deepEqual(errorSpots(`provider "${NULL}" { version = "1.0.0"\n}\n`), [[1, 68, 'LOCK_SYNTAX']]);
  });

  it('still checks the blocks completed before a syntax error', () => {
    const text = `provider "a/b/c" {\n  version = "v1"\n}\nprovider "${NULL}" {\n  version = "1.0.0`;
    assert.deepEqual(errorSpots(text), [
      [2, 13, 'LOCK_BAD_VERSION'],
      [5, 13, 'LOCK_SYNTAX'],
    ]);
  });
});

describe('parseLockFile: schema (PROTOCOL.md §3)', () => {
  it('warns once about module blocks and still reads the providers', () => {
    const text = `module "a" {\n}\nmodule "b" {}\n${lockFileText([{ address: NULL, version: '1.0.0' }])}`;
    const file = parse(text);
    assert.deepEqual(
      file.diagnostics.map((d) => [d.severity, d.line, d.code, d.summary]),
      [['warning', 1, 'LOCK_MODULE_BLOCK', 'Dependency locks for modules are not yet supported']],
    );
    assert.equal(file.providers.length, 1);
  });

  it('refuses other block types, top-level arguments, and unknown arguments or blocks in a provider', () => {
    const text = [
      'terraform {}',
      'version = "1.0.0"',
      `provider "${NULL}" {`,
      '  version = "1.0.0"',
      '  source  = "hashicorp/null"',
      '  hashes {',
      '  }',
      '}',
    ].join('\n');
    assert.deepEqual(errorSpots(text), [
      [1, 1, 'LOCK_UNKNOWN_BLOCK'],
      [2, 1, 'LOCK_UNKNOWN_ATTRIBUTE'],
      [5, 3, 'LOCK_UNKNOWN_ATTRIBUTE'],
      [6, 3, 'LOCK_UNKNOWN_BLOCK'],
    ]);
    assert.deepEqual(parse(text).providers, []);
  });

  it('refuses a provider block without exactly one label', () => {
    assert.deepEqual(errorSpots('provider {\n}\nprovider "a/b/c" "x" {\n}\n'), [
      [1, 1, 'LOCK_BAD_ADDRESS'],
      [3, 18, 'LOCK_BAD_ADDRESS'],
    ]);
  });

  it('refuses a duplicate argument at its second definition', () => {
    const text = `provider "${NULL}" {\n  version = "1.0.0"\n  version = "1.0.0"\n}\n`;
    assert.deepEqual(errorSpots(text), [[3, 3, 'LOCK_DUPLICATE_ATTRIBUTE']]);
  });

  it('refuses a duplicate provider lock, pointing at the second block', () => {
    const text = lockFileText([
      { address: NULL, version: '1.0.0' },
      { address: NULL, version: '2.0.0' },
    ]);
    const file = parse(text);
    assert.deepEqual(
      errors(file).map((d) => [d.line, d.code, d.summary, d.detail]),
      [
        [
          8,
          'LOCK_DUPLICATE_PROVIDER',
          'Duplicate provider lock',
          `This lock file already declared a lock for provider ${NULL} at line 4.`,
        ],
      ],
    );
    assert.deepEqual(
      file.providers.map((p) => p.version),
      ['1.0.0'],
    );
  });

  it('requires a canonical version and reports a missing or null one', () => {
    for (const bad of ['v1.0.0', '1.0', '1', '1.02.0', '', ' 1.0.0', '1.0.0-', '01.0.0']) {
      const text = `provider "${NULL}" {\n  version = "${bad}"\n}\n`;
      assert.deepEqual(errorSpots(text), [[2, 13, 'LOCK_BAD_VERSION']], bad);
    }
    for (const good of ['1.0.0', '0.0.0', '3.0.2-rc07', '5.19.0-beta.3', '1.0.0+build.7', '10.20.30-a.b+c']) {
      assert.equal(onlyProvider(`provider "${NULL}" {\n  version = "${good}"\n}\n`).version, good);
    }
    assert.deepEqual(errorSpots(`provider "${NULL}" {\n}\n`), [[1, 49, 'LOCK_MISSING_VERSION']]);
    assert.deepEqual(errorSpots(`provider "${NULL}" {\n  version = null\n}\n`), [
      [2, 13, 'LOCK_MISSING_VERSION'],
    ]);
  });

  it('refuses values that are not quoted strings, and expressions that are not literals', () => {
    const head = `provider "${NULL}" {\n  version = `;
    assert.deepEqual(errorSpots(`${head}1\n}\n`), [[2, 13, 'LOCK_BAD_VERSION']]);
    assert.deepEqual(errorSpots(`${head}["1.0.0"]\n}\n`), [[2, 13, 'LOCK_BAD_VERSION']]);
    assert.deepEqual(errorSpots(`${head}true\n}\n`), [[2, 13, 'LOCK_BAD_VERSION']]);
    assert.deepEqual(errorSpots(`${head}var.version\n}\n`), [[2, 13, 'LOCK_NOT_STATIC']]);
    assert.deepEqual(errorSpots(`${head}("1.0.0")\n}\n`), [[2, 13, 'LOCK_NOT_STATIC']]);
    assert.deepEqual(errorSpots(`${head}upper(\n  "x"\n)\n}\n`), [[2, 13, 'LOCK_NOT_STATIC']]);
    assert.deepEqual(errorSpots(`${head}"1.0" + ".0"\n}\n`), [[2, 13, 'LOCK_NOT_STATIC']]);
  });

  it('checks constraints for OpenTofu canonical form; an empty string means none', () => {
    const head = `provider "${NULL}" {\n  version = "1.0.0"\n  constraints = `;
    assert.equal(onlyProvider(`${head}">= 1.0.0, ~> 1.0"\n}\n`).constraints, '>= 1.0.0, ~> 1.0');
    assert.equal(onlyProvider(`${head}""\n}\n`).constraints, null);
    assert.deepEqual(errorSpots(`${head}"~>1.0"\n}\n`), [[3, 17, 'LOCK_BAD_CONSTRAINTS']]);
    assert.deepEqual(errorSpots(`${head}null\n}\n`), [[3, 17, 'LOCK_BAD_CONSTRAINTS']]);
  });

  it('requires hashes to be a non-empty list of scheme:value strings', () => {
    const head = `provider "${NULL}" {\n  version = "1.0.0"\n  hashes = `;
    assert.deepEqual(errorSpots(`${head}[]\n}\n`), [[3, 12, 'LOCK_BAD_HASHES']]);
    assert.deepEqual(errorSpots(`${head}"h1:a"\n}\n`), [[3, 12, 'LOCK_BAD_HASHES']]);
    assert.deepEqual(errorSpots(`${head}null\n}\n`), [[3, 12, 'LOCK_BAD_HASHES']]);
    assert.deepEqual(
      errorSpots(`${head}[\n    "h1:a",\n    ":nothing",\n    "noscheme",\n    42,\n  ]\n}\n`),
      [
        [5, 5, 'LOCK_BAD_HASHES'],
        [6, 5, 'LOCK_BAD_HASHES'],
        [7, 5, 'LOCK_BAD_HASHES'],
      ],
    );
    assert.deepEqual(errorSpots(`${head}[local.h]\n}\n`), [[3, 13, 'LOCK_NOT_STATIC']]);
    assert.deepEqual(onlyProvider(`${head}["test:", "h1:"]\n}\n`).hashes, ['test:', 'h1:']);
  });

  it('checks provider labels and does not read the body of a block with a bad label', () => {
    const text = `provider "hashicorp/null" {\n  bogus = 1\n}\n`;
    const file = parse(text);
    assert.deepEqual(
      file.diagnostics.map((d) => [d.line, d.col, d.code, d.summary, d.detail]),
      [
        [
          1,
          10,
          'LOCK_BAD_ADDRESS',
          'Non-normalized provider source address',
          `The provider source address for this provider lock must be written as "${NULL}", the fully-qualified and normalized form.`,
        ],
      ],
    );
  });

  it('collects every problem of a file, sorted by position, each with its path', () => {
    const text = lockFileText([
      { address: 'Registry.opentofu.org/a/b', version: '1.0.0' },
      { address: NULL, version: 'v2' },
      { address: 'registry.opentofu.org/hashicorp/aws', version: '5.0.0', constraints: '>=5' },
      { address: 'registry.opentofu.org/hashicorp/tls', version: '4.0.0', hashes: ['bad'] },
    ]);
    const file = parse(text);
    assert.deepEqual(
      file.diagnostics.map((d) => [d.path, d.line, d.code]),
      [
        ['dir/.terraform.lock.hcl', 4, 'LOCK_BAD_ADDRESS'],
        ['dir/.terraform.lock.hcl', 9, 'LOCK_BAD_VERSION'],
        ['dir/.terraform.lock.hcl', 14, 'LOCK_BAD_CONSTRAINTS'],
        ['dir/.terraform.lock.hcl', 20, 'LOCK_BAD_HASHES'],
      ],
    );
    assert.deepEqual(file.providers, []);
  });

  it('keeps providers on different hosts apart', () => {
    const text = lockFileText([
      { address: 'registry.opentofu.org/hashicorp/aws', version: '5.0.0' },
      { address: 'registry.terraform.io/hashicorp/aws', version: '5.0.0' },
    ]);
    const file = parse(text);
    assert.deepEqual(file.diagnostics, []);
    assert.deepEqual(
      file.providers.map((p) => formatAddress(p.address)),
      ['registry.opentofu.org/hashicorp/aws', 'registry.terraform.io/hashicorp/aws'],
    );
  });
});

describe('parseLockFile: merge-conflict markers', () => {
  it('reports each committed marker line and nothing else', () => {
    const text = [
      `provider "${NULL}" {`,
      '<<<<<<< HEAD',
      '  version = "1.0.0"',
      '||||||| base',
      '  version = "0.9.0"',
      '=======',
      '  version = "2.0.0"',
      '>>>>>>> feature',
      '}',
    ].join('\r\n');
    const file = parse(text);
    assert.deepEqual(
      file.diagnostics.map((d) => [d.line, d.col, d.code]),
      [
        [2, 1, 'LOCK_MERGE_CONFLICT'],
        [4, 1, 'LOCK_MERGE_CONFLICT'],
        [6, 1, 'LOCK_MERGE_CONFLICT'],
        [8, 1, 'LOCK_MERGE_CONFLICT'],
      ],
    );
    const d = file.diagnostics[0]!;
    assert.match(
      `${d.summary}: ${d.detail}`,
      /^merge conflict marker: resolve the conflict in this lock file/,
    );
    assert.deepEqual(file.providers, []);
  });

  it('does not mistake similar text for a marker', () => {
    const text = `# ======= section =======\n# <<<<<<<<\nprovider "${NULL}" {\n  version = "1.0.0"\n}\n`;
    assert.equal(onlyProvider(text).version, '1.0.0');
  });
});
