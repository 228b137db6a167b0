import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  spawnFixtureRegistry,
  type CliSpec,
  type FixtureRegistryProcess,
  type NetworkModel,
} from '../../test/support/fixture-registry.ts';
import type { BenchProvider, Workload } from './workload.ts';

/** A running fixture registry process and the lock files it wrote for the benchmark. */
export interface BenchRegistry {
  readonly process: FixtureRegistryProcess;
  readonly origin: string;
  readonly caFile: string;
  /** `HOST=URL` for `--upstream`. */
  readonly upstreams: readonly string[];
  /** The cold set's lock file (hashes as `tofu init` writes them), in `<dir>/cold/`. */
  readonly coldLock: string;
  readonly incrementalLock: string;
  readonly scaleLock: string;
  /** The cold set again without hashes: a warm build on it has no lock anchor (`<dir>/unanchored/`). */
  readonly unanchoredLock: string;
  /** Every hash the lock files record (to check the limit computed the same h1/zh). */
  readonly lockHashes: ReadonlySet<string>;
  /** providers.v1 URL of HOST (for tofu `host` blocks). */
  providersUrl(host: string): string;
  /** Stops the process by PID. */
  stop(): Promise<void>;
}

/**
 * Starts the fixture registry as its own process (so its CPU is not our event loop's) over TLS,
 * serving `load`, shaped by `network` when given, and writes the lock files under `dir`.
 */
export async function startBenchRegistry(
  load: Workload,
  dir: string,
  network: NetworkModel | undefined,
): Promise<BenchRegistry> {
  const coldLock = path.join(dir, 'cold', '.terraform.lock.hcl');
  const incrementalLock = path.join(dir, 'incremental', '.terraform.lock.hcl');
  const scaleLock = path.join(dir, 'scale', '.terraform.lock.hcl');
  const unanchoredLock = path.join(dir, 'unanchored', '.terraform.lock.hcl');
  const entry = (p: BenchProvider) => ({ address: p.address, version: p.version });
  const spec: CliSpec = {
    providers: [...load.specs],
    tls: true,
    ...(network ? { network } : {}),
    lockFiles: [
      { path: coldLock, providers: load.cold.map(entry), hashes: 'both' },
      { path: incrementalLock, providers: [entry(load.incremental)], hashes: 'both' },
      { path: scaleLock, providers: [entry(load.scale)], hashes: 'both' },
      { path: unanchoredLock, providers: load.cold.map(entry), hashes: 'none' },
    ],
  };
  await mkdir(dir, { recursive: true });
  const specPath = path.join(dir, 'registry-spec.json');
  await writeFile(specPath, JSON.stringify(spec));
  const proc = await spawnFixtureRegistry(specPath);
  try {
    if (!proc.caCertFile) throw new Error('the fixture registry did not write its CA certificate');
    const lockText = (
      await Promise.all([coldLock, incrementalLock, scaleLock].map((f) => readFile(f, 'utf8')))
    ).join('\n');
    return {
      process: proc,
      origin: proc.origin,
      caFile: proc.caCertFile,
      upstreams: proc.upstreams,
      coldLock,
      incrementalLock,
      scaleLock,
      unanchoredLock,
      lockHashes: new Set([...lockText.matchAll(/"((?:h1|zh):[^"]+)"/g)].map((m) => m[1]!)),
      providersUrl: (host) => `${proc.origin}/${host}/v1/providers/`,
      stop: () => proc.stop(),
    };
  } catch (err) {
    await proc.stop();
    throw err;
  }
}
