import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parsePlatform } from '../../src/domain/platform.ts';
import { readLockFiles } from '../../src/lockfile/read.ts';
import { buildPlan } from '../../src/plan/plan.ts';
import { writeSyntheticMonorepo } from './lockfiles.ts';
import { assertOk, median, runMeasured } from './proc.ts';
import { formatTable, ms } from './table.ts';

/** What `npm run bench:plan` measured. */
export interface PlanBenchResult {
  readonly lock_files: number;
  readonly provider_blocks: number;
  readonly planned_provider_versions: number;
  readonly hashes: number;
  readonly lock_bytes: number;
  readonly platforms: readonly string[];
  readonly runs: number;
  /** readLockFiles (glob + read + parse) + buildPlan, in process: median, min, max. */
  readonly plan_seconds: number;
  readonly plan_seconds_min: number;
  readonly plan_seconds_max: number;
  readonly read_seconds: number;
  readonly merge_seconds: number;
  /** `node dist/cli.js plan --json` as a child process (start-up included), median; null when skipped. */
  readonly cli_seconds: number | null;
}

export interface PlanBenchOptions {
  readonly files: number;
  readonly blocks: number;
  readonly runs: number;
  /** The bundled CLI to time as well; undefined skips it. */
  readonly cli: string | undefined;
}

const PLATFORMS = ['linux_amd64', 'darwin_arm64', 'windows_amd64'];
const GLOB = '**/.terraform.lock.hcl';

/** Generates the synthetic monorepo in a temp dir, times planning it `runs` times, removes it. */
export async function runPlanBench(options: PlanBenchOptions): Promise<PlanBenchResult> {
  const root = await mkdtemp(path.join(tmpdir(), 'repoxy-bench-plan-'));
  try {
    const repo = await writeSyntheticMonorepo(root, options);
    const reads: number[] = [];
    const merges: number[] = [];
    let planned = 0;
    for (let i = 0; i < options.runs; i++) {
      const t0 = performance.now();
      const files = await readLockFiles([GLOB], { cwd: root });
      const t1 = performance.now();
      const plan = buildPlan(files, { platforms: PLATFORMS.map(parsePlatform), include: [], exclude: [] });
      const t2 = performance.now();
      if (files.length !== repo.files)
        throw new Error(`read ${files.length} lock files, wrote ${repo.files}`);
      reads.push((t1 - t0) / 1000);
      merges.push((t2 - t1) / 1000);
      planned = plan.providers.length;
    }
    const totals = reads.map((r, i) => r + merges[i]!);
    return {
      lock_files: repo.files,
      provider_blocks: repo.blocks,
      planned_provider_versions: planned,
      hashes: repo.hashes,
      lock_bytes: repo.bytes,
      platforms: PLATFORMS,
      runs: options.runs,
      plan_seconds: median(totals),
      plan_seconds_min: Math.min(...totals),
      plan_seconds_max: Math.max(...totals),
      read_seconds: median(reads),
      merge_seconds: median(merges),
      cli_seconds: options.cli ? await timeCli(options.cli, root, Math.min(options.runs, 3)) : null,
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function timeCli(cli: string, cwd: string, runs: number): Promise<number> {
  const args = [cli, 'plan', '--lockfile', GLOB, ...PLATFORMS.flatMap((p) => ['--platform', p]), '--json'];
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const run = await runMeasured(process.execPath, args, { cwd, env: process.env, timeoutMs: 60_000 });
    assertOk('repoxy plan', run);
    times.push(run.seconds);
  }
  return median(times);
}

/** The result as a table. */
export function formatPlanBench(r: PlanBenchResult): string {
  const rows: (readonly string[])[] = [
    ['lock files', String(r.lock_files)],
    ['provider blocks', String(r.provider_blocks)],
    ['planned provider versions (deduplicated)', String(r.planned_provider_versions)],
    ['hashes read', String(r.hashes)],
    ['lock file bytes', `${(r.lock_bytes / 1024).toFixed(0)} KiB`],
    ['platforms', r.platforms.join(', ')],
    [`read + parse (median of ${r.runs})`, ms(r.read_seconds)],
    [`merge into a plan (median of ${r.runs})`, ms(r.merge_seconds)],
    [`**readLockFiles + buildPlan** (median of ${r.runs})`, `**${ms(r.plan_seconds)}**`],
    ['  min / max', `${ms(r.plan_seconds_min)} / ${ms(r.plan_seconds_max)}`],
    ['`repoxy plan --json` as a process (start-up included)', ms(r.cli_seconds)],
  ];
  return formatTable(['planning', 'value'], rows);
}
