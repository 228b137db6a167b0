import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { findSumsLine, parseSums, zhHashesFromSums } from '../../src/verify/sums-line.ts';

const GPG = path.resolve(import.meta.dirname, '../../../shared/vectors/opentofu/gpg');
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('parseSums', () => {
  it('maps each file name to its checksum, tolerating a missing final newline', () => {
    const sums = parseSums(readFileSync(path.join(GPG, 'realistic_SHA256SUMS')));
    assert.equal(sums.size, 12);
    assert.equal(
      sums.get('terraform_0.14.0-alpha20200923_linux_amd64.zip'),
      '1e5f7a5f3ade7b8b1d1d59c5cea2e1a2f8d2f8c3f41962dbbe8647e222be8239',
    );
    assert.equal(
      sums.get('terraform_0.14.0-alpha20200923_windows_amd64.zip'),
      '2696c86228f491bc5425561c45904c9ce39b1c676b1e17734cb2ee6b578c4bcd',
    );
  });

  it('splits on any Go whitespace (tabs, CR) and keeps the FIRST line for a name', () => {
    const sums = parseSums(Buffer.from(`${A}\tx.zip\r\n${B}  x.zip\n\n${B}  y.zip   extra\nlonely\n`));
    assert.deepEqual(
      [...sums],
      [
        ['x.zip', A],
        ['y.zip', B],
      ],
    );
  });
});

describe('findSumsLine', () => {
  const sums = Buffer.from(
    `${A}  terraform-provider-x_1.0.0_linux_amd64.zip\n${B}  other.zip\nnothex  bad.zip\n`,
  );

  it('returns the checksum when the line exists and matches (hex case-insensitive)', () => {
    assert.equal(findSumsLine(sums, 'terraform-provider-x_1.0.0_linux_amd64.zip', A.toUpperCase()), A);
  });

  it('throws VERIFY_SUMS_LINE naming the file and the expected line when it is absent', () => {
    assert.throws(() => findSumsLine(sums, 'missing.zip', A), {
      code: 'VERIFY_SUMS_LINE',
      message: /no line for "missing\.zip".*aaaa/,
    });
  });

  it('matches the file name case-sensitively', () => {
    assert.throws(() => findSumsLine(sums, 'OTHER.zip', B), { code: 'VERIFY_SUMS_LINE' });
  });

  it('throws VERIFY_SUMS_LINE with expected and actual when the checksum differs', () => {
    assert.throws(() => findSumsLine(sums, 'other.zip', A), {
      code: 'VERIFY_SUMS_LINE',
      message: new RegExp(`lists sha256 ${B} for "other\\.zip", expected ${A}`),
    });
  });

  it('throws VERIFY_SUMS_LINE when the listed value is not a sha256', () => {
    assert.throws(() => findSumsLine(sums, 'bad.zip', A), {
      code: 'VERIFY_SUMS_LINE',
      message: /not a sha256/,
    });
  });
});

describe('zhHashesFromSums', () => {
  it('reads the 12 zh: hashes of realistic_SHA256SUMS (upstream wantHashes)', () => {
    const expected = [
      '7d7e888fdd28abfe00894f9055209b9eec785153641de98e6852aa071008d4ee',
      'f8b6cf9ade087c17826d49d89cef21261cdc22bd27065bbc5b27d7dbf7fbbf6c',
      'a5ba9945606bb7bfb821ba303957eeb40dd9ee4e706ba8da1eaf7cbeb0356e63',
      'df3a5a8d6ffff7bacf19c92d10d0d500f98169ea17b3764b01a789f563d1aad7',
      '086119a26576d06b8281a97e8644380da89ce16197cd955f74ea5ee664e9358b',
      '1e5f7a5f3ade7b8b1d1d59c5cea2e1a2f8d2f8c3f41962dbbe8647e222be8239',
      '0e9fd0f3e2254b526a0e81e0cfdfc82583b0cd343778c53ead21aa7d52f776d7',
      '66a947e7de1c74caf9f584c3ed4e91d2cb1af6fe5ce8abaf1cf8f7ff626a09d1',
      'def1b73849bec0dc57a04405847921bf9206c75b52ae9de195476facb26bd85e',
      '48f1826ec31d6f104e46cc2022b41f30cd1019ef48eaec9697654ef9ec37a879',
      '17e0b496022bc4e4137be15e96d2b051c8acd6e14cb48d9b13b262330464f6cc',
      '2696c86228f491bc5425561c45904c9ce39b1c676b1e17734cb2ee6b578c4bcd',
    ].map((hex) => `zh:${hex}`);
    assert.deepEqual(zhHashesFromSums(readFileSync(path.join(GPG, 'realistic_SHA256SUMS'))), expected.sort());
  });

  it('lower-cases hex and removes duplicates', () => {
    assert.deepEqual(zhHashesFromSums(Buffer.from(`${A.toUpperCase()}  a.zip\n${A}  b.zip\n`)), [`zh:${A}`]);
  });

  it('yields nothing for a document that is not a checksums file, as OpenTofu does', () => {
    assert.deepEqual(zhHashesFromSums(Buffer.from('example shasums data')), []);
    assert.deepEqual(zhHashesFromSums(Buffer.from(`${A}  a.zip\nnot-a-hash  b.zip\n`)), []);
  });
});
