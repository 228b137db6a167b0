import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type {
  FaultSpec,
  FixtureProviderSpec,
  FixtureRegistry,
  FixtureRegistryOptions,
  LockFileEntry,
  LockHashes,
} from './types.ts';

/**
 * The JSON spec file of fixture-registry-main.ts: the registry options (providers default to
 * DEFAULT_PROVIDERS), plus faults to install and lock files to write before it reports ready.
 */
export interface CliSpec extends Partial<FixtureRegistryOptions> {
  /** `match` is a substring, or a RegExp source when `regex` is true. */
  faults?: (Omit<FaultSpec, 'match'> & { match: string; regex?: boolean })[];
  lockFiles?: { path: string; providers: LockFileEntry[]; hashes: LockHashes }[];
}

const PLATFORMS = ['darwin_arm64', 'linux_amd64', 'linux_arm64', 'windows_amd64'];

/** The built-in set: two OpenTofu providers (one with two versions), a Terraform one, a private host. */
export const DEFAULT_PROVIDERS: readonly FixtureProviderSpec[] = [
  {
    hostname: 'registry.opentofu.org',
    namespace: 'hashicorp',
    type: 'null',
    version: '3.2.3',
    platforms: PLATFORMS,
  },
  {
    hostname: 'registry.opentofu.org',
    namespace: 'hashicorp',
    type: 'null',
    version: '3.2.4',
    platforms: PLATFORMS,
  },
  {
    hostname: 'registry.opentofu.org',
    namespace: 'hashicorp',
    type: 'random',
    version: '3.6.3',
    platforms: PLATFORMS,
  },
  {
    hostname: 'registry.terraform.io',
    namespace: 'hashicorp',
    type: 'null',
    version: '3.2.3',
    platforms: PLATFORMS,
  },
  {
    hostname: 'registry.example.com',
    namespace: 'acme',
    type: 'widget',
    version: '1.0.0',
    platforms: PLATFORMS,
  },
];

/** The registry options of a spec (defaults filled in). */
export function registryOptions(spec: CliSpec): FixtureRegistryOptions {
  const { faults: _faults, lockFiles: _lockFiles, ...options } = spec;
  return { ...options, providers: options.providers ?? DEFAULT_PROVIDERS.map((p) => ({ ...p })) };
}

/** Installs the spec's faults and writes its lock files; returns the lock file paths written. */
export async function applyCliSpec(registry: FixtureRegistry, spec: CliSpec): Promise<string[]> {
  for (const f of spec.faults ?? []) {
    const { regex, match, ...rest } = f;
    registry.addFault({ ...rest, match: regex ? new RegExp(match) : match });
  }
  const written: string[] = [];
  for (const lock of spec.lockFiles ?? []) {
    await mkdir(path.dirname(path.resolve(lock.path)), { recursive: true });
    await writeFile(lock.path, registry.lockFile(lock.providers, lock.hashes));
    written.push(path.resolve(lock.path));
  }
  return written;
}
