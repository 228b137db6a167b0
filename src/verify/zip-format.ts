import * as zlib from 'node:zlib';

/**
 * What both zip readers share (zip-entries.ts: the central directory, zip-stream.ts: local headers as
 * the bytes arrive): the limits, one streamed entry's shape, and CRC-32.
 */

/**
 * What reading one zip may cost. Every limit is checked against the central directory BEFORE any
 * byte is inflated; yauzl then refuses entries whose data exceeds their declared size, so a lying
 * header cannot get past them. Exceeding a limit is VERIFY_BAD_ZIP.
 */
export interface ZipLimits {
  /** Most entries in the central directory. */
  readonly maxEntries: number;
  /** Most uncompressed bytes, summed over all entries. */
  readonly maxTotalUncompressedBytes: number;
  /** Highest uncompressed:compressed ratio of one entry larger than `compressionRatioMinBytes`. */
  readonly maxCompressionRatio: number;
  /** Entries of at most this many uncompressed bytes are exempt from the ratio limit. */
  readonly compressionRatioMinBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntries: 10_000,
  maxTotalUncompressedBytes: 4 * 1024 ** 3,
  maxCompressionRatio: 1000,
  compressionRatioMinBytes: 1024 ** 2,
};

/**
 * One entry as its local header and data arrived: the header's fields and the sha256, CRC-32 and
 * length of the content actually inflated. Nothing here is trusted until the central directory
 * confirms it (`confirmStreamedEntries`).
 */
export interface StreamedEntry {
  /** Offset of the local header in the zip. */
  readonly offset: number;
  /** The name bytes of the local header. */
  readonly name: Buffer;
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  /** Lower-case hex sha256 of the inflated content. */
  readonly sha256: string;
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 as zip uses it, continuing from `previous`; table-based where zlib.crc32 is missing (Node < 20.15). */
export function crc32(data: Uint8Array, previous = 0): number {
  if (typeof zlib.crc32 === 'function') return zlib.crc32(data, previous) >>> 0;
  return crc32Table(data, previous);
}

/** The portable CRC-32 (exported so tests can compare it with zlib's). */
export function crc32Table(data: Uint8Array, previous = 0): number {
  let c = (previous ^ 0xffffffff) >>> 0;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
