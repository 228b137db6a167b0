import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { createDeflateRaw, crc32 } from 'node:zlib';

/**
 * A minimal deterministic zip writer for fixture archives: fixed timestamps (1980-01-01), Unix
 * modes, deflate via node:zlib, no data descriptors (sizes are patched into the local header), no
 * zip64 (archives stay below 4 GiB). Streams, so a 300 MB entry never sits in memory.
 */

export interface ZipEntrySource {
  readonly name: string;
  /** Unix permission bits, e.g. 0o755 for the provider binary. */
  readonly mode: number;
  /** The uncompressed content, in order. */
  readonly chunks: Iterable<Buffer>;
}

/** What the writer learned about each entry while writing it (for h1, PROTOCOL.md §4.1). */
export interface WrittenEntry {
  readonly name: string;
  readonly size: number;
  readonly sha256Hex: string;
}

/** Where zip bytes go: appended in order, with in-place patches of earlier header bytes. */
interface ZipSink {
  append(data: Buffer): Promise<void>;
  patch(position: number, data: Buffer): Promise<void>;
}

const DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1;
const FOUR_GIB = 2 ** 32;

/** Writes a zip of `entries` into memory and returns its bytes. */
export async function writeZipToBuffer(entries: readonly ZipEntrySource[]): Promise<{
  bytes: Buffer;
  entries: WrittenEntry[];
}> {
  const parts: Buffer[] = [];
  let length = 0;
  const patches: { position: number; data: Buffer }[] = [];
  const sink: ZipSink = {
    append: async (data) => {
      parts.push(data);
      length += data.length;
    },
    patch: async (position, data) => void patches.push({ position, data }),
  };
  const written = await writeZip(entries, sink);
  const bytes = Buffer.concat(parts, length);
  for (const p of patches) p.data.copy(bytes, p.position);
  return { bytes, entries: written };
}

/** Writes a zip of `entries` to the file at `path` (created or truncated). */
export async function writeZipToFile(
  path: string,
  entries: readonly ZipEntrySource[],
): Promise<{ size: number; entries: WrittenEntry[] }> {
  const file: FileHandle = await open(path, 'w');
  let size = 0;
  try {
    const sink: ZipSink = {
      append: async (data) => {
        await file.write(data, 0, data.length, size);
        size += data.length;
      },
      patch: async (position, data) => void (await file.write(data, 0, data.length, position)),
    };
    const written = await writeZip(entries, sink);
    return { size, entries: written };
  } finally {
    await file.close();
  }
}

async function writeZip(entries: readonly ZipEntrySource[], sink: ZipSink): Promise<WrittenEntry[]> {
  const central: Buffer[] = [];
  const written: WrittenEntry[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    await sink.append(localHeader(name));
    const body = await writeDeflated(entry.chunks, sink);
    await sink.patch(offset + 14, sizesField(body));
    central.push(centralHeader(name, entry.mode, body, offset));
    written.push({ name: entry.name, size: body.size, sha256Hex: body.sha256Hex });
    offset += 30 + name.length + body.compressedSize;
    if (offset >= FOUR_GIB) throw new Error('fixture zip writer: archives over 4 GiB need zip64');
  }
  const centralBytes = Buffer.concat(central);
  await sink.append(centralBytes);
  await sink.append(endOfCentralDirectory(entries.length, centralBytes.length, offset));
  return written;
}

interface DeflatedBody {
  crc: number;
  size: number;
  compressedSize: number;
  sha256Hex: string;
}

async function writeDeflated(chunks: Iterable<Buffer>, sink: ZipSink): Promise<DeflatedBody> {
  const deflate = createDeflateRaw({ level: 6 });
  const sha = createHash('sha256');
  let crc = 0;
  let size = 0;
  let compressedSize = 0;
  const drained = (async () => {
    for await (const out of deflate as AsyncIterable<Buffer>) {
      compressedSize += out.length;
      await sink.append(out);
    }
  })();
  for (const chunk of chunks) {
    crc = crc32(chunk, crc);
    sha.update(chunk);
    size += chunk.length;
    if (!deflate.write(chunk)) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await drained;
  return { crc, size, compressedSize, sha256Hex: sha.digest('hex') };
}

function localHeader(name: Buffer): Buffer {
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
  h.writeUInt16LE(0, 6); // flags: none (sizes are in this header)
  h.writeUInt16LE(8, 8); // method: deflate
  h.writeUInt16LE(0, 10); // time 00:00:00
  h.writeUInt16LE(DOS_DATE_1980_01_01, 12);
  // 14..25: crc32, compressed size, size — patched after the body is written
  h.writeUInt16LE(name.length, 26);
  h.writeUInt16LE(0, 28);
  return Buffer.concat([h, name]);
}

function sizesField(body: DeflatedBody): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(body.crc >>> 0, 0);
  b.writeUInt32LE(body.compressedSize, 4);
  b.writeUInt32LE(body.size, 8);
  return b;
}

function centralHeader(name: Buffer, mode: number, body: DeflatedBody, offset: number): Buffer {
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0 — so the external attributes carry the mode
  h.writeUInt16LE(20, 6);
  h.writeUInt16LE(0, 8);
  h.writeUInt16LE(8, 10);
  h.writeUInt16LE(0, 12);
  h.writeUInt16LE(DOS_DATE_1980_01_01, 14);
  sizesField(body).copy(h, 16);
  h.writeUInt16LE(name.length, 28);
  // 30..41: extra length, comment length, disk, internal attributes: all 0
  h.writeUInt32LE(((0o100000 | mode) << 16) >>> 0, 38);
  h.writeUInt32LE(offset, 42);
  return Buffer.concat([h, name]);
}

function endOfCentralDirectory(count: number, centralSize: number, centralOffset: number): Buffer {
  const e = Buffer.alloc(22);
  e.writeUInt32LE(0x06054b50, 0);
  e.writeUInt16LE(count, 8);
  e.writeUInt16LE(count, 10);
  e.writeUInt32LE(centralSize, 12);
  e.writeUInt32LE(centralOffset, 16);
  return e;
}
