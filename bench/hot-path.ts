/**
 * `node --import tsx bench/hot-path.ts [ZIP...] [--copies N]`: where a cold build's CPU goes.
 * On real provider-sized zips (default: the largest archives the fixture registry cached) it times
 * the product's own verification steps (src/verify: sha256File, hashZip) alone, then `--copies`
 * hashZips at once on the main thread (as the engine runs them today) versus one per worker
 * thread, and how long the main thread's event loop is blocked meanwhile (what in-flight downloads
 * on the same thread would suffer); then the same bytes in small and large steps (inflate output,
 * file writes, file reads: each step is a thread-pool round trip through the JS thread). Prints a table.
 */
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance as perf } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { defaultArchiveCacheDir } from '../test/support/fixture-registry/archive-build.ts';
import { hashZip } from '../src/verify/h1.ts';
import { sha256File } from '../src/verify/zh.ts';
import { firstEntryData, inflateWithSteps, sha256WithReads, writeInSteps } from './lib/io-steps.ts';
import { mainThreadCpuSeconds } from './lib/proc.ts';
import { formatTable } from './lib/table.ts';
import { tsWorker } from './lib/ts-worker.ts';
import { ZipStream } from './lib/zip-stream.ts';

interface Timed {
  readonly wall: number;
  readonly cpu: number;
  readonly mainCpu: number;
  readonly loopMaxMs: number;
  readonly loopP99Ms: number;
  readonly elu: number;
}

/** Runs `work`, measuring wall and process CPU seconds, event-loop delay and utilisation. */
async function timed(work: () => Promise<unknown>): Promise<Timed> {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const elu0 = perf.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuSeconds() ?? 0;
  const t0 = performance.now();
  await work();
  const mainCpu = (mainThreadCpuSeconds() ?? 0) - main0;
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const elu = perf.eventLoopUtilization(elu0).utilization;
  delay.disable();
  return {
    wall,
    cpu: (cpu.user + cpu.system) / 1e6,
    mainCpu,
    loopMaxMs: delay.max / 1e6,
    loopP99Ms: delay.percentile(99) / 1e6,
    elu,
  };
}

/** The cold set's biggest archives (~100 MB: the "aws" of each platform), one per size. */
function largestCachedZips(n: number): string[] {
  const dir = defaultArchiveCacheDir();
  const bySize = new Map<number, string>();
  for (const f of readdirSync(dir).filter((name) => name.endsWith('.zip'))) {
    const size = statSync(path.join(dir, f)).size;
    if (size > 50e6 && size < 150e6) bySize.set(size, path.join(dir, f));
  }
  return [...bySize.entries()]
    .sort((a, b) => b[0] - a[0])
    .slice(0, n)
    .map(([, f]) => f);
}

async function streamHash(file: string): Promise<void> {
  const z = new ZipStream();
  for await (const chunk of createReadStream(file)) z.write(chunk as Buffer);
  await Promise.all(z.entries);
}

function workerPool(size: number): {
  run(paths: string[]): Promise<void>;
  close(): Promise<void>;
  ready: Promise<void>;
} {
  const file = path.join(import.meta.dirname, 'lib/hash-worker.ts');
  const workers = Array.from({ length: size }, () => tsWorker(file));
  const ready = Promise.all(workers.map((w) => new Promise((r) => w.once('message', r)))).then(
    () => undefined,
  );
  const run = (paths: string[]) =>
    Promise.all(
      paths.map(
        (p, i) =>
          new Promise<void>((resolve, reject) => {
            const w = workers[i % size]!;
            const onMessage = (m: { id: number; error?: string }) => {
              if (m.id !== i) return;
              w.off('message', onMessage);
              if (m.error) reject(new Error(m.error));
              else resolve();
            };
            w.on('message', onMessage);
            w.postMessage({ id: i, path: p });
          }),
      ),
    ).then(() => undefined);
  return { run, ready, close: async () => void (await Promise.all(workers.map((w) => w.terminate()))) };
}

/** The same bytes in small and large steps: inflate output, file writes, file reads. */
async function ioSteps(zip: string, totalMb: number, add: (what: string, mb: number, t: Timed) => void) {
  const data = firstEntryData(zip);
  const mb = data.length / 1e6;
  for (const kib of [16, 256, 1024]) {
    const label = `inflate the ${mb.toFixed(0)} MB entry, ${kib} KiB output steps${kib === 16 ? ' (zlib default, yauzl)' : ''}`;
    add(label, mb, await timed(() => inflateWithSteps(data, kib * 1024)));
  }
  const file = path.join(tmpdir(), `repoxy-hot-path-${process.pid}.bin`);
  for (const kib of [16, 256]) {
    const label = `write ${totalMb.toFixed(0)} MB to a file in ${kib} KiB writes${kib === 16 ? ' (TLS records, as streamBodyToFile)' : ''}`;
    add(label, totalMb, await timed(() => writeInSteps(file, totalMb * 1e6, kib * 1024)));
  }
  for (const kib of [64, 1024]) {
    const label = `sha256 of one zip, ${kib} KiB reads${kib === 64 ? ' (sha256File today)' : ''}`;
    add(label, statSync(zip).size / 1e6, await timed(() => sha256WithReads(zip, kib * 1024)));
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { copies: { type: 'string' } },
  });
  const copies = Number(values.copies ?? 3);
  const zips = positionals.length ? positionals : largestCachedZips(copies);
  if (zips.length === 0) throw new Error('no zips: run `npm run bench` once (it caches them) or name some');
  const one = zips[0]!;
  const mbOf = (f: string) => statSync(f).size / 1e6;
  const total = zips.reduce((n, f) => n + mbOf(f), 0);
  const rows: string[][] = [];
  const add = (what: string, mb: number, t: Timed) =>
    rows.push([
      what,
      `${t.wall.toFixed(2)} s`,
      `${(mb / t.wall).toFixed(0)} MB/s`,
      `${t.cpu.toFixed(2)} s`,
      `${t.mainCpu.toFixed(2)} s`,
      `${t.elu.toFixed(2)}`,
      `${t.loopP99Ms.toFixed(0)} / ${t.loopMaxMs.toFixed(0)} ms`,
    ]);
  await sha256File(one); // warm the page cache
  add(`sha256File, one ${mbOf(one).toFixed(0)} MB zip`, mbOf(one), await timed(() => sha256File(one)));
  add(`hashZip (src/verify/h1.ts), one zip`, mbOf(one), await timed(() => hashZip(one)));
  add(
    `streaming local-header hash (bench ZipStream), one zip`,
    mbOf(one),
    await timed(() => streamHash(one)),
  );
  add(
    `hashZip × ${zips.length} at once, main thread (as today)`,
    total,
    await timed(() => Promise.all(zips.map((z) => hashZip(z)))),
  );
  const pool = workerPool(Math.min(zips.length, availableParallelism()));
  await pool.ready;
  add(
    `hashZip × ${zips.length} at once, ${Math.min(zips.length, availableParallelism())} worker threads`,
    total,
    await timed(() => pool.run(zips)),
  );
  await pool.close();
  await ioSteps(one, total, add);
  process.stdout.write(
    `hot path on ${availableParallelism()} cores, node ${process.version}; MB/s of zip (or written) bytes; CPU = process user+sys (all threads); JS thread = the main thread\n\n`,
  );
  process.stdout.write(
    `${formatTable(['step', 'wall', 'MB/s', 'CPU', 'JS thread CPU', 'JS thread ELU', 'loop delay p99 / max'], rows)}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`hot-path: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
