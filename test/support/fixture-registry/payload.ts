import { createReadStream } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A response body of known length that can be streamed from any offset (memory or file). */
export interface Payload {
  readonly status: number;
  readonly contentType: string;
  readonly length: number;
  /** Bytes [start, end) of the body. */
  open(start: number, end: number): Readable;
}

/** A JSON document (`Content-Type: application/json`, PROTOCOL.md §2.1). */
export function jsonPayload(doc: object, status = 200): Payload {
  return bufferPayload(Buffer.from(JSON.stringify(doc)), 'application/json', status);
}

export function bufferPayload(body: Buffer, contentType: string, status = 200): Payload {
  return {
    status,
    contentType,
    length: body.length,
    open: (start, end) => Readable.from([body.subarray(start, end)]),
  };
}

/** A file served from disk (big archives): never loaded into memory. */
export function filePayload(path: string, length: number, contentType: string): Payload {
  return {
    status: 200,
    contentType,
    length,
    open: (start, end) => (end > start ? createReadStream(path, { start, end: end - 1 }) : Readable.from([])),
  };
}

/**
 * A valid JSON document padded with whitespace to `totalBytes` (the 'huge-json' fault): a client
 * without a body limit would parse it fine after reading all of it.
 */
export function hugeJsonPayload(doc: object, totalBytes: number): Payload {
  const text = Buffer.from(JSON.stringify(doc));
  const head = text.subarray(0, text.length - 1);
  const tail = text.subarray(text.length - 1);
  const padding = Math.max(0, totalBytes - text.length);
  const length = text.length + padding;
  return {
    status: 200,
    contentType: 'application/json',
    length,
    open: (start, end) => Readable.from(paddedChunks(head, padding, tail)).pipe(sliceStream(start, end)),
  };
}

function* paddedChunks(head: Buffer, padding: number, tail: Buffer): Generator<Buffer> {
  yield head;
  const spaces = Buffer.alloc(64 * 1024, 0x20);
  for (let left = padding; left > 0; left -= spaces.length)
    yield spaces.subarray(0, Math.min(left, spaces.length));
  yield tail;
}

/** Passes bytes [start, end) of the stream through. */
function sliceStream(start: number, end: number): Transform {
  let position = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const from = Math.max(start - position, 0);
      const to = Math.min(end - position, chunk.length);
      position += chunk.length;
      done(null, to > from ? chunk.subarray(from, to) : undefined);
    },
  });
}

/** XORs the byte at `offset` of the stream with 0xff (the 'corrupt' fault: same length). */
export function flipByteAt(offset: number): Transform {
  let position = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (offset >= position && offset < position + chunk.length) {
        const copy = Buffer.from(chunk);
        copy[offset - position]! ^= 0xff;
        chunk = copy;
      }
      position += chunk.length;
      done(null, chunk);
    },
  });
}

/** Headers every response carries. */
export function baseHeaders(payload: Payload, contentLength: number): Record<string, string | number> {
  return { 'Content-Type': payload.contentType, 'Content-Length': contentLength };
}

/** Streams `payload` fully, with its exact Content-Length; a client abort is not an error here. */
export async function sendPayload(res: ServerResponse, payload: Payload, head: boolean): Promise<void> {
  res.writeHead(payload.status, baseHeaders(payload, payload.length));
  if (head) return void res.end();
  await pipeline(payload.open(0, payload.length), res).catch(() => undefined);
}
