/**
 * Hashing a zip while it downloads (StreamingZipHasher + hashStreamedZip) must give exactly what a
 * pass over the file (hashZip) gives, or nothing — never a different answer, never an answer where
 * hashZip refuses. Checked differentially on every zip shape the tests know, fed in several splits.
 */
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashStreamedZip, hashZip, type ZipHashes } from '../../src/verify/h1.ts';
import { DEFAULT_ZIP_LIMITS, type ZipLimits } from '../../src/verify/zip-format.ts';
import { StreamingZipHasher, type StreamedZip } from '../../src/verify/zip-stream.ts';
import { binaryContentChunks } from '../support/fixture-registry/binary-content.ts';
import { writeZipToBuffer } from '../support/fixture-registry/zip-writer.ts';
import { buildZip, type ZipEntrySpec } from '../support/zip-builder.ts';

const VECTORS = path.resolve(import.meta.dirname, '../../../shared/vectors/opentofu');

let dir: string;
let counter = 0;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'repoxy-zip-stream-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Feeds `bytes` in pieces of `split` bytes, honouring backpressure as a download does. */
async function stream(bytes: Buffer, split: number, limits = DEFAULT_ZIP_LIMITS) {
  const hasher = new StreamingZipHasher(limits);
  let pauses = 0;
  for (let at = 0; at < bytes.length; at += split) {
    if (!hasher.write(bytes.subarray(at, at + split))) {
      pauses++;
      await hasher.drained();
    }
  }
  return { streamed: await hasher.finish(), pauses };
}

/** Both answers for one zip: the file pass (or its error) and the streamed one, per split. */
async function bothWays(bytes: Buffer, limits: ZipLimits = DEFAULT_ZIP_LIMITS) {
  const file = path.join(dir, `z${counter++}.zip`);
  await writeFile(file, bytes);
  const fromFile: ZipHashes | Error = await hashZip(file, limits).catch((err: Error) => err);
  const streamedBy: { split: number; streamed: StreamedZip; hashes: ZipHashes | undefined }[] = [];
  for (const split of [1, 7, 4096, 16 * 1024, bytes.length || 1]) {
    const { streamed } = await stream(bytes, split, limits);
    streamedBy.push({ split, streamed, hashes: await hashStreamedZip(file, streamed, limits) });
  }
  return { fromFile, streamedBy };
}

/** The streamed answer equals hashZip's for every split. */
async function agrees(bytes: Buffer, limits?: ZipLimits): Promise<ZipHashes> {
  const { fromFile, streamedBy } = await bothWays(bytes, limits);
  assert.ok(!(fromFile instanceof Error), `hashZip failed: ${String(fromFile)}`);
  for (const s of streamedBy) {
    assert.deepEqual(s.hashes, fromFile, `split ${s.split}: ${JSON.stringify(s.streamed).slice(0, 300)}`);
  }
  return fromFile;
}

/** No streamed answer for any split; `hashZip` decides alone (and `refusal`, when given, is its error). */
async function defers(bytes: Buffer, refusal?: RegExp, limits?: ZipLimits): Promise<void> {
  const { fromFile, streamedBy } = await bothWays(bytes, limits);
  for (const s of streamedBy) assert.equal(s.hashes, undefined, `split ${s.split} gave an answer`);
  if (refusal) {
    assert.ok(fromFile instanceof Error, 'hashZip accepted it');
    assert.match(fromFile.message, refusal);
  }
}

const BINARY: ZipEntrySpec = { name: 'terraform-provider-x_v1.0.0', data: 'binary '.repeat(5000) };

describe('hashing while downloading agrees with hashZip', () => {
  it('on the upstream provider-null zip (VECTORS.md §2), with its real h1', async () => {
    const bytes = await readFile(path.join(VECTORS, 'zips', 'provider-null_2.1.0_linux_amd64.zip'));
    const hashes = await agrees(bytes);
    assert.equal(hashes.h1Zip, 'h1:qjsREM4DqEWECD43FcPqddZ9oxCG+IaMTxvWPciS05g=');
  });

  it('on the OCI fixture zips (VECTORS.md §3)', async () => {
    const blobs = path.join(VECTORS, 'oci-provider-mirror', 'fake-registry', 'foo', 'blobs', 'sha256');
    const bytes = await readFile(
      path.join(blobs, '11aa47eb05d2bac7eb9c27fdbf1447152c4f07c814a24db86c24339253db1534'),
    );
    assert.equal((await agrees(bytes)).h1Zip, 'h1:/7EZyaSc8nHM3uqUqKetvsgqMEnGsWwI4PolJOvE8Xo=');
  });

  const installable: [string, ZipEntrySpec[]][] = [
    ['stored and deflated entries', [BINARY, { name: 'README', data: 'r', method: 'store' }]],
    [
      'empty entries, stored and deflated',
      [BINARY, { name: 'e1', data: '' }, { name: 'e2', data: '', method: 'deflate' }],
    ],
    ['directory entries', [{ name: 'docs/', data: '', dir: true }, { name: 'docs/a.md', data: 'A' }, BINARY]],
    [
      'a directory by attributes only',
      [
        { name: 'd', data: '', dir: true },
        { name: 'd/f', data: 'x' },
      ],
    ],
    ['duplicate names', [{ name: 'a', data: 'first' }, BINARY, { name: 'a', data: 'second' }]],
    ['a symlink', [BINARY, { name: 'link', data: 'bin', symlink: true }]],
    [
      'names cleaned when unpacked',
      [
        { name: './a', data: 'x' },
        { name: 'b//c', data: 'y' },
      ],
    ],
    [
      'non-ASCII names',
      [
        { name: 'é', data: '1' },
        { name: '\u{1F600}', data: '2' },
      ],
    ],
  ];
  for (const [what, entries] of installable) {
    it(`on a zip with ${what}`, async () => {
      await agrees(buildZip(entries));
    });
  }

  it('on a fixture-registry provider zip with a 3 MiB binary, fed in 16 KiB pieces with backpressure', async () => {
    const { bytes } = await writeZipToBuffer([
      {
        name: 'terraform-provider-big_v1.0.0',
        mode: 0o755,
        chunks: binaryContentChunks('big', 3 * 1024 * 1024),
      },
      { name: 'LICENSE', mode: 0o644, chunks: [Buffer.from('license text\n')] },
    ]);
    await agrees(bytes);
    const { pauses } = await stream(bytes, 16 * 1024);
    assert.ok(pauses > 0, 'the inflater never asked the download to wait');
  });
});

describe('hashing while downloading defers to hashZip', () => {
  it('for entries written with data descriptors (sizes after the data)', async () => {
    const bytes = buildZip([{ ...BINARY, dataDescriptor: true }]);
    await defers(bytes);
    // The file pass still reads it, as OpenTofu does.
    assert.equal((await hashZip(await written(bytes))).notes.length, 0);
    const { streamed } = await stream(bytes, bytes.length);
    assert.deepEqual(streamed, { ok: false, why: 'an entry with a data descriptor' });
  });

  const refused: [string, () => Buffer, RegExp, ZipLimits?][] = [
    ['"../evil"', () => buildZip([BINARY, { name: '../evil', data: 'x' }]), /"\.\." path component/],
    ['an absolute name', () => buildZip([{ name: '/abs', data: 'x' }]), /absolute path/],
    ['a newline in a name', () => buildZip([{ name: 'a\nb', data: 'x' }]), /newline/],
    ['no entries', () => buildZip([]), /no entries/],
    [
      'a file that is also a directory',
      () =>
        buildZip([
          { name: 'a', data: 'x' },
          { name: 'a/b', data: 'y' },
        ]),
      /both a file and a directory/,
    ],
    [
      'a directory entry with content',
      () => buildZip([{ name: 'x/', data: 'abc', method: 'store' }]),
      /claims 3 bytes/,
    ],
    [
      'a CRC-32 mismatch',
      () => buildZip([BINARY, { name: 'a', data: 'hello', crc32: 1 }]),
      /CRC-32 mismatch/,
    ],
    [
      'more output than declared',
      () => buildZip([{ name: 'a', data: 'hello world, hello world', declaredSize: 3 }]),
      /too many bytes|size/,
    ],
    [
      'less output than declared',
      () => buildZip([{ name: 'a', data: 'hello world', declaredSize: 40 }]),
      /not enough bytes|size/,
    ],
    [
      'a zip bomb (ratio)',
      () => buildZip([{ name: 'bomb', data: Buffer.alloc(8 * 1024 * 1024) }]),
      /ratio \d+:1/,
    ],
    [
      'a 3 GB lie',
      () => buildZip([{ name: 'liar', data: 'hello', declaredSize: 3 * 1024 ** 3 }]),
      /ratio \d+:1/,
    ],
    [
      'too many bytes in all',
      () =>
        buildZip([
          { name: 'a', data: '12345678' },
          { name: 'b', data: '12345678' },
        ]),
      /more than 10 bytes uncompressed/,
      { ...DEFAULT_ZIP_LIMITS, maxTotalUncompressedBytes: 10 },
    ],
    [
      'too many entries',
      () => buildZip(['a', 'b', 'c'].map((name) => ({ name, data: name }))),
      /3 entries, more than the limit of 2/,
      { ...DEFAULT_ZIP_LIMITS, maxEntries: 2 },
    ],
    ['an HTML page', () => Buffer.from('<!doctype html><title>Sign in</title>'), /not a valid zip file/],
    ['a truncated zip', () => buildZip([BINARY]).subarray(0, 200), /not a valid zip file/],
  ];
  for (const [what, zip, refusal, limits] of refused) {
    it(`for ${what}, which hashZip refuses`, async () => {
      await defers(zip(), refusal, limits);
    });
  }

  it('when a local header names another file than the central directory', async () => {
    const bytes = buildZip([{ name: 'aaaa', data: 'x' }, BINARY]);
    bytes.write('bbbb', 30, 'latin1'); // the first local header's name
    await defers(bytes);
    assert.equal((await hashZip(await written(bytes))).h1Zip.startsWith('h1:'), true);
  });

  it('when the central directory lists one local entry twice (overlapping entries)', async () => {
    const bytes = duplicateFirstCentralRecord(buildZip([BINARY, { name: 'LICENSE', data: 'l' }]));
    await defers(bytes);
  });

  it('when bytes precede the first entry (a self-extracting stub)', async () => {
    await defers(Buffer.concat([Buffer.from('MZ stub'), buildZip([BINARY])]));
  });

  it('when the data inflates to something else than its CRC-32 says, hashZip says why', async () => {
    const bytes = buildZip([{ name: 'a', data: 'hello', crc32: 7 }]);
    const { streamed } = await stream(bytes, 3);
    assert.deepEqual(streamed, { ok: false, why: 'an entry did not match its header' });
  });
});

describe('a download that fails while its zip is being hashed', () => {
  it('abandon() stops inflating, and finish() then says why at once', async () => {
    const { bytes } = await writeZipToBuffer([
      {
        name: 'terraform-provider-big_v1.0.0',
        mode: 0o755,
        chunks: binaryContentChunks('abandon', 2 * 1024 * 1024),
      },
    ]);
    const hasher = new StreamingZipHasher();
    hasher.write(bytes.subarray(0, 300_000)); // mid-entry: an inflater is busy
    hasher.abandon();
    assert.deepEqual(await hasher.finish(), { ok: false, why: 'the download failed' });
    // Bytes after abandon() change nothing.
    assert.equal(hasher.write(bytes.subarray(300_000)), true);
    assert.deepEqual(await hasher.finish(), { ok: false, why: 'the download failed' });
  });
});

async function written(bytes: Buffer): Promise<string> {
  const file = path.join(dir, `w${counter++}.zip`);
  await writeFile(file, bytes);
  return file;
}

/** A zip whose central directory has the first record twice (end record count and size updated). */
function duplicateFirstCentralRecord(zip: Buffer): Buffer {
  const eocd = zip.length - 22;
  const cdSize = zip.readUInt32LE(eocd + 12);
  const cdOffset = zip.readUInt32LE(eocd + 16);
  const first = zip.subarray(cdOffset, cdOffset + 46 + zip.readUInt16LE(cdOffset + 28));
  const end = Buffer.from(zip.subarray(eocd));
  end.writeUInt16LE(end.readUInt16LE(8) + 1, 8);
  end.writeUInt16LE(end.readUInt16LE(10) + 1, 10);
  end.writeUInt32LE(cdSize + first.length, 12);
  return Buffer.concat([zip.subarray(0, cdOffset + cdSize), first, end]);
}
