import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { tsWorker } from './ts-worker.ts';
import type { StreamedEntry } from './zip-stream.ts';

/** What a worker found in one streamed zip. */
export interface HashedZip {
  /** sha256 of the whole zip (absent when started with `zipHash: false`). */
  readonly sha256: string | undefined;
  readonly h1: string;
  readonly entries: readonly StreamedEntry[];
}

/** One zip being fed to a worker. */
export interface HashJob {
  /** Sends a chunk (copied: the caller may keep using it). Send ~1 MiB at a time. */
  chunk(data: Buffer): void;
  end(): Promise<HashedZip>;
}

type Reply = { id: number; sha256?: string; h1?: string; entries?: StreamedEntry[]; error?: string };

/**
 * Worker threads (default: one per core) hashing zips while they stream in (limit-worker.ts):
 * each zip goes to one worker, round-robin. `close()` terminates them.
 */
export class HashPool {
  readonly size: number;
  /** Resolves when every worker has loaded its code. */
  readonly ready: Promise<unknown>;
  readonly #workers: Worker[];
  readonly #waiting = new Map<number, (r: Reply) => void>();
  /** Jobs in flight per worker: a worker keeps the process alive only while it has some. */
  readonly #busy: number[];
  #next = 0;

  constructor(size = availableParallelism()) {
    this.size = size;
    this.#busy = Array.from({ length: size }, () => 0);
    const file = path.join(import.meta.dirname, 'limit-worker.ts');
    this.#workers = Array.from({ length: size }, () => {
      const w = tsWorker(file);
      w.on('message', (m: Reply) => {
        this.#waiting.get(m.id)?.(m);
        this.#waiting.delete(m.id);
      });
      w.unref();
      return w;
    });
    this.ready = Promise.all(this.#workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
  }

  start(options: { zipHash?: boolean } = {}): HashJob {
    const id = this.#next++;
    const index = id % this.size;
    const worker = this.#workers[index]!;
    if (this.#busy[index]!++ === 0) worker.ref();
    const settle = () => {
      if (--this.#busy[index]! === 0) worker.unref();
    };
    worker.postMessage({ kind: 'start', id, zipHash: options.zipHash !== false });
    return {
      // Structured clone copies the chunk: the original may still be being written to a file.
      chunk: (data) => worker.postMessage({ kind: 'chunk', id, data }),
      end: () =>
        new Promise((resolve, reject) => {
          this.#waiting.set(id, (m) => {
            settle();
            if (m.error || !m.h1 || !m.entries) reject(new Error(`hash worker: ${m.error ?? 'no result'}`));
            else resolve({ sha256: m.sha256, h1: m.h1, entries: m.entries });
          });
          worker.postMessage({ kind: 'end', id });
        }),
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
