/**
 * Hashes a zip while its bytes stream in: the sha256 of the whole zip (zh:) and, walking the local
 * headers as bytes arrive, the sha256 of every entry's inflated content (what h1: needs). Handles
 * the zips registries serve (sizes in the local header, stored or deflated entries); refuses data
 * descriptors. A production version must still confirm the entries against the central directory.
 */
import { createHash, type Hash } from 'node:crypto';
import { createInflateRaw, type InflateRaw } from 'node:zlib';

/**
 * Output buffer of each inflate step. zlib's default (16 KiB) makes every 16 KiB of output a round
 * trip between the thread pool and the JS thread, which costs more than the inflating itself.
 */
export const INFLATE_CHUNK_BYTES = 1024 * 1024;
const LOCAL_HEADER = 0x04034b50;
const HEADER_BYTES = 30;

/** One entry being hashed: stored entries hash directly, deflated ones through inflate. */
interface EntryHasher {
  readonly name: string;
  /** False when the inflater's buffer is full: wait for `drained()` before writing more. */
  write(data: Buffer): boolean;
  drained(): Promise<void>;
  /** Resolves with the hex sha256 of the uncompressed content. */
  end(): Promise<string>;
}

function entryHasher(name: string, method: number, chunkBytes: number): EntryHasher {
  const hash = createHash('sha256');
  if (method === 0) {
    return {
      name,
      write: (d) => (hash.update(d), true),
      drained: async () => undefined,
      end: async () => hash.digest('hex'),
    };
  }
  if (method !== 8) throw new Error(`entry ${name}: compression method ${method} is not handled`);
  const inflate: InflateRaw = createInflateRaw({ chunkSize: chunkBytes });
  inflate.on('data', (d: Buffer) => hash.update(d));
  const done = new Promise<string>((resolve, reject) => {
    inflate.once('end', () => resolve(hash.digest('hex')));
    inflate.once('error', reject);
  });
  // Input is gathered into ~1 MiB writes too: each write is one thread-pool round trip.
  let gathered: Buffer[] = [];
  let gatheredBytes = 0;
  const flush = (): boolean => {
    if (gatheredBytes === 0) return true;
    const input = gathered.length === 1 ? gathered[0]! : Buffer.concat(gathered, gatheredBytes);
    gathered = [];
    gatheredBytes = 0;
    return inflate.write(input);
  };
  return {
    name,
    write: (d) => {
      gathered.push(d);
      gatheredBytes += d.length;
      return gatheredBytes >= chunkBytes ? flush() : true;
    },
    drained: () =>
      new Promise<void>((resolve) => {
        if (!inflate.writableNeedDrain) return resolve();
        const go = () => {
          for (const e of ['drain', 'finish', 'error']) inflate.off(e, go);
          resolve();
        };
        for (const e of ['drain', 'finish', 'error']) inflate.on(e, go);
      }),
    end: () => (flush(), inflate.end(), done),
  };
}

/** One entry as streamed: where its local header starts, its sizes, its content's sha256. */
export interface StreamedEntry {
  readonly name: string;
  readonly sha256: string;
  readonly offset: number;
  readonly compressedSize: number;
  readonly method: number;
}

/** Follows a zip byte stream: local header, entry data, next header… until the central directory. */
export class ZipStream {
  /** sha256 of every byte written (undefined when constructed with `zipHash: false`). */
  readonly zip: Hash | undefined;
  readonly entries: Promise<StreamedEntry>[] = [];
  /** Bytes written so far. */
  position = 0;
  #pending: Buffer = Buffer.alloc(0);
  #entry: EntryHasher | undefined;
  #entryInfo: Omit<StreamedEntry, 'sha256'> | undefined;
  #left = 0;
  #inTail = false;
  #waitFor: EntryHasher | undefined;

  readonly #chunkBytes: number;

  /** `chunkBytes`: inflate input and output step (default INFLATE_CHUNK_BYTES). */
  constructor(options: { zipHash?: boolean; chunkBytes?: number } = {}) {
    this.#chunkBytes = options.chunkBytes ?? INFLATE_CHUNK_BYTES;
    this.zip = options.zipHash === false ? undefined : createHash('sha256');
  }

  write(chunk: Buffer): void {
    this.zip?.update(chunk);
    this.position += chunk.length;
    let rest = chunk;
    while (rest.length > 0 && !this.#inTail) {
      if (this.#entry) rest = this.#feedEntry(rest);
      else rest = this.#feedHeader(rest);
    }
  }

  /** True when the entry being inflated has a full buffer (write more after `drained()`). */
  get needsDrain(): boolean {
    return this.#waitFor !== undefined;
  }

  /** Resolves once the entry being inflated can take more (backpressure for file readers). */
  async drained(): Promise<void> {
    const waiting = this.#waitFor;
    this.#waitFor = undefined;
    if (waiting) await waiting.drained();
  }

  #feedEntry(data: Buffer): Buffer {
    const take = Math.min(this.#left, data.length);
    if (!this.#entry!.write(data.subarray(0, take))) this.#waitFor = this.#entry;
    this.#left -= take;
    if (this.#left === 0) this.#finishEntry();
    return data.subarray(take);
  }

  #finishEntry(): void {
    const entry = this.#entry!;
    const info = this.#entryInfo!;
    this.#entry = undefined;
    this.entries.push(entry.end().then((sha256) => ({ ...info, sha256 })));
  }

  #feedHeader(data: Buffer): Buffer {
    const start = this.position - data.length - this.#pending.length;
    const buf = this.#pending.length ? Buffer.concat([this.#pending, data]) : data;
    if (buf.length >= 4 && buf.readUInt32LE(0) !== LOCAL_HEADER) {
      this.#inTail = true; // central directory: no more entry data
      return Buffer.alloc(0);
    }
    if (buf.length < HEADER_BYTES) return this.#keep(buf);
    const size = HEADER_BYTES + buf.readUInt16LE(26) + buf.readUInt16LE(28);
    if (buf.length < size) return this.#keep(buf);
    if (buf.readUInt16LE(6) & 0x08) throw new Error('zips with data descriptors are not handled');
    const name = buf.subarray(HEADER_BYTES, HEADER_BYTES + buf.readUInt16LE(26)).toString('utf8');
    this.#entry = entryHasher(name, buf.readUInt16LE(8), this.#chunkBytes);
    this.#left = buf.readUInt32LE(18);
    this.#entryInfo = { name, offset: start, compressedSize: this.#left, method: buf.readUInt16LE(8) };
    this.#pending = Buffer.alloc(0);
    if (this.#left === 0) this.#finishEntry();
    return buf.subarray(size);
  }

  #keep(buf: Buffer): Buffer {
    this.#pending = Buffer.from(buf);
    return Buffer.alloc(0);
  }
}

/** Hash1 (PROTOCOL.md §4.1) of the entries: sorted `<hex>  <name>\n` lines, sha256, base64. */
export function hash1(entries: readonly { name: string; sha256: string }[]): string {
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  const h = createHash('sha256');
  for (const e of sorted) h.update(`${e.sha256}  ${e.name}\n`);
  return `h1:${h.digest('base64')}`;
}
