import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Tofu } from '../../test/e2e/support/tofu.ts';
import { archiveTargets, measureLimit, type LimitRun } from './limit.ts';
import { runOurs, type OurRun, type OurRunOptions } from './ours.ts';
import { runPeer, type PeerRun } from './peer.ts';
import { processCpuSeconds } from './proc.ts';
import type { BenchRegistry } from './registry.ts';
import { PLATFORMS, type Workload } from './workload.ts';

/** How to run our CLI (see OurRunOptions). */
export interface CliTarget {
  readonly cli: string;
  readonly nodeArgs: readonly string[];
  readonly concurrency: number | undefined;
}

/** Every figure measured against one registry (one network model, or raw loopback). */
export interface ScenarioFigures {
  readonly limit: readonly Served<LimitRun>[];
  readonly cold: readonly Served<OurRun>[];
  readonly warm: OurRun;
  /** A warm build whose lock file records no hashes: every archive anchored by upstream metadata. */
  readonly warmUnanchored: OurRun;
  readonly incremental: OurRun;
  readonly peer: PeerRun | null;
  readonly scale: OurRun | null;
}

export interface ScenarioOptions {
  readonly registry: BenchRegistry;
  readonly load: Workload;
  readonly dir: string;
  readonly runs: number;
  readonly target: CliTarget;
  /** Undefined skips the peer. */
  readonly tofu: Tofu | undefined;
  readonly withScale: boolean;
  readonly log: (line: string) => void;
}

const RUN_TIMEOUT_MS = 5 * 60_000;

/**
 * Limit and cold build alternate `runs` times (each cold build with a fresh cache); then, on the
 * last cold build's cache, a warm build (same lock file) and an incremental one (one version more);
 * then the peer, then (optionally) the 300 MB scale build. Removes every output it wrote.
 */
export async function runScenario(o: ScenarioOptions): Promise<ScenarioFigures> {
  const { registry, load, dir, log } = o;
  const targets = await archiveTargets(registry, load.cold);
  const server = <T>(work: () => Promise<T>) => withServerCpu(registry.process.pid, work);
  const limit: Served<LimitRun>[] = [];
  const cold: Served<OurRun>[] = [];
  const cacheDir = (i: number) => path.join(dir, `cache-${i}`);
  for (let i = 0; i < o.runs; i++) {
    limit.push(await server(() => measureLimit(registry, targets, path.join(dir, 'limit'))));
    log(`  limit #${i + 1}: ${describeRun(limit.at(-1)!)}`);
    if (i > 0) await rm(cacheDir(i - 1), { recursive: true, force: true });
    cold.push(await server(() => ours(o, [registry.coldLock], cacheDir(i), path.join(dir, 'out-cold'))));
    log(`  cold  #${i + 1}: ${describeRun(cold.at(-1)!)}, ${cold.at(-1)!.upstreamRequests} requests`);
  }
  const expected = load.cold.length * PLATFORMS.length;
  for (const r of cold) expectArchives('cold', r, expected, expected);
  const cache = cacheDir(o.runs - 1);
  const warm = await server(() => ours(o, [registry.coldLock], cache, path.join(dir, 'out-warm')));
  expectArchives('warm', warm, expected, 0);
  log(`  warm: ${describeRun(warm)}, ${warm.upstreamRequests} requests`);
  const warmUnanchored = await server(() =>
    ours(o, [registry.unanchoredLock], cache, path.join(dir, 'out-warm')),
  );
  expectArchives('warm (no lock hashes)', warmUnanchored, expected, 0);
  log(`  warm, no lock hashes: ${describeRun(warmUnanchored)}, ${warmUnanchored.upstreamRequests} requests`);
  const incrementalLocks = [registry.coldLock, registry.incrementalLock];
  const incremental = await ours(o, incrementalLocks, cache, path.join(dir, 'out-incremental'));
  log(`  incremental: ${incremental.seconds.toFixed(2)} s, ${incremental.upstreamRequests} requests`);
  await rm(cache, { recursive: true, force: true });
  const peer = o.tofu ? await runPeer(o.tofu, registry, load.cold, PLATFORMS, path.join(dir, 'peer')) : null;
  if (peer) log(`  peer (tofu providers mirror): ${peer.seconds.toFixed(2)} s`);
  await rm(path.join(dir, 'peer'), { recursive: true, force: true });
  const scale = o.withScale
    ? await ours(o, [registry.scaleLock], path.join(dir, 'cache-scale'), path.join(dir, 'out-scale'), [
        'linux_amd64',
      ])
    : null;
  if (scale) log(`  scale (${load.scaleNominalMb} MB archive): peak RSS ${scale.peakRssMb?.toFixed(0)} MB`);
  await rm(path.join(dir, 'cache-scale'), { recursive: true, force: true });
  return { limit, cold, warm, warmUnanchored, incremental, peer, scale };
}

/** Throws unless the build mirrored `archives` archives, `fetched` of them from upstream. */
function expectArchives(what: string, r: OurRun, archives: number, fetched: number): void {
  if (r.archives !== archives || r.fetched !== fetched) {
    throw new Error(
      `${what} build: ${r.archives} archives (${r.fetched} fetched), expected ${archives} (${fetched})`,
    );
  }
}

/** A run and the CPU seconds the registry process spent serving it. */
export type Served<T> = T & { readonly serverCpuSeconds: number | null };

async function withServerCpu<T>(pid: number, work: () => Promise<T>): Promise<Served<T>> {
  const before = processCpuSeconds(pid);
  const result = await work();
  const after = processCpuSeconds(pid);
  return { ...result, serverCpuSeconds: before === null || after === null ? null : after - before };
}

function describeRun(r: Served<{ seconds: number; cpuSeconds: number | null }>): string {
  const cpu =
    r.cpuSeconds === null
      ? ''
      : `, CPU ${r.cpuSeconds.toFixed(1)} s + registry ${r.serverCpuSeconds?.toFixed(1)} s`;
  return `${r.seconds.toFixed(2)} s${cpu}`;
}

async function ours(
  o: ScenarioOptions,
  lockfiles: readonly string[],
  cacheDir: string,
  out: string,
  platforms: readonly string[] = PLATFORMS,
): Promise<OurRun> {
  const options: OurRunOptions = {
    cli: o.target.cli,
    nodeArgs: o.target.nodeArgs,
    lockfiles,
    platforms,
    upstreams: o.registry.upstreams,
    out,
    cacheDir,
    caFile: o.registry.caFile,
    concurrency: o.target.concurrency,
    timeoutMs: RUN_TIMEOUT_MS,
  };
  try {
    return await runOurs(options);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
