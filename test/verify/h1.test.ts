import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EMPTY_H1, h1OfDir, h1OfUnpackedZip, h1OfZip, hash1, hashZip } from '../../src/verify/h1.ts';
import { sha256File } from '../../src/verify/zh.ts';

const VECTORS = path.resolve(import.meta.dirname, '../../../shared/vectors/opentofu');
const vector = (...parts: string[]) => path.join(VECTORS, ...parts);

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('hash1 (Go dirhash Hash1)', () => {
  it('reproduces the worked beep example of VECTORS.md §1', () => {
    const h = hash1([
      {
        name: 'terraform-provider-beep',
        sha256: '3a62b0d21e0e710a018436acf508356dbf658e3c3e73d3ada90d06582c2aea21',
      },
    ]);
    assert.equal(h, 'h1:2y06Ykj0FRneZfGCTxI9wRTori8iB7ZL5kQ6YyEnh84=');
  });

  it('gives the empty-package hash for no files', () => {
    assert.equal(hash1([]), EMPTY_H1);
    assert.equal(EMPTY_H1, `h1:${createHash('sha256').update('').digest('base64')}`);
  });

  it('sorts names bytewise on UTF-8, not by UTF-16 code units', () => {
    // U+FFFD (EF BF BD) sorts before U+1F600 (F0 9F 98 80) in UTF-8, after it in UTF-16.
    const files = [
      { name: '\u{1F600}', sha256: sha256('a') },
      { name: '\uFFFD', sha256: sha256('b') },
    ];
    const lines = `${sha256('b')}  \uFFFD\n${sha256('a')}  \u{1F600}\n`;
    assert.equal(hash1(files), `h1:${createHash('sha256').update(lines).digest('base64')}`);
    assert.equal(hash1([...files].reverse()), hash1(files));
  });

  it('refuses a file name containing a newline', () => {
    assert.throws(() => hash1([{ name: 'a\nb', sha256: sha256('') }]), { code: 'INPUT_INVALID' });
  });
});

describe('h1OfDir (HashDir) reproduces the upstream directory vectors', () => {
  const cases = [
    ['null_2.0.0_linux_amd64', 'h1:qjsREM4DqEWECD43FcPqddZ9oxCG+IaMTxvWPciS05g='],
    ['beep-provider', 'h1:2y06Ykj0FRneZfGCTxI9wRTori8iB7ZL5kQ6YyEnh84='],
    ['providers-lock-basic', 'h1:7MjN4eFisdTv4tlhXH5hL4QQd39Jy4baPhFxwAd/EFE='],
    ['fake-test_1.2.3', 'h1:8CjxaUBuegKZSFnRos39Fs+CS78ax0Dyb7aIA5XBiNI='],
  ] as const;
  for (const [dir, expected] of cases) {
    it(`dirhash/${dir} → ${expected}`, async () => {
      assert.equal(await h1OfDir(vector('dirhash', dir)), expected);
    });
  }
});

describe('h1OfDir on a local tree', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'repoxy-h1dir-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('hashes an empty directory as the empty package', async () => {
    const empty = path.join(root, 'empty');
    await mkdir(empty);
    assert.equal(await h1OfDir(empty), EMPTY_H1);
  });

  it('names nested files with "/", skips directories and follows file symlinks', async () => {
    const tree = path.join(root, 'tree');
    await mkdir(path.join(tree, 'docs', 'empty-dir'), { recursive: true });
    await writeFile(path.join(tree, 'bin'), 'binary');
    await writeFile(path.join(tree, 'docs', 'a.md'), 'A');
    await symlink('bin', path.join(tree, 'link'));
    const expected = hash1([
      { name: 'bin', sha256: sha256('binary') },
      { name: 'docs/a.md', sha256: sha256('A') },
      { name: 'link', sha256: sha256('binary') },
    ]);
    assert.equal(await h1OfDir(tree), expected);
  });

  it('resolves a symlinked root first, like OpenTofu', async () => {
    const link = path.join(root, 'tree-link');
    await symlink(path.join(root, 'tree'), link);
    assert.equal(await h1OfDir(link), await h1OfDir(path.join(root, 'tree')));
  });

  it('fails with IO on a symlink to a directory, as reading it fails in Go', async () => {
    const bad = path.join(root, 'dirlink');
    await mkdir(path.join(bad, 'sub'), { recursive: true });
    await symlink('sub', path.join(bad, 'to-sub'));
    await assert.rejects(h1OfDir(bad), { code: 'IO' });
  });

  it('fails with IO when the directory does not exist', async () => {
    await assert.rejects(h1OfDir(path.join(root, 'missing')), { code: 'IO' });
  });
});

describe('zip vectors (VECTORS.md §2)', () => {
  it('provider-null_2.1.0_linux_amd64.zip: zh and HashZip equal the upstream values', async () => {
    const zip = vector('zips', 'provider-null_2.1.0_linux_amd64.zip');
    assert.equal(await sha256File(zip), '299dd806df78cb0537e5c111019eaca6e6b7797e1b63cb37cc6a76f91c6c0782');
    assert.equal(await h1OfZip(zip), 'h1:qjsREM4DqEWECD43FcPqddZ9oxCG+IaMTxvWPciS05g=');
    // No directory entries: what init unpacks hashes the same as the UPSTREAM directory vector.
    assert.equal(await h1OfUnpackedZip(zip), 'h1:qjsREM4DqEWECD43FcPqddZ9oxCG+IaMTxvWPciS05g=');
  });

  it('NOT-A-ZIP placeholder: zh matches, every h1 fails with VERIFY_BAD_ZIP "not a valid zip file"', async () => {
    const zip = vector('zips', 'NOT-A-ZIP_terraform-provider-null_2.1.0_linux_amd64.zip');
    assert.equal(await sha256File(zip), '4fb39849f2e138eb16a18ba0c682635d781cb8c3b25901dd5a792ade9711f501');
    const notAZip = { code: 'VERIFY_BAD_ZIP', message: /not a valid zip file/ };
    await assert.rejects(h1OfZip(zip), notAZip);
    await assert.rejects(h1OfUnpackedZip(zip), notAZip);
    await assert.rejects(hashZip(zip), notAZip);
  });

  it('a missing file is IO, not a bad zip', async () => {
    await assert.rejects(hashZip(vector('zips', 'no-such.zip')), { code: 'IO' });
    await assert.rejects(sha256File(vector('zips', 'no-such.zip')), { code: 'IO' });
  });
});

describe('OCI fixture zips (VECTORS.md §3)', () => {
  const cases = [
    [
      'foo',
      '11aa47eb05d2bac7eb9c27fdbf1447152c4f07c814a24db86c24339253db1534',
      'h1:/7EZyaSc8nHM3uqUqKetvsgqMEnGsWwI4PolJOvE8Xo=',
    ],
    [
      'bar',
      '06014766951e54a256b679bb1e289f8a0a90a1a9af53edd7c2695bd3de1612e9',
      'h1:GKqnPfSOFmpZrOxuNY2WpVHSiWgrhinMsrRhsOXO5ZM=',
    ],
    [
      'bar',
      '990e9b537cd983f28c2a33f0d6379e6d862d2f3adaed53ee21844619ec3b6b14',
      'h1:oHzbpqPb6EOsOJNMkeDvDWzLebdpaMW0JhA5aIshKfg=',
    ],
  ] as const;
  for (const [repo, digest, h1] of cases) {
    it(`${repo} blob ${digest.slice(0, 8)}: zh = blob digest, h1 = ${h1}`, async () => {
      const blob = vector('oci-provider-mirror', 'fake-registry', repo, 'blobs', 'sha256', digest);
      assert.equal(await sha256File(blob), digest);
      assert.deepEqual(await hashZip(blob), { h1Zip: h1, h1Unpacked: h1, notes: [] });
    });
  }
});
