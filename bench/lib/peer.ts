import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveTofu, tofuEnv, type Tofu } from '../../test/e2e/support/tofu.ts';
import { assertOk, runMeasured } from './proc.ts';
import type { BenchRegistry } from './registry.ts';
import type { BenchProvider } from './workload.ts';

/** One `tofu providers mirror` run. */
export interface PeerRun {
  readonly seconds: number;
  readonly peakRssMb: number | null;
  readonly cpuSeconds: number | null;
  readonly version: string;
}

/** The real client (TOFU_BIN, or scripts/build-tofu.sh's cached build). */
export function findTofu(): Promise<Tofu> {
  return resolveTofu();
}

/**
 * Runs `tofu providers mirror -platform=… OUT` in a root module requiring `providers` at their
 * exact versions, next to the cold lock file, with CLI `host` blocks sending every provider host
 * to the fixture registry and its CA as the only trusted root.
 */
export async function runPeer(
  tofu: Tofu,
  registry: BenchRegistry,
  providers: readonly BenchProvider[],
  platforms: readonly string[],
  dir: string,
): Promise<PeerRun> {
  const configDir = path.join(dir, 'config');
  const home = path.join(dir, 'home');
  await mkdir(configDir, { recursive: true });
  await mkdir(home, { recursive: true });
  await writeFile(path.join(configDir, 'main.tf'), rootModule(providers));
  await copyFile(registry.coldLock, path.join(configDir, '.terraform.lock.hcl'));
  const cliConfigFile = path.join(dir, 'cli.tfrc');
  const hosts = [...new Set(providers.map((p) => p.host))].sort();
  await writeFile(cliConfigFile, hosts.map((h) => hostBlock(h, registry.providersUrl(h))).join('\n'));
  const env = tofuEnv({ home, cliConfigFile, caFile: registry.caFile });
  const args = ['providers', 'mirror', ...platforms.map((p) => `-platform=${p}`), path.join(dir, 'out')];
  const run = await runMeasured(tofu.bin, args, {
    cwd: configDir,
    env,
    timeoutMs: 600_000,
    measureRss: true,
  });
  assertOk('tofu providers mirror', run);
  const zips = (await readdir(path.join(dir, 'out'), { recursive: true })).filter((f) => f.endsWith('.zip'));
  if (zips.length !== providers.length * platforms.length) {
    throw new Error(
      `tofu providers mirror wrote ${zips.length} archives, expected ${providers.length * platforms.length}`,
    );
  }
  return {
    seconds: run.seconds,
    peakRssMb: run.peakRssMb,
    cpuSeconds: run.cpuSeconds,
    version: tofu.version,
  };
}

export function rootModule(providers: readonly BenchProvider[]): string {
  const lines = providers.map(
    (p) => `    ${p.type} = {\n      source  = "${p.address}"\n      version = "= ${p.version}"\n    }`,
  );
  return `terraform {\n  required_providers {\n${lines.join('\n')}\n  }\n}\n`;
}

export function hostBlock(host: string, providersUrl: string): string {
  return `host ${JSON.stringify(host)} {\n  services = {\n    "providers.v1" = ${JSON.stringify(providersUrl)}\n  }\n}\n`;
}
