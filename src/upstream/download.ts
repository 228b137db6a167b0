import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { RepoxyError } from '../domain/errors.ts';
import { AttemptFailure } from './http-failures.ts';

/** Limits of one response body. `declaredLength` is the response's Content-Length, if any. */
export interface BodyLimits {
  readonly url: string;
  readonly maxBytes: number;
  readonly declaredLength: number | undefined;
}

/** Throws UPSTREAM_TOO_LARGE before reading when Content-Length already exceeds the limit. */
export function checkDeclaredLength(limits: BodyLimits): void {
  if (limits.declaredLength !== undefined && limits.declaredLength > limits.maxBytes) {
    throw tooLarge(limits, `declares ${limits.declaredLength} bytes`);
  }
}

/** Reads the whole body into memory, stopping with UPSTREAM_TOO_LARGE past `maxBytes`. */
export async function readBodyLimited(body: Readable, limits: BodyLimits): Promise<Buffer> {
  checkDeclaredLength(limits);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limits.maxBytes) throw tooLarge(limits, 'sent more');
      chunks.push(chunk);
    }
  } catch (err) {
    body.destroy();
    throw truncatedOr(err, size, limits);
  }
  checkComplete(size, limits);
  return Buffer.concat(chunks, size);
}

/**
 * Sees every byte of a download as it is written (e.g. to hash a zip's entries on the way). `write`
 * returning false pauses the body until `drained()` resolves. One observer serves one attempt.
 */
export interface BodyObserver {
  write(chunk: Buffer): boolean;
  drained(): Promise<void>;
  /** The attempt failed: release what is held, nothing more will come. */
  abandon(): void;
}

/** Bytes per file write: TLS delivers at most 16 KiB per chunk, and every write is a thread-pool round trip. */
const WRITE_BYTES = 256 * 1024;

/**
 * Streams the body to `destPath` (truncating it), hashing while writing: memory stays constant and
 * nothing past `maxBytes` is written. The body reaches the file, and `observer` when given, in order
 * and in 256 KiB batches. Returns the size and lowercase sha256 hex.
 */
export async function streamBodyToFile(
  body: Readable,
  destPath: string,
  limits: BodyLimits,
  observer?: BodyObserver,
): Promise<{ size: number; sha256: string }> {
  checkDeclaredLength(limits);
  const hash = createHash('sha256');
  let size = 0;
  let gathered: Buffer[] = [];
  let gatheredBytes = 0;
  const batch = (): Buffer => {
    const out = gathered.length === 1 ? gathered[0]! : Buffer.concat(gathered, gatheredBytes);
    gathered = [];
    gatheredBytes = 0;
    hash.update(out);
    return out;
  };
  // The observer gets the same 256 KiB batches as the file: no second copy to gather them again.
  const pass = (out: Buffer, callback: (err?: Error | null, data?: Buffer) => void): void => {
    if (!observer || observer.write(out)) return callback(null, out);
    observer.drained().then(
      () => callback(null, out),
      (err: unknown) => callback(err as Error),
    );
  };
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (size + chunk.length > limits.maxBytes) return callback(tooLarge(limits, 'sent more'));
      size += chunk.length;
      gathered.push(chunk);
      gatheredBytes += chunk.length;
      if (gatheredBytes < WRITE_BYTES) return callback();
      pass(batch(), callback);
    },
    flush(callback) {
      if (gatheredBytes === 0) return callback();
      pass(batch(), callback);
    },
  });
  try {
    await pipeline(body, meter, createWriteStream(destPath, { flags: 'w' }));
  } catch (err) {
    observer?.abandon();
    if (isFileSystemError(err)) {
      throw new RepoxyError('IO', `cannot write ${destPath}: ${(err as Error).message}`, { cause: err });
    }
    throw truncatedOr(err, size, limits);
  }
  checkComplete(size, limits);
  return { size, sha256: hash.digest('hex') };
}

function tooLarge(limits: BodyLimits, what: string): AttemptFailure {
  const message = `GET ${limits.url}: response ${what} than the limit of ${limits.maxBytes} bytes`;
  return new AttemptFailure(new RepoxyError('UPSTREAM_TOO_LARGE', message), false);
}

/** A body that ended short of its Content-Length is a truncated transfer: worth another attempt. */
function checkComplete(size: number, limits: BodyLimits): void {
  if (limits.declaredLength !== undefined && size !== limits.declaredLength) {
    throw truncated(size, limits, undefined);
  }
}

function truncatedOr(err: unknown, size: number, limits: BodyLimits): unknown {
  if (err instanceof AttemptFailure || err instanceof RepoxyError) return err;
  // A stall keeps its own (timeout) classification; anything else short of Content-Length is truncation.
  if (String((err as { code?: unknown } | null)?.code ?? '').includes('TIMEOUT')) return err;
  if (limits.declaredLength !== undefined && size < limits.declaredLength)
    return truncated(size, limits, err);
  return err;
}

function truncated(size: number, limits: BodyLimits, cause: unknown): AttemptFailure {
  const reason = cause instanceof Error ? `: ${cause.message}` : '';
  const message =
    `GET ${limits.url}: response body ended after ${size} of ${limits.declaredLength} bytes ` +
    `(Content-Length)${reason}`;
  return new AttemptFailure(new RepoxyError('UPSTREAM_HTTP', message, { cause }), true);
}

function isFileSystemError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && typeof (err as { path?: unknown }).path === 'string';
}
