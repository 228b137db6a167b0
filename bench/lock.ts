/**
 * `npm run bench:lock [-- --full] [-- --latency-ms 50 --mbps 30]`
 *
 * Issue 15: a monorepo of 20 stacks whose lock files are as `tofu init` writes them on linux_amd64,
 * the providers of the benchmark set spread over them, completed for 3 platforms under the network
 * model: `repoxy lock` once for all stacks, vs `tofu providers lock -platform=×3` in each stack, vs
 * the cold mirror build of the same archives. Checks that both tools wrote the same bytes. Sizes are
 * the benchmark set's divided by 20 unless --full (the machine is shared: tofu downloads 20× over).
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { spawnFixtureRegistry, type CliSpec } from '../test/support/fixture-registry.ts';
import { tofuEnv } from '../test/e2e/support/tofu.ts';
import { findTofu, hostBlock, rootModule } from './lib/peer.ts';
import { assertOk, runMeasured } from './lib/proc.ts';
import { describeMachine } from './lib/report.ts';
import { PLATFORMS, workload, type BenchProvider } from './lib/workload.ts';

const STACKS = 20;
const CLI = path.resolve(import.meta.dirname, '../dist/cli.js');
const log = (line: string) => process.stderr.write(`${line}\n`);

/** Stack i: the big provider in every other stack, three of the others spread round-robin. */
function stackProviders(cold: readonly BenchProvider[], i: number): BenchProvider[] {
  const rest = cold.slice(1);
  const picks = [i, i + 3, i + 7].map((k) => rest[k % rest.length]!);
  return [...(i % 2 === 0 ? [cold[0]!] : []), ...new Set(picks)];
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: { full: { type: 'boolean' }, 'latency-ms': { type: 'string' }, mbps: { type: 'string' } },
  });
  const model = { latencyMs: Number(v['latency-ms'] ?? 50), bytesPerSecond: Number(v.mbps ?? 30) * 1e6 };
  const load = workload(v.full !== true);
  const dir = await mkdtemp(path.join(tmpdir(), 'repoxy-bench-lock-'));
  const stacks = Array.from({ length: STACKS }, (_, i) => stackProviders(load.cold, i));
  const lockPath = (root: string, i: number) => path.join(root, `s${i}`, '.terraform.lock.hcl');
  const spec: CliSpec = {
    providers: [...load.specs],
    tls: true,
    network: model,
    lockFiles: stacks.map((ps, i) => ({
      path: lockPath(path.join(dir, 'init'), i),
      // As `tofu init` writes them for main.tf's `version = "= X"`: constraints "X".
      providers: ps.map((p) => ({
        address: p.address,
        version: p.version,
        constraints: p.version,
        platforms: ['linux_amd64'],
      })),
      hashes: 'both' as const,
    })),
  };
  await writeFile(path.join(dir, 'spec.json'), JSON.stringify(spec));
  const registry = await spawnFixtureRegistry(path.join(dir, 'spec.json'));
  try {
    const tofu = await findTofu();
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: registry.caCertFile! };
    const upstreams = registry.upstreams.flatMap((u) => ['--upstream', u]);
    const platforms = PLATFORMS.flatMap((p) => ['--platform', p]);
    await cp(path.join(dir, 'init'), path.join(dir, 'theirs'), { recursive: true });
    const repoxy = async (command: 'lock' | 'mirror', copy: string, more: string[] = []) => {
      await cp(path.join(dir, 'init'), path.join(dir, copy), { recursive: true });
      const lockfiles = ['--lockfile', path.join(dir, copy, '**/.terraform.lock.hcl')];
      const run = await runMeasured(
        process.execPath,
        [CLI, command, ...lockfiles, ...platforms, ...upstreams, '--json', ...more],
        { cwd: dir, env, timeoutMs: 3_600_000, measureRss: true },
      );
      assertOk(`repoxy ${command}`, run);
      log(`repoxy ${command} (${copy}): ${run.seconds.toFixed(1)} s`);
      return run;
    };
    log(
      `${STACKS} stacks, ${PLATFORMS.length} platforms, ${model.latencyMs} ms per request, ${v.mbps ?? 30} MB/s`,
    );
    // Two rounds, the order swapped in the second, so neither pays alone for a cold page cache.
    const ours = await repoxy('lock', 'ours');
    const mirror = await repoxy('mirror', 'mirror-1', ['--out', path.join(dir, 'out-1')]);
    const mirror2 = await repoxy('mirror', 'mirror-2', ['--out', path.join(dir, 'out-2')]);
    const ours2 = await repoxy('lock', 'ours-2');
    const cliConfigFile = path.join(dir, 'cli.tfrc');
    const hosts = [...new Set(load.cold.map((p) => p.host))].sort();
    await writeFile(
      cliConfigFile,
      hosts.map((h) => hostBlock(h, `${registry.origin}/${h}/v1/providers/`)).join('\n'),
    );
    let theirs = 0;
    for (let i = 0; i < STACKS; i++) {
      const stack = path.dirname(lockPath(path.join(dir, 'theirs'), i));
      await writeFile(path.join(stack, 'main.tf'), rootModule(stacks[i]!));
      const home = path.join(dir, 'home', String(i));
      await mkdir(home, { recursive: true });
      const tenv = tofuEnv({ home, cliConfigFile, caFile: registry.caCertFile! });
      const run = await runMeasured(
        tofu.bin,
        ['providers', 'lock', ...PLATFORMS.map((p) => `-platform=${p}`)],
        { cwd: stack, env: tenv, timeoutMs: 3_600_000 },
      );
      assertOk(`tofu providers lock in stack ${i}`, run);
      theirs += run.seconds;
      log(`tofu providers lock s${i}: ${run.seconds.toFixed(1)} s`);
    }
    for (let i = 0; i < STACKS; i++) {
      const [a, tofuText] = await Promise.all([
        readFile(lockPath(path.join(dir, 'ours'), i), 'utf8'),
        readFile(lockPath(path.join(dir, 'theirs'), i), 'utf8'),
      ]);
      const b = withoutPredecessorShim(tofuText);
      if (a !== b) {
        const at = a.split('\n').findIndex((line, k) => line !== b.split('\n')[k]);
        throw new Error(
          `stack ${i}: repoxy lock and tofu providers lock differ at line ${at + 1}:\n${a}\n----\n${b}`,
        );
      }
    }
    const doc = JSON.parse(ours.stdout) as { fetched: number; upstreamRequests: number };
    const result = {
      machine: describeMachine(),
      tofu: tofu.version,
      stacks: STACKS,
      platforms: PLATFORMS.length,
      sizes: v.full ? 'full' : 'quick (÷20)',
      oursSeconds: [ours.seconds, ours2.seconds],
      oursArchivesFetched: doc.fetched,
      oursPeakRssMb: ours.peakRssMb,
      mirrorColdSeconds: [mirror.seconds, mirror2.seconds],
      tofuSeconds: theirs,
      speedupVsTofu: theirs / Math.max(ours.seconds, ours2.seconds),
      ratioToMirror: (ours.seconds + ours2.seconds) / (mirror.seconds + mirror2.seconds),
      identicalFiles: true,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await registry.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * OpenTofu's predecessor shim (PROTOCOL.md §3): for each registry.terraform.io/hashicorp/X block,
 * `tofu providers lock` adds a registry.opentofu.org/hashicorp/X block with the same version and no
 * hashes. repoxy lock does not (the file may be Terraform's too); those blocks are left out here.
 */
function withoutPredecessorShim(text: string): string {
  return text.replace(
    /\nprovider "registry\.opentofu\.org\/hashicorp\/([^"]+)" \{\n {2}version += "[^"]+"\n(?: {2}constraints = "[^"]+"\n)?\}\n/g,
    (block: string, type: string) =>
      text.includes(`provider "registry.terraform.io/hashicorp/${type}" {`) ? '' : block,
  );
}

await main();
