/**
 * `node --import tsx bench/ab.ts [--quick] [--raw] [--runs N] [--latency-ms 50 --mbps 30]
 *   [--node-arg FLAG]… --variant NAME=CLI[:ENV=V[,ENV=V…]] …`
 * A/B of cold builds (and the limit) against one fixture registry: each round runs the limit, then
 * every variant (fresh cache each), in turn; prints the medians. CLI paths are relative to the repo;
 * a .ts CLI runs with tsx. E.g. `--variant product=src/cli/index.ts --variant proto=bench/proto/cli.ts`.
 * Also reports warm builds per variant (same cache, second run).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { archiveTargets, measureLimit } from './lib/limit.ts';
import { nodeArgsFor, runOurs, type OurRun } from './lib/ours.ts';
import { median, processCpuSeconds } from './lib/proc.ts';
import { startBenchRegistry, type BenchRegistry } from './lib/registry.ts';
import { formatTable, secs } from './lib/table.ts';
import { PLATFORMS, workload } from './lib/workload.ts';

interface Variant {
  readonly name: string;
  readonly cli: string;
  readonly env: Record<string, string>;
}

const REPO = path.resolve(import.meta.dirname, '..');

function parseVariant(text: string): Variant {
  const [name = '', rest = ''] = text.split(/=(.*)/s);
  const [cli = '', envText = ''] = rest.split(':');
  const env = Object.fromEntries(
    envText
      .split(',')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  if (!name || !cli) throw new Error(`--variant NAME=CLI[:ENV=V,…], got "${text}"`);
  return { name, cli: path.resolve(REPO, cli), env };
}

/** Extra `node` flags for every variant (--node-arg), e.g. --cpu-prof. */
const extraNodeArgs: string[] = [];

async function build(v: Variant, registry: BenchRegistry, cacheDir: string, out: string): Promise<OurRun> {
  const saved = { ...process.env };
  Object.assign(process.env, v.env); // runOurs passes this process's environment on
  try {
    return await runOurs({
      cli: v.cli,
      nodeArgs: [...extraNodeArgs, ...nodeArgsFor(v.cli)],
      lockfiles: [registry.coldLock],
      platforms: PLATFORMS,
      upstreams: registry.upstreams,
      out,
      cacheDir,
      caFile: registry.caFile,
      timeoutMs: 5 * 60_000,
    });
  } finally {
    process.env = saved;
    await rm(out, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values: o } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      raw: { type: 'boolean' },
      runs: { type: 'string' },
      'latency-ms': { type: 'string' },
      mbps: { type: 'string' },
      variant: { type: 'string', multiple: true },
      'node-arg': { type: 'string', multiple: true },
    },
  });
  const variants = (o.variant ?? []).map(parseVariant);
  extraNodeArgs.push(...(o['node-arg'] ?? []));
  if (variants.length === 0) throw new Error('name at least one --variant');
  const runs = Number(o.runs ?? 3);
  const network = o.raw
    ? undefined
    : { latencyMs: Number(o['latency-ms'] ?? 50), bytesPerSecond: Number(o.mbps ?? 30) * 1e6 };
  const load = workload(o.quick === true);
  const dir = await mkdtemp(path.join(tmpdir(), 'repoxy-ab-'));
  const registry = await startBenchRegistry(load, dir, network);
  try {
    const targets = await archiveTargets(registry, load.cold);
    const limit: number[] = [];
    const cold = new Map<string, OurRun[]>(variants.map((v) => [v.name, []]));
    const warm = new Map<string, OurRun[]>(variants.map((v) => [v.name, []]));
    for (let i = 0; i < runs; i++) {
      const serverCpu = () => processCpuSeconds(registry.process.pid) ?? 0;
      let before = serverCpu();
      const lim = await measureLimit(registry, targets, path.join(dir, 'limit'));
      limit.push(lim.seconds);
      const limCpu = `cpu ${lim.cpuSeconds.toFixed(1)} + server ${(serverCpu() - before).toFixed(1)} s`;
      process.stderr.write(`round ${i + 1}: limit ${lim.seconds.toFixed(2)} s (${limCpu})`);
      for (const v of variants) {
        const cache = path.join(dir, `cache-${v.name}`);
        before = serverCpu();
        const run = await build(v, registry, cache, path.join(dir, 'out'));
        cold.get(v.name)!.push(run);
        const cpu = `cpu ${run.cpuSeconds?.toFixed(1)} + server ${(serverCpu() - before).toFixed(1)} s`;
        process.stderr.write(`, ${v.name} ${run.seconds.toFixed(2)} s (${cpu})`);
        warm.get(v.name)!.push(await build(v, registry, cache, path.join(dir, 'out')));
        await rm(cache, { recursive: true, force: true });
      }
      process.stderr.write('\n');
    }
    const lim = median(limit);
    const rows = variants.map((v) => {
      const c = cold.get(v.name)!;
      const w = warm.get(v.name)!;
      const cs = median(c.map((r) => r.seconds));
      const tail = median(c.map((r) => r.seconds - (r.lastArchiveAt ?? r.seconds)));
      const rss = Math.max(...c.map((r) => r.peakRssMb ?? 0));
      return [
        v.name,
        secs(cs),
        `${(cs / lim).toFixed(2)}×`,
        secs(tail),
        secs(median(w.map((r) => r.seconds))),
        `${rss.toFixed(0)} MB`,
      ];
    });
    process.stdout.write(
      `${network ? `model ${network.latencyMs} ms, ${network.bytesPerSecond / 1e6} MB/s per connection` : 'raw loopback'}; limit median ${secs(lim)} (${runs} runs)\n\n`,
    );
    process.stdout.write(
      `${formatTable(['variant', 'cold (median)', 'cold ÷ limit', 'after last archive', 'warm', 'peak RSS (cold)'], rows)}\n`,
    );
  } finally {
    await registry.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`ab: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
