import { createHash, type Hash } from 'node:crypto';
import { createInflateRaw, type InflateRaw } from 'node:zlib';
import { crc32, DEFAULT_ZIP_LIMITS, type StreamedEntry, type ZipLimits } from './zip-format.ts';

/** What a streaming pass found: every entry before the central directory, or why it gave up. */
export type StreamedZip =
  | { readonly ok: true; readonly entries: readonly StreamedEntry[] }
  | { readonly ok: false; readonly why: string };

/** Output bytes per inflate step and input bytes per inflate write (as `digestZipEntries`). */
const STEP_BYTES = 256 * 1024;
const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const LOCAL_HEADER_BYTES = 30;
const FLAG_ENCRYPTED = 0x0001;
const FLAG_DATA_DESCRIPTOR = 0x0008;
const ZIP64_MARK = 0xffffffff;

type Header = Omit<StreamedEntry, 'sha256'>;

/**
 * Hashes the entries of a zip while its bytes arrive in order (a download), so no second pass over
 * the file is needed: walks the local headers, inflates each entry in 256 KiB steps and hashes its
 * content. It follows what registries serve (sizes in the local header, stored or deflated data)
 * and gives up quietly on anything else — data descriptors, zip64, encryption, other methods, a
 * limit of `ZipLimits` exceeded, content that does not match its header — so the caller hashes the
 * file instead, which reports the precise error. It never throws and never rejects.
 *
 * Backpressure: `write` returns false while an inflater is full; wait for `drained()` before the next
 * write, so memory stays bounded whatever the archive size.
 */
export class StreamingZipHasher {
  readonly #limits: ZipLimits;
  #position = 0;
  /** Bytes of a local header not complete yet. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #entry: EntryHasher | undefined;
  /** Data bytes of the current entry still to come. */
  #left = 0;
  #inCentralDirectory = false;
  #failure: string | undefined;
  readonly #done: Promise<StreamedEntry | undefined>[] = [];
  #totalUncompressed = 0;
  #full: EntryHasher | undefined;

  constructor(limits: ZipLimits = DEFAULT_ZIP_LIMITS) {
    this.#limits = limits;
  }

  /** Feeds the next bytes of the zip. False: call `drained()` before writing more. */
  write(chunk: Buffer): boolean {
    this.#position += chunk.length;
    let rest = chunk;
    while (rest.length > 0 && !this.#inCentralDirectory && this.#failure === undefined) {
      rest = this.#entry ? this.#feedEntry(rest) : this.#feedHeader(rest);
    }
    return this.#full === undefined;
  }

  /** Resolves when the entry being inflated can take more bytes. */
  async drained(): Promise<void> {
    const full = this.#full;
    this.#full = undefined;
    if (full) await full.drained();
  }

  /** After the last byte: the streamed entries, or why the pass cannot be used. */
  async finish(): Promise<StreamedZip> {
    if (this.#failure === undefined && !this.#inCentralDirectory) {
      this.#giveUp(`the stream ended at byte ${this.#position} before a central directory`);
    }
    const entries = await Promise.all(this.#done);
    if (this.#failure !== undefined) return { ok: false, why: this.#failure };
    const complete = entries.filter((e): e is StreamedEntry => e !== undefined);
    if (complete.length !== entries.length) return { ok: false, why: 'an entry did not match its header' };
    return { ok: true, entries: complete };
  }

  /** Stops hashing (the download failed): `finish` then reports why. */
  abandon(): void {
    this.#giveUp('the download failed');
  }

  #giveUp(why: string): void {
    this.#failure ??= why;
    this.#entry?.abandon();
    this.#entry = undefined;
    this.#pending = [];
    this.#full = undefined;
  }

  #feedEntry(data: Buffer): Buffer {
    const take = Math.min(this.#left, data.length);
    const entry = this.#entry!;
    if (!entry.write(data.subarray(0, take))) this.#full = entry;
    this.#left -= take;
    if (this.#left === 0) {
      this.#done.push(entry.end());
      this.#entry = undefined;
    }
    return data.subarray(take);
  }

  #feedHeader(data: Buffer): Buffer {
    const start = this.#position - data.length - this.#pendingBytes;
    const buf = this.#pendingBytes > 0 ? Buffer.concat([...this.#pending, data]) : data;
    if (buf.length >= 4 && buf.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) {
      this.#inCentralDirectory = true; // or anything else that is not an entry: the caller compares
      return Buffer.alloc(0);
    }
    const size =
      buf.length < LOCAL_HEADER_BYTES
        ? Infinity
        : LOCAL_HEADER_BYTES + buf.readUInt16LE(26) + buf.readUInt16LE(28);
    if (buf.length < size) {
      this.#pending = [Buffer.from(buf)];
      this.#pendingBytes = buf.length;
      return Buffer.alloc(0);
    }
    this.#pending = [];
    this.#pendingBytes = 0;
    const header: Header = {
      offset: start,
      name: Buffer.from(buf.subarray(LOCAL_HEADER_BYTES, LOCAL_HEADER_BYTES + buf.readUInt16LE(26))),
      method: buf.readUInt16LE(8),
      crc32: buf.readUInt32LE(14),
      compressedSize: buf.readUInt32LE(18),
      uncompressedSize: buf.readUInt32LE(22),
    };
    const refusal = this.#refusal(header, buf.readUInt16LE(6));
    if (refusal !== undefined) {
      this.#giveUp(refusal);
      return Buffer.alloc(0);
    }
    this.#entry = new EntryHasher(header);
    this.#left = header.compressedSize;
    if (this.#left === 0) {
      this.#done.push(this.#entry.end());
      this.#entry = undefined;
    }
    return buf.subarray(size);
  }

  /** Why this local header is not one the streaming pass follows (the file pass then decides). */
  #refusal(h: Header, flags: number): string | undefined {
    if (this.#done.length >= this.#limits.maxEntries) return 'too many entries';
    if (flags & FLAG_ENCRYPTED) return 'an encrypted entry';
    if (flags & FLAG_DATA_DESCRIPTOR) return 'an entry with a data descriptor';
    if (h.compressedSize === ZIP64_MARK || h.uncompressedSize === ZIP64_MARK) return 'a zip64 entry';
    if (h.method !== 0 && h.method !== 8) return `compression method ${h.method}`;
    if (h.method === 0 && h.compressedSize !== h.uncompressedSize) return 'a stored entry with two sizes';
    this.#totalUncompressed += h.uncompressedSize;
    if (this.#totalUncompressed > this.#limits.maxTotalUncompressedBytes)
      return 'too many bytes uncompressed';
    const ratio = h.uncompressedSize / Math.max(1, h.compressedSize);
    if (
      h.uncompressedSize > this.#limits.compressionRatioMinBytes &&
      ratio > this.#limits.maxCompressionRatio
    )
      return 'an extreme compression ratio';
    return undefined;
  }
}

/**
 * One entry's content: hashed as it is (stored) or inflated (deflate). Resolves `end()` with the
 * entry, or undefined when the content does not match the header (length or CRC-32) or fails to inflate.
 */
class EntryHasher {
  readonly #header: Header;
  readonly #hash: Hash = createHash('sha256');
  #crc = 0;
  #produced = 0;
  #broken = false;
  readonly #inflate: InflateRaw | undefined;
  #gathered: Buffer[] = [];
  #gatheredBytes = 0;
  readonly #inflated: Promise<void>;

  constructor(header: Header) {
    this.#header = header;
    if (header.method === 0) {
      this.#inflate = undefined;
      this.#inflated = Promise.resolve();
      return;
    }
    // Small entries get small buffers: a zip of many tiny files must not hold 256 KiB per entry.
    const chunkSize = Math.max(64, Math.min(STEP_BYTES, header.uncompressedSize || 64));
    const inflate = createInflateRaw({ chunkSize });
    this.#inflate = inflate;
    inflate.on('data', (d: Buffer) => this.#content(d));
    this.#inflated = new Promise<void>((resolve) => {
      inflate.once('end', resolve);
      inflate.once('close', resolve);
      inflate.on('error', () => {
        this.#broken = true;
        resolve();
      });
    });
  }

  /** False when the inflater is full. */
  write(data: Buffer): boolean {
    if (this.#broken) return true;
    if (!this.#inflate) {
      this.#content(data);
      return true;
    }
    this.#gathered.push(data);
    this.#gatheredBytes += data.length;
    return this.#gatheredBytes >= STEP_BYTES ? this.#flush() : true;
  }

  drained(): Promise<void> {
    const inflate = this.#inflate;
    if (!inflate || !inflate.writableNeedDrain || this.#broken) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const go = (): void => {
        for (const event of ['drain', 'close', 'error']) inflate.off(event, go);
        resolve();
      };
      for (const event of ['drain', 'close', 'error']) inflate.on(event, go);
    });
  }

  async end(): Promise<StreamedEntry | undefined> {
    if (this.#inflate && !this.#broken) {
      this.#flush();
      this.#inflate.end();
    }
    await this.#inflated;
    const h = this.#header;
    if (this.#broken || this.#produced !== h.uncompressedSize || this.#crc !== h.crc32 >>> 0)
      return undefined;
    return { ...h, sha256: this.#hash.digest('hex') };
  }

  abandon(): void {
    this.#broken = true;
    this.#inflate?.destroy();
  }

  #flush(): boolean {
    if (this.#gatheredBytes === 0) return true;
    const input =
      this.#gathered.length === 1 ? this.#gathered[0]! : Buffer.concat(this.#gathered, this.#gatheredBytes);
    this.#gathered = [];
    this.#gatheredBytes = 0;
    return this.#inflate!.write(input);
  }

  #content(data: Buffer): void {
    if (this.#broken) return;
    this.#produced += data.length;
    // More output than the header declares: a bomb or a lie. Stop inflating at once.
    if (this.#produced > this.#header.uncompressedSize) return this.abandon();
    this.#hash.update(data);
    this.#crc = crc32(data, this.#crc);
  }
}
