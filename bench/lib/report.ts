import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import type { PlanBenchResult } from './plan-bench.ts';
import { median } from './proc.ts';
import type { ScenarioFigures } from './scenario.ts';
import { formatTable, mb, ratio, secs } from './table.ts';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memory_gb: number;
  readonly node: string;
  readonly load_before: readonly number[];
}

/** The 1, 5 and 15 minute load averages now, rounded. */
export function loadAverages(): number[] {
  return loadavg().map((n) => Math.round(n * 100) / 100);
}

export function describeMachine(): Machine {
  let cpu = 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    // not Linux: the CPU model stays unknown
  }
  return {
    cpu,
    cores: availableParallelism(),
    memory_gb: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    load_before: loadAverages(),
  };
}

/** The headline figures of one scenario (medians over runs). */
export interface Headline {
  readonly cold_seconds: number;
  readonly limit_seconds: number;
  readonly cold_ratio_to_limit: number;
  readonly peer_seconds: number | null;
  readonly peer_ratio: number | null;
  readonly warm_seconds: number;
  readonly warm_upstream_requests: number;
  /** CPU seconds of the warm build (every stored archive hashed again: zh: and h1:). */
  readonly warm_cpu_seconds: number | null;
  /** Warm ÷ median cold wall time. */
  readonly warm_ratio_to_cold: number;
  /** A warm build whose lock file has no hashes (upstream metadata fetched again, no archive). */
  readonly warm_unanchored_seconds: number;
  readonly warm_unanchored_upstream_requests: number;
  readonly warm_unanchored_cpu_seconds: number | null;
  readonly incremental_seconds: number;
  readonly incremental_upstream_requests: number;
  readonly cold_upstream_requests: number;
  readonly cold_internal_seconds: number;
  readonly bytes: number;
  readonly mirror_bytes: number;
  readonly archives: number;
  readonly cold_seconds_runs: readonly number[];
  readonly limit_seconds_runs: readonly number[];
  readonly cold_peak_rss_mb: number | null;
  readonly peer_peak_rss_mb: number | null;
  /** CPU seconds (user + system), medians: our build process, the limit, the registry meanwhile. */
  readonly cold_cpu_seconds: number | null;
  readonly limit_cpu_seconds: number;
  readonly cold_server_cpu_seconds: number | null;
  readonly limit_server_cpu_seconds: number | null;
  readonly peer_cpu_seconds: number | null;
  /** From the last archive verified to the process exit (writing the mirror): median. */
  readonly cold_tail_seconds: number | null;
}

export function headline(f: ScenarioFigures): Headline {
  const cold = median(f.cold.map((r) => r.seconds));
  const limit = median(f.limit.map((r) => r.seconds));
  const peer = f.peer?.seconds ?? null;
  return {
    cold_seconds: cold,
    limit_seconds: limit,
    cold_ratio_to_limit: cold / limit,
    peer_seconds: peer,
    peer_ratio: peer === null ? null : cold / peer,
    warm_seconds: f.warm.seconds,
    warm_upstream_requests: f.warm.upstreamRequests,
    warm_cpu_seconds: f.warm.cpuSeconds,
    warm_ratio_to_cold: f.warm.seconds / cold,
    warm_unanchored_seconds: f.warmUnanchored.seconds,
    warm_unanchored_upstream_requests: f.warmUnanchored.upstreamRequests,
    warm_unanchored_cpu_seconds: f.warmUnanchored.cpuSeconds,
    incremental_seconds: f.incremental.seconds,
    incremental_upstream_requests: f.incremental.upstreamRequests,
    cold_upstream_requests: f.cold.at(-1)!.upstreamRequests,
    cold_internal_seconds: median(f.cold.map((r) => r.internalSeconds)),
    bytes: f.limit[0]!.bytes,
    mirror_bytes: f.cold.at(-1)!.bytes,
    archives: f.limit[0]!.archives,
    cold_seconds_runs: f.cold.map((r) => r.seconds),
    limit_seconds_runs: f.limit.map((r) => r.seconds),
    cold_peak_rss_mb: maxOf(f.cold.map((r) => r.peakRssMb)),
    peer_peak_rss_mb: f.peer?.peakRssMb ?? null,
    cold_cpu_seconds: medianOf(f.cold.map((r) => r.cpuSeconds)),
    limit_cpu_seconds: median(f.limit.map((r) => r.cpuSeconds)),
    cold_server_cpu_seconds: medianOf(f.cold.map((r) => r.serverCpuSeconds)),
    limit_server_cpu_seconds: medianOf(f.limit.map((r) => r.serverCpuSeconds)),
    peer_cpu_seconds: f.peer?.cpuSeconds ?? null,
    cold_tail_seconds: medianOf(
      f.cold.map((r) => (r.lastArchiveAt === null ? null : r.seconds - r.lastArchiveAt)),
    ),
  };
}

function medianOf(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length ? median(known) : null;
}

function cpu(own: number | null, server: number | null): string {
  if (own === null) return '';
  return `CPU ${own.toFixed(1)} s${server === null ? '' : ` + registry ${server.toFixed(1)} s`}`;
}

export function maxOf(values: readonly (number | null | undefined)[]): number | null {
  const known = values.filter((v): v is number => typeof v === 'number');
  return known.length ? Math.max(...known) : null;
}

/** The scenario as a table (one per network condition). */
export function formatScenario(h: Headline, runs: number): string {
  const rows: (readonly string[])[] = [
    [
      `cold build, ours (median of ${runs}; process wall time)`,
      secs(h.cold_seconds),
      `${h.cold_upstream_requests} requests; ${cpu(h.cold_cpu_seconds, h.cold_server_cpu_seconds)}`,
    ],
    [
      `limit: same bytes streamed + hashed on all cores (median of ${runs})`,
      secs(h.limit_seconds),
      `${h.archives} archives, ${mb(h.bytes)}; ${cpu(h.limit_cpu_seconds, h.limit_server_cpu_seconds)}`,
    ],
    ['**cold ÷ limit**', `**${ratio(h.cold_ratio_to_limit)}**`, 'target ≤ 1.25×'],
    [
      'peer: `tofu providers mirror`, 3 platforms',
      secs(h.peer_seconds),
      `${rss(h.peer_peak_rss_mb)}; ${cpu(h.peer_cpu_seconds, null)}`,
    ],
    [
      '**ours ÷ peer**',
      `**${ratio(h.peer_ratio)}**`,
      `target ≤ 0.20× (peer ÷ ours = ${h.peer_ratio ? ratio(1 / h.peer_ratio) : 'n/a'})`,
    ],
    [
      'warm build (same lock file, --cache-dir; every archive hashed again)',
      secs(h.warm_seconds),
      `${h.warm_upstream_requests} requests; CPU ${secs(h.warm_cpu_seconds)}; ${ratio(h.warm_ratio_to_cold)} cold (target ≤ 0.6×, 0 requests)`,
    ],
    [
      'warm build, lock file without hashes (upstream metadata fetched again)',
      secs(h.warm_unanchored_seconds),
      `${h.warm_unanchored_upstream_requests} requests; CPU ${secs(h.warm_unanchored_cpu_seconds)}`,
    ],
    [
      'incremental build (one version added)',
      secs(h.incremental_seconds),
      `${h.incremental_upstream_requests} requests`,
    ],
    ['peak RSS of the cold build', rss(h.cold_peak_rss_mb), ''],
    ['cold build: last archive verified → exit (mirror written)', secs(h.cold_tail_seconds), ''],
  ];
  return formatTable(['measure', 'value', 'notes'], rows);
}

function rss(v: number | null): string {
  return v === null ? 'n/a' : `${v.toFixed(0)} MB RSS`;
}

/** Scale: the 300 MB archive and planning 500 lock files. */
export function formatScale(
  scaleMb: number,
  scale: ScenarioFigures['scale'],
  plan: PlanBenchResult | null,
): string {
  const rows: (readonly string[])[] = [
    [
      `build of one ${scaleMb} MB archive (raw loopback): peak RSS`,
      rss(scale?.peakRssMb ?? null),
      secs(scale?.seconds),
    ],
  ];
  if (plan) {
    rows.push([
      `planning ${plan.lock_files} lock files / ${plan.provider_blocks} blocks (median of ${plan.runs})`,
      secs(plan.plan_seconds),
      `as a process: ${secs(plan.cli_seconds)}`,
    ]);
  }
  return formatTable(['scale', 'value', 'notes'], rows);
}
