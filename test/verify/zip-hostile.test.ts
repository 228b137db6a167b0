import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as zlib from 'node:zlib';
import { hash1, hashZip } from '../../src/verify/h1.ts';
import { crc32, crc32Table, DEFAULT_ZIP_LIMITS } from '../../src/verify/zip-format.ts';
import { sha256File } from '../../src/verify/zh.ts';
import { buildZip, crc32 as builderCrc32 } from '../support/zip-builder.ts';
import type { ZipEntrySpec } from '../support/zip-builder.ts';

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const EMPTY = sha256('');

let dir: string;
let counter = 0;
async function zipFile(entries: readonly ZipEntrySpec[]): Promise<string> {
  const file = path.join(dir, `z${counter++}.zip`);
  await writeFile(file, buildZip(entries));
  return file;
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'repoxy-zip-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('hashZip on shapes tofu can install', () => {
  it('directory entries change h1Zip (hashed as empty files) but not h1Unpacked', async () => {
    const file = await zipFile([
      { name: 'docs/', data: '', dir: true },
      { name: 'docs/a.md', data: 'A' },
      { name: 'bin', data: 'B', method: 'store' },
    ]);
    const hashes = await hashZip(file);
    const withDirs = [
      { name: 'docs/', sha256: EMPTY },
      { name: 'docs/a.md', sha256: sha256('A') },
      { name: 'bin', sha256: sha256('B') },
    ];
    assert.equal(hashes.h1Zip, hash1(withDirs));
    assert.equal(hashes.h1Unpacked, hash1(withDirs.filter((f) => f.name !== 'docs/')));
    // DERIVED with Go x/mod dirhash.HashZip and go-getter's unpack + HashDir on this exact zip.
    assert.equal(hashes.h1Zip, 'h1:Voo9WWNfpZs3KHNROxUAtZ7JOHsx/kDfO4qibHq/VFQ=');
    assert.equal(hashes.h1Unpacked, 'h1:BwgOXs7nr2svVIXWZ41W87tI4Cd9NUdqqG12VUgdTZQ=');
  });

  it('an entry marked as a directory only by its attributes is unpacked as a directory', async () => {
    const file = await zipFile([
      { name: 'd', data: '', dir: true },
      { name: 'd/f', data: 'x' },
    ]);
    const hashes = await hashZip(file);
    assert.equal(
      hashes.h1Zip,
      hash1([
        { name: 'd', sha256: EMPTY },
        { name: 'd/f', sha256: sha256('x') },
      ]),
    );
    assert.equal(hashes.h1Unpacked, hash1([{ name: 'd/f', sha256: sha256('x') }]));
  });

  it('duplicate names: HashZip lists both with the LAST content; unpacking keeps the last once', async () => {
    const file = await zipFile([
      { name: 'a', data: 'first' },
      { name: 'b', data: 'bee' },
      { name: 'a', data: 'second' },
    ]);
    const hashes = await hashZip(file);
    const last = { name: 'a', sha256: sha256('second') };
    const b = { name: 'b', sha256: sha256('bee') };
    assert.equal(hashes.h1Zip, hash1([last, last, b]));
    assert.equal(hashes.h1Unpacked, hash1([last, b]));
    assert.deepEqual(hashes.notes, ['duplicate entry "a": the last one wins when unpacked']);
    // DERIVED with Go (see above).
    assert.equal(hashes.h1Zip, 'h1:ho3D6/bn8G4nRrqFHawjUEWPQWSUZRT2fSLNTJDNAZU=');
    assert.equal(hashes.h1Unpacked, 'h1:EGkJchbt1763yxNF8n/dGWJ/m5t2huyWlPMZxcy4NvY=');
  });

  it('a symlink entry unpacks as a regular file holding the link text', async () => {
    const file = await zipFile([
      { name: 'bin', data: 'real' },
      { name: 'link', data: 'bin', symlink: true },
    ]);
    const expected = hash1([
      { name: 'bin', sha256: sha256('real') },
      { name: 'link', sha256: sha256('bin') },
    ]);
    assert.deepEqual(await hashZip(file), {
      h1Zip: expected,
      h1Unpacked: expected,
      notes: ['symlink entry "link": unpacked as a regular file holding the link text'],
    });
  });

  it('HashZip keeps names verbatim; unpacking cleans them like filepath.Join', async () => {
    const file = await zipFile([
      { name: './a', data: 'x' },
      { name: 'b//c', data: 'y' },
    ]);
    const hashes = await hashZip(file);
    assert.equal(
      hashes.h1Zip,
      hash1([
        { name: './a', sha256: sha256('x') },
        { name: 'b//c', sha256: sha256('y') },
      ]),
    );
    assert.equal(
      hashes.h1Unpacked,
      hash1([
        { name: 'a', sha256: sha256('x') },
        { name: 'b/c', sha256: sha256('y') },
      ]),
    );
  });

  it('hashes non-ASCII names as their UTF-8 bytes', async () => {
    const files = [
      { name: 'é', data: '1' },
      { name: '\u{1F600}', data: '2' },
      { name: '\uFFFD', data: '3' },
    ];
    const expected = hash1(files.map((f) => ({ name: f.name, sha256: sha256(f.data) })));
    assert.deepEqual(await hashZip(await zipFile(files)), {
      h1Zip: expected,
      h1Unpacked: expected,
      notes: [],
    });
  });

  it('accepts ".." inside a name component, as go-getter does', async () => {
    const file = await zipFile([{ name: 'a..b', data: 'x' }]);
    assert.equal((await hashZip(file)).h1Zip, hash1([{ name: 'a..b', sha256: sha256('x') }]));
  });

  it('zh of a built zip is the sha256 of its bytes', async () => {
    const entries = [{ name: 'terraform-provider-x', data: 'binary' }];
    assert.equal(await sha256File(await zipFile(entries)), sha256(buildZip(entries)));
  });
});

describe('hashZip refuses hostile or unusable zips with VERIFY_BAD_ZIP', () => {
  const refuses = async (entries: readonly ZipEntrySpec[], message: RegExp, limits = DEFAULT_ZIP_LIMITS) => {
    await assert.rejects(hashZip(await zipFile(entries), limits), { code: 'VERIFY_BAD_ZIP', message });
  };

  it('refuses "../evil" and other parent traversal', async () => {
    for (const name of ['../evil', 'a/../../evil', '..\\evil', 'a/..']) {
      await refuses([{ name, data: 'x' }], /unsafe entry name .*"\.\." path component/);
    }
  });

  it('refuses absolute names', async () => {
    for (const name of ['/abs', '\\abs', 'C:/abs']) {
      await refuses([{ name, data: 'x' }], /unsafe entry name .*absolute path/);
    }
  });

  it('refuses a name with a newline (dirhash cannot hash it)', async () => {
    await refuses([{ name: 'a\nb', data: 'x' }], /unsafe entry name .*newline/);
  });

  it('refuses an empty archive, which go-getter refuses to unpack', async () => {
    await refuses([], /no entries/);
  });

  it('refuses a path that is both a file and a directory', async () => {
    await refuses(
      [
        { name: 'a', data: 'x' },
        { name: 'a/b', data: 'y' },
      ],
      /"a" is both a file and a directory/,
    );
  });

  it('refuses a directory entry that claims content', async () => {
    await refuses([{ name: 'x/', data: 'abc', method: 'store' }], /directory entry "x\/" claims 3 bytes/);
  });

  it('refuses an entry whose data does not match its CRC-32', async () => {
    await refuses([{ name: 'a', data: 'hello', crc32: 1 }], /corrupt \(CRC-32 mismatch\)/);
  });

  it('refuses an entry that inflates to more than it declares', async () => {
    await refuses([{ name: 'a', data: 'hello world, hello world', declaredSize: 3 }], /too many bytes|size/);
  });

  it('refuses an extreme compression ratio from the headers, before inflating anything', async () => {
    const zeros = Buffer.alloc(64 * 1024 * 1024);
    await refuses(
      [{ name: 'bomb', data: zeros }],
      /entry "bomb" expands \d+ bytes to 67108864 \(ratio \d+:1, limit 1000:1\)/,
    );
  });

  it('judges the ratio on declared sizes, so a lie cannot be inflated either', async () => {
    // Declares 3 GiB for 5 real bytes: refused by ratio, never by yauzl's size check while reading.
    await refuses([{ name: 'liar', data: 'hello', declaredSize: 3 * 1024 ** 3 }], /ratio \d+:1/);
  });

  it('refuses more uncompressed bytes than maxTotalUncompressedBytes', async () => {
    const limits = { ...DEFAULT_ZIP_LIMITS, maxTotalUncompressedBytes: 10 };
    await refuses(
      [
        { name: 'a', data: '12345678' },
        { name: 'b', data: '12345678' },
      ],
      /more than 10 bytes uncompressed/,
      limits,
    );
  });

  it('refuses more entries than maxEntries', async () => {
    const limits = { ...DEFAULT_ZIP_LIMITS, maxEntries: 2 };
    const entries = ['a', 'b', 'c'].map((name) => ({ name, data: name }));
    await refuses(entries, /3 entries, more than the limit of 2/, limits);
  });
});

describe('zip-builder and CRC-32', () => {
  it('builds byte-identical zips from equal inputs', () => {
    const entries = [
      { name: 'a', data: 'x' },
      { name: 'd/', data: '', dir: true },
    ];
    assert.deepEqual(buildZip(entries), buildZip(entries));
  });

  it('the portable CRC-32, zlib.crc32 and the builder agree, also when continued', () => {
    const data = Buffer.from('The quick brown fox jumps over the lazy dog');
    assert.equal(crc32Table(data), 0x414fa339);
    assert.equal(builderCrc32(data), 0x414fa339);
    assert.equal(crc32(data), 0x414fa339);
    assert.equal(crc32Table(data.subarray(10), crc32Table(data.subarray(0, 10))), 0x414fa339);
    assert.equal(typeof zlib.crc32, 'function', 'Node 20.15+ and 24 ship zlib.crc32');
  });
});
