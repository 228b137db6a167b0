/**
 * `npm run bench [-- --quick] [-- --json] [-- --latency-ms 50 --mbps 30] [-- --runs N] [-- --no-peer]
 *  [-- --no-raw] [-- --cli dist/cli.js] [-- --concurrency N]`
 *
 * Mirrors a realistic provider set from the fixture registry (its own process, TLS on loopback)
 * with our bundled CLI and with `tofu providers mirror`, next to the physical limit of the machine,
 * first under a network model (latency per request, throughput per connection), then raw. With
 * --json the LAST stdout line is one JSON object (see the keys in `summary`).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NetworkModel } from '../test/support/fixture-registry.ts';
import { parseBenchArgs, type BenchArgs } from './lib/args.ts';
import { formatCacheBench, runCacheBench } from './lib/cache-bench.ts';
import { findTofu } from './lib/peer.ts';
import { formatPlanBench, runPlanBench, type PlanBenchResult } from './lib/plan-bench.ts';
import { startBenchRegistry } from './lib/registry.ts';
import {
  describeMachine,
  formatScale,
  formatScenario,
  headline,
  loadAverages,
  maxOf,
  type Headline,
} from './lib/report.ts';
import { runScenario, type ScenarioFigures } from './lib/scenario.ts';
import { mb } from './lib/table.ts';
import { workload, type Workload } from './lib/workload.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);
const BUNDLED_CLI = path.resolve(import.meta.dirname, '../dist/cli.js');

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  if (!existsSync(args.cli)) throw new Error(`${args.cli} does not exist: run \`npm run build\` first`);
  const machine = describeMachine();
  const load = workload(args.quick);
  const model: NetworkModel = { latencyMs: args.latencyMs, bytesPerSecond: args.mbps * 1e6 };
  const tofu = args.peer ? await findTofu() : undefined;
  const started = performance.now();
  const dir = await mkdtemp(path.join(tmpdir(), 'repoxy-bench-'));
  try {
    log(`model: ${args.latencyMs} ms per request, ${args.mbps} MB/s per connection`);
    const modelled = await scenario(args, load, dir, model, tofu, false);
    const raw = args.raw ? await scenario(args, load, dir, undefined, tofu, true) : undefined;
    log('planning 500 lock files');
    // The bundled CLI plans (a prototype --cli may only mirror).
    const plan = await runPlanBench({ files: 500, blocks: 1000, runs: args.quick ? 3 : 7, cli: BUNDLED_CLI });
    const cacheRuns = await runCacheBench(path.join(dir, 'cache'), log);
    const seconds = (performance.now() - started) / 1000;
    const cacheTable = `Cache path (bundled action, real @actions/cache):\n\n${formatCacheBench(cacheRuns)}\n`;
    print(args, load, machine, modelled, raw, plan, seconds, cacheTable);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function scenario(
  args: BenchArgs,
  load: Workload,
  root: string,
  network: NetworkModel | undefined,
  tofu: Awaited<ReturnType<typeof findTofu>> | undefined,
  withScale: boolean,
): Promise<ScenarioFigures> {
  const name = network ? 'model' : 'raw';
  log(`${name}: starting the fixture registry (archives are generated once, then cached)`);
  const dir = path.join(root, name);
  const registry = await startBenchRegistry(load, dir, network);
  try {
    return await runScenario({
      registry,
      load,
      dir,
      runs: args.runs,
      target: { cli: args.cli, nodeArgs: args.nodeArgs, concurrency: args.concurrency },
      tofu,
      withScale,
      log,
    });
  } finally {
    await registry.stop();
  }
}

function print(
  args: BenchArgs,
  load: Workload,
  machine: ReturnType<typeof describeMachine>,
  modelled: ScenarioFigures,
  raw: ScenarioFigures | undefined,
  plan: PlanBenchResult,
  seconds: number,
  cacheTable: string,
): void {
  const m = headline(modelled);
  const r = raw ? headline(raw) : undefined;
  const out = (s: string) => process.stdout.write(`${s}\n`);
  out(
    `repoxy benchmark${args.quick ? ' (--quick)' : ''}: ${machine.cpu}, ${machine.cores} cores, ${machine.memory_gb} GB, node ${machine.node}, load ${machine.load_before.join(' ')}`,
  );
  out(
    `cold set: ${load.cold.length} providers × 3 platforms = ${m.archives} archives, ${mb(m.bytes)}; CLI: ${args.cli}\n`,
  );
  out(`Under the network model (${args.latencyMs} ms per request, ${args.mbps} MB/s per connection):\n`);
  out(`${formatScenario(m, args.runs)}\n`);
  if (r) out(`Raw loopback (no model):\n\n${formatScenario(r, args.runs)}\n`);
  out(`Scale:\n\n${formatScale(load.scaleNominalMb, raw?.scale ?? modelled.scale, plan)}\n`);
  out(`Planning detail:\n\n${formatPlanBench(plan)}\n`);
  out(cacheTable);
  const summary = summarize(args, load, { m, r, modelled, raw }, plan, machine, seconds);
  out(targetsLine(summary));
  if (args.json) out(JSON.stringify(summary));
}

function summarize(
  args: BenchArgs,
  load: Workload,
  figures: {
    m: Headline;
    r: Headline | undefined;
    modelled: ScenarioFigures;
    raw: ScenarioFigures | undefined;
  },
  plan: PlanBenchResult,
  machine: ReturnType<typeof describeMachine>,
  seconds: number,
) {
  const { m, r, modelled, raw } = figures;
  const scale = raw?.scale ?? modelled.scale;
  const all = [
    ...modelled.cold,
    modelled.warm,
    modelled.warmUnanchored,
    modelled.incremental,
    ...(raw ? [...raw.cold, raw.warm, raw.warmUnanchored, raw.incremental] : []),
    scale,
  ];
  const peakRss = maxOf(all.map((x) => x?.peakRssMb));
  return {
    ...m,
    peak_rss_mb: peakRss,
    scale_archive_mb: scale ? load.scaleNominalMb : null,
    scale_peak_rss_mb: scale?.peakRssMb ?? null,
    scale_seconds: scale?.seconds ?? null,
    plan_seconds: plan.plan_seconds,
    plan_cli_seconds: plan.cli_seconds,
    model: { latency_ms: args.latencyMs, mbps_per_connection: args.mbps },
    raw: r ?? null,
    quick: args.quick,
    runs: args.runs,
    machine,
    load_after: loadAverages(),
    bench_seconds: seconds,
    targets: {
      cold_ratio_to_limit_le_1_25: m.cold_ratio_to_limit <= 1.25,
      peer_ratio_le_0_2: m.peer_ratio !== null && m.peer_ratio <= 0.2,
      warm_le_2s_0_requests: m.warm_seconds <= 2 && m.warm_upstream_requests === 0,
      warm_le_0_6_cold_0_requests: m.warm_ratio_to_cold <= 0.6 && m.warm_upstream_requests === 0,
      peak_rss_lt_200mb: peakRss !== null && peakRss < 200,
    },
  };
}

function targetsLine(s: ReturnType<typeof summarize>): string {
  const mark = (ok: boolean) => (ok ? 'met' : 'MISSED');
  const t = s.targets;
  return [
    'Targets (under the model):',
    `  cold ≤ 1.25× limit: ${s.cold_ratio_to_limit.toFixed(2)}× — ${mark(t.cold_ratio_to_limit_le_1_25)}`,
    `  ≥ 5× faster than tofu providers mirror: ${s.peer_ratio === null ? 'n/a' : `${(1 / s.peer_ratio).toFixed(1)}×`} — ${mark(t.peer_ratio_le_0_2)}`,
    `  warm ≤ 2 s with 0 requests: ${s.warm_seconds.toFixed(2)} s, ${s.warm_upstream_requests} requests — ${mark(t.warm_le_2s_0_requests)}`,
    `  warm ≤ 0.6× cold with 0 requests (verification on): ${s.warm_ratio_to_cold.toFixed(2)}×, CPU ${s.warm_cpu_seconds?.toFixed(1) ?? 'n/a'} s — ${mark(t.warm_le_0_6_cold_0_requests)}`,
    `  peak RSS < 200 MB: ${s.peak_rss_mb?.toFixed(0) ?? 'n/a'} MB — ${mark(t.peak_rss_lt_200mb)}`,
  ].join('\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
