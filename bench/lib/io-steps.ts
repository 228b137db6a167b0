import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';

/**
 * Work items for bench/hot-path.ts that isolate one cost: how the size of each step (inflate
 * output, file write, file read) changes what the same bytes cost. In Node every async zlib step,
 * fs write and fs read is one round trip between the thread pool and the JS thread.
 */

/** The compressed bytes of the first entry of `zip` (the provider binary), read into memory. */
export function firstEntryData(zip: string): Buffer {
  const buf = readFileSync(zip);
  const start = 30 + buf.readUInt16LE(26) + buf.readUInt16LE(28);
  return buf.subarray(start, start + buf.readUInt32LE(18));
}

/** Inflates `data` (fed 1 MiB at a time) with zlib output steps of `chunkSize`; returns output bytes. */
export async function inflateWithSteps(data: Buffer, chunkSize: number): Promise<number> {
  const inflate = createInflateRaw({ chunkSize });
  const input = Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += 1 << 20) yield data.subarray(i, i + (1 << 20));
    })(),
  );
  input.pipe(inflate);
  let out = 0;
  for await (const chunk of inflate) out += (chunk as Buffer).length;
  return out;
}

/** Writes `total` bytes to `file` through a WriteStream in `chunkSize` writes, then removes it. */
export async function writeInSteps(file: string, total: number, chunkSize: number): Promise<void> {
  const chunk = Buffer.alloc(chunkSize, 0x5a);
  const stream = createWriteStream(file);
  for (let n = 0; n < total; n += chunkSize) if (!stream.write(chunk)) await once(stream, 'drain');
  stream.end();
  await once(stream, 'finish');
  await rm(file, { force: true });
}

/** sha256 of `file` read with `highWaterMark`-sized reads (sha256File in src uses the 64 KiB default). */
export async function sha256WithReads(file: string, highWaterMark: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
