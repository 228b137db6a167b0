import { deflateRawSync } from 'node:zlib';

/**
 * One entry of a zip built by `buildZip`. Hostile shapes are allowed on purpose: duplicate names,
 * `../x`, `/abs`, directory flags without a trailing `/`, symlinks, lying sizes and CRCs.
 */
export interface ZipEntrySpec {
  /** Stored verbatim (UTF-8; the UTF-8 flag is set when it is not pure ASCII). */
  readonly name: string;
  readonly data: Buffer | string;
  /** Mark as a directory in the external attributes (the name is NOT changed: add the `/` yourself). */
  readonly dir?: boolean;
  /** Default: 'deflate' for non-empty data, 'store' for empty data. */
  readonly method?: 'store' | 'deflate';
  /** Mark as a symbolic link (external attrs `0o120777 << 16`); `data` is the link target. */
  readonly symlink?: boolean;
  /** Hostile: the uncompressed size written to the headers instead of the real one. */
  readonly declaredSize?: number;
  /** Hostile: the CRC-32 written to the headers instead of the real one. */
  readonly crc32?: number;
  /**
   * Write CRC-32 and sizes after the data (flag bit 3, as streaming zip writers do): the local header
   * carries zeros, the central directory the real values.
   */
  readonly dataDescriptor?: boolean;
}

// 1980-01-01 00:00:00 in MS-DOS format, so equal inputs give byte-identical zips.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const VERSION_MADE_BY_UNIX = (3 << 8) | 20;
const FLAG_UTF8 = 0x0800;
const FLAG_DATA_DESCRIPTOR = 0x0008;

const MODE_FILE = 0o100644;
const MODE_DIR = 0o040755;
const MODE_SYMLINK = 0o120777;
const MSDOS_DIR_ATTR = 0x10;

interface PreparedEntry {
  readonly name: Buffer;
  readonly descriptor: boolean;
  readonly flags: number;
  readonly method: number;
  readonly crc: number;
  readonly compressed: Buffer;
  readonly uncompressedSize: number;
  readonly externalAttrs: number;
  offset: number;
}

/** Builds a complete, deterministic zip archive in memory (no zip64; keep fixtures under 4 GiB). */
export function buildZip(entries: readonly ZipEntrySpec[]): Buffer {
  const prepared = entries.map(prepareEntry);
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const entry of prepared) {
    entry.offset = offset;
    const local = localHeader(entry);
    const descriptor = entry.descriptor ? dataDescriptor(entry) : Buffer.alloc(0);
    chunks.push(local, entry.compressed, descriptor);
    offset += local.length + entry.compressed.length + descriptor.length;
  }
  const central = Buffer.concat(prepared.map(centralHeader));
  chunks.push(central, endOfCentralDirectory(prepared.length, central.length, offset));
  return Buffer.concat(chunks);
}

function prepareEntry(spec: ZipEntrySpec): PreparedEntry {
  const data = typeof spec.data === 'string' ? Buffer.from(spec.data, 'utf8') : spec.data;
  const method = (spec.method ?? (data.length > 0 ? 'deflate' : 'store')) === 'deflate' ? 8 : 0;
  const name = Buffer.from(spec.name, 'utf8');
  const ascii = name.every((b) => b < 0x80);
  const descriptor = spec.dataDescriptor === true;
  return {
    name,
    descriptor,
    flags: (ascii ? 0 : FLAG_UTF8) | (descriptor ? FLAG_DATA_DESCRIPTOR : 0),
    method,
    crc: spec.crc32 ?? crc32(data),
    compressed: method === 8 ? deflateRawSync(data) : data,
    uncompressedSize: spec.declaredSize ?? data.length,
    externalAttrs: externalAttrs(spec),
    offset: 0,
  };
}

function externalAttrs(spec: ZipEntrySpec): number {
  if (spec.symlink) return (MODE_SYMLINK << 16) >>> 0;
  if (spec.dir) return ((MODE_DIR << 16) | MSDOS_DIR_ATTR) >>> 0;
  return (MODE_FILE << 16) >>> 0;
}

function localHeader(e: PreparedEntry): Buffer {
  const b = Buffer.alloc(30);
  b.writeUInt32LE(0x04034b50, 0);
  b.writeUInt16LE(20, 4);
  b.writeUInt16LE(e.flags, 6);
  b.writeUInt16LE(e.method, 8);
  b.writeUInt16LE(DOS_TIME, 10);
  b.writeUInt16LE(DOS_DATE, 12);
  if (!e.descriptor) {
    b.writeUInt32LE(e.crc >>> 0, 14);
    b.writeUInt32LE(e.compressed.length, 18);
    b.writeUInt32LE(e.uncompressedSize, 22);
  }
  b.writeUInt16LE(e.name.length, 26);
  b.writeUInt16LE(0, 28);
  return Buffer.concat([b, e.name]);
}

/** Signature, CRC-32, compressed and uncompressed size, after the entry's data. */
function dataDescriptor(e: PreparedEntry): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(0x08074b50, 0);
  b.writeUInt32LE(e.crc >>> 0, 4);
  b.writeUInt32LE(e.compressed.length, 8);
  b.writeUInt32LE(e.uncompressedSize, 12);
  return b;
}

function centralHeader(e: PreparedEntry): Buffer {
  const b = Buffer.alloc(46);
  b.writeUInt32LE(0x02014b50, 0);
  b.writeUInt16LE(VERSION_MADE_BY_UNIX, 4);
  b.writeUInt16LE(20, 6);
  b.writeUInt16LE(e.flags, 8);
  b.writeUInt16LE(e.method, 10);
  b.writeUInt16LE(DOS_TIME, 12);
  b.writeUInt16LE(DOS_DATE, 14);
  b.writeUInt32LE(e.crc >>> 0, 16);
  b.writeUInt32LE(e.compressed.length, 20);
  b.writeUInt32LE(e.uncompressedSize, 24);
  b.writeUInt16LE(e.name.length, 28);
  // extra length, comment length, disk number start, internal attributes: all 0
  b.writeUInt32LE(e.externalAttrs, 38);
  b.writeUInt32LE(e.offset, 42);
  return Buffer.concat([b, e.name]);
}

function endOfCentralDirectory(count: number, size: number, offset: number): Buffer {
  const b = Buffer.alloc(22);
  b.writeUInt32LE(0x06054b50, 0);
  b.writeUInt16LE(count, 8);
  b.writeUInt16LE(count, 10);
  b.writeUInt32LE(size, 12);
  b.writeUInt32LE(offset, 16);
  return b;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, as zip uses it); independent of the one in src/ so tests cross-check. */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
