import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { RepoxyError } from '../domain/errors.ts';

/**
 * Lower-case hex sha256 of a file's bytes, streamed (memory does not grow with the file).
 * This is the value behind `zh:` (PROTOCOL.md §4.2). Throws IO when the file cannot be read.
 */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    // 1 MiB reads: each read is a thread-pool round trip; 64 KiB reads cost twice the time (BENCHMARKS.md).
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }))
      hash.update(chunk as Buffer);
  } catch (cause) {
    throw new RepoxyError('IO', `cannot read ${path} to compute its sha256: ${(cause as Error).message}`, {
      cause,
    });
  }
  return hash.digest('hex');
}
