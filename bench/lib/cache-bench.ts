/**
 * The action's cache path, measured: the bundled action (`dist/index.js`) with the real @actions/cache
 * against Azurite and the results stand-in, mirroring the bench's provider set from the in-process
 * fixture registry. Reports the bytes restored and saved per run for: a cold run, an unchanged run,
 * one provider version bumped, and 10 successive releases of the largest provider.
 */
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { actionsEnv, readOutputs } from '../../test/support/actions-env.ts';
import { runWithActionsEnv, startActionsBackends } from '../../test/support/actions-harness.ts';
import { startFixtureRegistry, type FixtureRegistry } from '../../test/support/fixture-registry.ts';
import { PLATFORMS, workload, type BenchProvider } from './workload.ts';

/** One run of the action: what the cache moved and what the store and mirror hold after it. */
export interface CacheRun {
  readonly name: string;
  readonly restoredBytes: number;
  readonly savedBytes: number;
  /** Compressed bytes the cache service received (Σ entry sizes), against what was saved. */
  readonly uploadedBytes: number;
  readonly entriesSaved: number;
  readonly storeBytes: number;
  readonly mirrorArchiveBytes: number;
  /** The bumped or released provider version's archives (its share), when there is one. */
  readonly shareBytes: number | undefined;
}

const ACTION = path.resolve(import.meta.dirname, '../../dist/index.js');
const RELEASES = 10;

/** Runs the scenarios in `dir` (sizes of the --quick workload: every figure scales with archive size). */
export async function runCacheBench(dir: string, log: (line: string) => void): Promise<CacheRun[]> {
  const load = workload(true);
  const largest = load.cold[0]!;
  const releases = Array.from({ length: RELEASES }, (_, i) => ({ ...largest, version: `6.${i}.0` }));
  const specs = [...load.specs, ...releases.map((r) => ({ ...load.specs[0]!, version: r.version }))];
  log('cache: starting the fixture registry, Azurite and the results service');
  const registry = await startFixtureRegistry({
    providers: specs,
    archiveCacheDir: path.join(dir, 'archives'),
  });
  const backends = await startActionsBackends();
  const runs: CacheRun[] = [];
  try {
    const run = runner(registry, backends, dir);
    const bumped = load.cold.map((p) => (p === load.cold[6] ? load.incremental : p));
    runs.push(await run('cold', load.cold, undefined));
    runs.push(await run('unchanged', load.cold, undefined));
    runs.push(await run('one version bumped', bumped, load.incremental));
    for (const [i, r] of releases.entries()) {
      const set = bumped.map((p) => (p === bumped[0] ? r : p));
      runs.push(await run(`release ${i + 1}/${RELEASES} of ${largest.type}`, set, r));
      log(`cache: ${runs.at(-1)!.name} done`);
    }
  } finally {
    await backends.stop();
    await registry.close();
  }
  return runs;
}

type Backends = Awaited<ReturnType<typeof startActionsBackends>>;

function runner(registry: FixtureRegistry, backends: Backends, dir: string) {
  const runnerTemp = path.join(dir, 'runner-temp');
  let n = 0;
  return async (name: string, set: readonly BenchProvider[], share: BenchProvider | undefined) => {
    const workspace = path.join(dir, `ws-${++n}`);
    await rm(runnerTemp, { recursive: true, force: true });
    await mkdir(runnerTemp, { recursive: true });
    await mkdir(workspace, { recursive: true });
    const lock = registry.lockFile(
      set.map((p) => ({ address: p.address, version: p.version })),
      'both',
    );
    await writeFile(path.join(workspace, '.terraform.lock.hcl'), lock);
    const env = {
      ...actionsEnv({ results: backends.results, workspace, temp: runnerTemp, runBackendId: `bench-${n}` }),
      INPUT_LOCKFILES: '.terraform.lock.hcl',
      INPUT_PLATFORMS: PLATFORMS.join('\n'),
      INPUT_OUTPUT: 'mirror',
      INPUT_UPSTREAMS: registry.upstreamArgs().join('\n'),
      INPUT_CACHE: 'true',
      'INPUT_KEEP-DAYS': '0',
      INPUT_PUBLISH: 'none',
    };
    const before = backends.results.caches.length;
    const r = await runWithActionsEnv({ code: `await import(${JSON.stringify(ACTION)});` }, env, {
      timeoutMs: 600_000,
    });
    if (r.code !== 0) throw new Error(`the action failed in "${name}":\n${r.stdout}\n${r.stderr}`);
    const outputs = readOutputs(env);
    const saved = backends.results.caches.slice(before);
    return {
      name,
      restoredBytes: Number(outputs['cache-bytes-restored']),
      savedBytes: Number(outputs['cache-bytes-saved']),
      uploadedBytes: saved.reduce((s, e) => s + (e.sizeBytes ?? 0), 0),
      entriesSaved: saved.length,
      storeBytes: await treeBytes(path.join(runnerTemp, 'repoxy-store')),
      mirrorArchiveBytes: await treeBytes(path.join(workspace, 'mirror'), '.zip'),
      shareBytes: share
        ? PLATFORMS.reduce((s, p) => s + registry.archive(share.address, share.version, p).size, 0)
        : undefined,
    };
  };
}

async function treeBytes(dir: string, suffix = ''): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith(suffix)) n += (await stat(path.join(e.parentPath, e.name))).size;
  }
  return n;
}

/** The figures as a table. */
export function formatCacheBench(runs: readonly CacheRun[]): string {
  const mb = (b: number | undefined) => (b === undefined ? '—' : (b / 1e6).toFixed(2));
  const rows = runs.map(
    (r) =>
      `| ${r.name} | ${mb(r.restoredBytes)} | ${mb(r.savedBytes)} | ${mb(r.uploadedBytes)} | ${r.entriesSaved} | ` +
      `${mb(r.shareBytes)} | ${mb(r.storeBytes)} | ${mb(r.mirrorArchiveBytes)} |`,
  );
  return [
    '| run | restored MB | saved MB | uploaded MB (compressed) | entries saved | bumped version MB | store MB | mirror archives MB |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
