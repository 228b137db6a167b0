import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline, Transform, type Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import yauzl from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';
import { isRepoxyError, RepoxyError } from '../domain/errors.ts';
import { crc32, DEFAULT_ZIP_LIMITS, type StreamedEntry, type ZipLimits } from './zip-format.ts';

/** One central-directory entry, in archive order, with the sha256 of its uncompressed content. */
export interface ZipEntryDigest {
  /** The name bytes exactly as stored: Go's `zip.File.Name` (no decoding, no cleaning). */
  readonly name: Buffer;
  /** Lower-case hex sha256 of the content; the empty string's hash for `name/` entries. */
  readonly sha256: string;
  /** What go-getter makes of the entry when unpacking: a directory or a regular file. */
  readonly kind: 'dir' | 'file';
  /** A Unix symlink entry: go-getter writes it as a regular file holding the link text. */
  readonly symlink: boolean;
}

/** Output bytes per inflate step (zlib's default is 16 KiB). */
const INFLATE_CHUNK_BYTES = 256 * 1024;
const EMPTY_SHA256 = createHash('sha256').digest('hex');
const SLASH = 0x2f;
const FLAG_DATA_DESCRIPTOR = 0x0008;

/**
 * Reads every entry of the zip at `path` and hashes its content, one entry at a time (memory does
 * not grow with the archive). Throws VERIFY_BAD_ZIP for anything that is not a zip OpenTofu could
 * hash and install: unsafe names (PROTOCOL.md §1.9), exceeded limits, corrupt data. Throws IO when
 * the file cannot be opened.
 */
export async function digestZipEntries(
  path: string,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
): Promise<ZipEntryDigest[]> {
  const zip = await openZip(path);
  try {
    if (zip.entryCount > limits.maxEntries) {
      throw badZip(path, `it has ${zip.entryCount} entries, more than the limit of ${limits.maxEntries}`);
    }
    const entries = await listEntries(zip, path, limits);
    const digests: ZipEntryDigest[] = [];
    for (const entry of entries) {
      digests.push({
        name: entry.fileNameRaw,
        sha256: await digestEntry(zip, entry, path),
        kind: kindOf(entry),
        symlink: isUnixSymlink(entry),
      });
    }
    return digests;
  } catch (err) {
    throw isRepoxyError(err) ? err : badZip(path, (err as Error).message, err);
  } finally {
    zip.close();
  }
}

/**
 * The digests of the zip at `path` from a streaming pass (`StreamingZipHasher`), confirmed against its
 * central directory without inflating anything: the central directory must pass every check
 * `digestZipEntries` makes and list exactly the streamed entries, in order, with the same name bytes,
 * local-header offset, method, sizes and CRC-32 — then every reader that goes through the central
 * directory (OpenTofu's, yauzl) reads exactly the bytes that were hashed. Undefined when anything
 * differs or fails: the caller then runs `digestZipEntries`, which reports the precise error.
 */
export async function confirmStreamedEntries(
  path: string,
  streamed: readonly StreamedEntry[],
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
): Promise<ZipEntryDigest[] | undefined> {
  let zip: ZipFile;
  try {
    zip = await openZip(path);
  } catch {
    return undefined;
  }
  try {
    if (zip.entryCount !== streamed.length || zip.entryCount > limits.maxEntries) return undefined;
    const central = await listEntries(zip, path, limits);
    if (central.length !== streamed.length) return undefined;
    const digests: ZipEntryDigest[] = [];
    for (const [i, entry] of central.entries()) {
      const s = streamed[i]!;
      const same =
        entry.fileNameRaw.equals(s.name) &&
        entry.relativeOffsetOfLocalHeader === s.offset &&
        entry.compressionMethod === s.method &&
        entry.compressedSize === s.compressedSize &&
        entry.uncompressedSize === s.uncompressedSize &&
        entry.crc32 >>> 0 === s.crc32 >>> 0 &&
        (entry.generalPurposeBitFlag & FLAG_DATA_DESCRIPTOR) === 0;
      if (!same) return undefined;
      digests.push({
        name: entry.fileNameRaw,
        sha256: endsWithSlash(entry.fileNameRaw) ? EMPTY_SHA256 : s.sha256,
        kind: kindOf(entry),
        symlink: isUnixSymlink(entry),
      });
    }
    return digests;
  } catch {
    return undefined;
  } finally {
    zip.close();
  }
}

/** Why an entry name is refused (absolute, `..` component, NUL, newline, empty), or undefined. */
export function unsafeNameReason(name: Buffer): string | undefined {
  const text = name.toString('latin1');
  if (text === '') return 'the name is empty';
  if (text.includes('\n')) return 'the name contains a newline';
  if (text.includes('\0')) return 'the name contains a NUL byte';
  if (/^[/\\]/.test(text) || /^[A-Za-z]:/.test(text)) return 'the name is an absolute path';
  // go-getter's containsDotDot splits on both separators (decompress_zip.go).
  if (text.split(/[/\\]/).includes('..')) return 'the name contains a ".." path component';
  return undefined;
}

/** An entry name for messages: decoded as UTF-8, quoted. */
export function showName(name: Buffer): string {
  return JSON.stringify(name.toString('utf8'));
}

/** A VERIFY_BAD_ZIP error naming the archive. */
export function badZip(path: string, why: string, cause?: unknown): RepoxyError {
  return new RepoxyError('VERIFY_BAD_ZIP', `${path} is not a usable provider zip: ${why}`, { cause });
}

function openZip(path: string): Promise<ZipFile> {
  const options = { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true };
  return new Promise((resolve, reject) => {
    yauzl.open(path, options, (err, zip) => {
      if (!err) return resolve(zip);
      if (typeof (err as NodeJS.ErrnoException).code === 'string') {
        return reject(new RepoxyError('IO', `cannot open ${path}: ${err.message}`, { cause: err }));
      }
      reject(
        new RepoxyError('VERIFY_BAD_ZIP', `${path} is not a valid zip file (${err.message})`, { cause: err }),
      );
    });
  });
}

function listEntries(zip: ZipFile, path: string, limits: ZipLimits): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: Entry[] = [];
    let total = 0;
    zip.on('entry', (entry: Entry) => {
      try {
        checkEntry(entry, path, limits);
        total += entry.uncompressedSize;
        if (total > limits.maxTotalUncompressedBytes) {
          throw badZip(
            path,
            `its entries hold more than ${limits.maxTotalUncompressedBytes} bytes uncompressed`,
          );
        }
        entries.push(entry);
        zip.readEntry();
      } catch (err) {
        reject(err);
      }
    });
    zip.on('end', () => resolve(entries));
    // Stays attached after settling, so a late error can never become an uncaught exception.
    zip.on('error', reject);
    zip.readEntry();
  });
}

function checkEntry(entry: Entry, path: string, limits: ZipLimits): void {
  const name = entry.fileNameRaw;
  const unsafe = unsafeNameReason(name);
  if (unsafe) throw badZip(path, `archive contains an unsafe entry name ${showName(name)}: ${unsafe}`);
  if (entry.isEncrypted()) throw badZip(path, `entry ${showName(name)} is encrypted`);
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    throw badZip(
      path,
      `entry ${showName(name)} uses unsupported compression method ${entry.compressionMethod}`,
    );
  }
  // Go's File.Open refuses a `name/` entry that claims content (archive/zip reader.go).
  if (endsWithSlash(name) && entry.uncompressedSize !== 0) {
    throw badZip(path, `directory entry ${showName(name)} claims ${entry.uncompressedSize} bytes of content`);
  }
  const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
  if (entry.uncompressedSize > limits.compressionRatioMinBytes && ratio > limits.maxCompressionRatio) {
    throw badZip(
      path,
      `entry ${showName(name)} expands ${entry.compressedSize} bytes to ${entry.uncompressedSize} ` +
        `(ratio ${Math.round(ratio)}:1, limit ${limits.maxCompressionRatio}:1)`,
    );
  }
}

async function digestEntry(zip: ZipFile, entry: Entry, path: string): Promise<string> {
  // HashZip hashes `name/` entries as empty content without reading them (reader.go dirReader).
  if (endsWithSlash(entry.fileNameRaw)) return EMPTY_SHA256;
  const hash = createHash('sha256');
  let crc = 0;
  for await (const chunk of await openReadStream(zip, entry, path)) {
    hash.update(chunk as Buffer);
    crc = crc32(chunk as Buffer, crc);
  }
  // Go's checksumReader fails on a CRC mismatch; yauzl does not check CRCs.
  if (crc !== entry.crc32 >>> 0) {
    throw badZip(path, `entry ${showName(entry.fileNameRaw)} is corrupt (CRC-32 mismatch)`);
  }
  return hash.digest('hex');
}

function openReadStream(zip: ZipFile, entry: Entry, path: string): Promise<Readable> {
  // A deflated entry's compressed bytes are read with 256 KiB reads (yauzl reads 16 KiB at a time) and
  // inflated with 256 KiB output steps (zlib's default is 16 KiB): every read and every inflate step is a
  // thread-pool round trip through the JS thread, so fewer, larger steps hash big archives faster.
  if (entry.compressionMethod !== 8) {
    return new Promise((resolve, reject) => {
      zip.openReadStream(entry, (err, raw) => (err ? reject(err) : resolve(raw)));
    });
  }
  return dataStart(path, entry).then((start) => {
    const raw = createReadStream(path, {
      start,
      end: start + entry.compressedSize - 1,
      highWaterMark: INFLATE_CHUNK_BYTES,
    });
    const inflate = zlib.createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES });
    return pipeline(raw, inflate, exactSize(entry.uncompressedSize), () => undefined);
  });
}

/** Where an entry's data begins: after its local header (30 bytes, name, extra field). */
async function dataStart(path: string, entry: Entry): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const header = Buffer.alloc(30);
    await fh.read(header, 0, 30, entry.relativeOffsetOfLocalHeader);
    if (header.readUInt32LE(0) !== 0x04034b50) throw new Error('invalid local file header signature');
    return entry.relativeOffsetOfLocalHeader + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  } finally {
    await fh.close();
  }
}

/** yauzl checks uncompressed sizes only on its own inflater: the same check, as a pass-through. */
function exactSize(expected: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > expected) return done(new Error(`too many bytes in the stream: expected ${expected}`));
      done(null, chunk);
    },
    flush(done) {
      done(
        seen === expected
          ? null
          : new Error(`not enough bytes in the stream: expected ${expected}, got ${seen}`),
      );
    },
  });
}

function isUnixSymlink(entry: Entry): boolean {
  const creator = entry.versionMadeBy >>> 8;
  return (creator === 3 || creator === 19) && ((entry.externalFileAttributes >>> 16) & 0o170000) === 0o120000;
}

/** go-getter's `f.FileInfo().IsDir()`: a trailing `/`, or a directory mode in the external attributes. */
function kindOf(entry: Entry): 'dir' | 'file' {
  if (endsWithSlash(entry.fileNameRaw)) return 'dir';
  const creator = entry.versionMadeBy >>> 8;
  const attrs = entry.externalFileAttributes >>> 0;
  // Go archive/zip struct.go: creatorUnix=3, creatorMacOSX=19; creatorFAT=0, creatorNTFS=11, creatorVFAT=14.
  if (creator === 3 || creator === 19) return ((attrs >>> 16) & 0o170000) === 0o040000 ? 'dir' : 'file';
  if (creator === 0 || creator === 11 || creator === 14) return (attrs & 0x10) !== 0 ? 'dir' : 'file';
  return 'file';
}

function endsWithSlash(name: Buffer): boolean {
  return name.length > 0 && name[name.length - 1] === SLASH;
}
