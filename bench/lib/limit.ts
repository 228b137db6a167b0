import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent, request } from 'undici';
import type { BenchRegistry } from './registry.ts';
import { HashPool } from './hash-pool.ts';
import type { BenchProvider } from './workload.ts';

/**
 * The physical limit of a cold mirror build on this machine: the same archive bytes, from the same
 * server under the same network model, streamed to disk all at once (one connection each) while
 * worker threads on every core compute what verification needs (sha256 of the zip, inflate + sha256
 * of every entry for h1). No metadata requests, no signature check, no mirror layout: a floor.
 */

/** One archive to fetch, found (untimed) from its download document. */
export interface ArchiveTarget {
  readonly url: string;
  readonly sha256: string;
  readonly filename: string;
}

export interface LimitRun {
  readonly seconds: number;
  readonly bytes: number;
  readonly archives: number;
  readonly connections: number;
  readonly workers: number;
  /** CPU seconds this process (main thread, workers, zlib threads) spent, user + system. */
  readonly cpuSeconds: number;
}

/** The archive URLs and shasums of `providers` × `platforms` (metadata requests, not timed). */
export async function archiveTargets(
  registry: BenchRegistry,
  providers: readonly BenchProvider[],
): Promise<ArchiveTarget[]> {
  const agent = new Agent({ connect: { ca: await readFile(registry.caFile, 'utf8') } });
  try {
    const docs = providers.flatMap((p) =>
      p.platforms.map(async (platform) => {
        const [os, arch] = platform.split('_');
        const url = `${registry.providersUrl(p.host)}${p.namespace}/${p.type}/${p.version}/download/${os}/${arch}`;
        const res = await request(url, { dispatcher: agent });
        if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode}`);
        const doc = (await res.body.json()) as { download_url: string; shasum: string; filename: string };
        return { url: new URL(doc.download_url, url).href, sha256: doc.shasum, filename: doc.filename };
      }),
    );
    return await Promise.all(docs);
  } finally {
    await agent.close();
  }
}

/**
 * Streams every target at once into `dir` while the workers hash it; `connections` caps the
 * archives in flight (default: all). Checks each sha256 and that each h1 is one the lock records.
 */
export async function measureLimit(
  registry: BenchRegistry,
  targets: readonly ArchiveTarget[],
  dir: string,
  connections = targets.length,
): Promise<LimitRun> {
  await mkdir(dir, { recursive: true });
  const pool = new HashPool(availableParallelism());
  await pool.ready; // worker start-up is not part of the limit
  const agent = new Agent({ connect: { ca: await readFile(registry.caFile, 'utf8') }, pipelining: 1 });
  try {
    const queue = [...targets].sort((a, b) => a.url.localeCompare(b.url));
    let bytes = 0;
    const started = performance.now();
    const cpu0 = process.cpuUsage();
    const lane = async () => {
      for (let t = queue.shift(); t; t = queue.shift()) {
        const got = await fetchAndHash(t, agent, pool, path.join(dir, t.filename));
        if (got.sha256 !== t.sha256)
          throw new Error(`limit: ${t.filename} sha256 ${got.sha256}, expected ${t.sha256}`);
        if (!registry.lockHashes.has(got.h1))
          throw new Error(`limit: ${t.filename} ${got.h1} is not in the lock file`);
        bytes += got.bytes;
      }
    };
    await Promise.all(Array.from({ length: Math.min(connections, targets.length) }, lane));
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return { seconds, bytes, archives: targets.length, connections, workers: pool.size, cpuSeconds };
  } finally {
    await agent.close();
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function fetchAndHash(
  t: ArchiveTarget,
  agent: Agent,
  pool: HashPool,
  file: string,
): Promise<{ sha256: string; h1: string; bytes: number }> {
  const res = await request(t.url, { dispatcher: agent });
  if (res.statusCode !== 200) throw new Error(`GET ${t.url}: ${res.statusCode}`);
  const job = pool.start();
  let bytes = 0;
  await pipeline(
    res.body,
    coalesce(BATCH_BYTES),
    new Transform({
      transform(batch: Buffer, _enc, done) {
        bytes += batch.length;
        job.chunk(batch);
        done(null, batch);
      },
    }),
    createWriteStream(file),
  );
  const hashed = await job.end();
  return { sha256: hashed.sha256 ?? '', h1: hashed.h1, bytes };
}

/**
 * Gathers the socket's small chunks (a TLS record is at most 16 KiB) into `size`-byte buffers:
 * every file write and every message to a worker costs a round trip, whatever its size.
 */
function coalesce(size: number): Transform {
  let gathered: Buffer[] = [];
  let length = 0;
  const take = () => {
    const batch = Buffer.concat(gathered, length); // a fresh buffer: safe to write and to copy
    gathered = [];
    length = 0;
    return batch;
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      gathered.push(chunk);
      length += chunk.length;
      done(null, length >= size ? take() : undefined);
    },
    flush(done) {
      done(null, length > 0 ? take() : undefined);
    },
  });
}

const BATCH_BYTES = 1024 * 1024;
