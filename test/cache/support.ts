import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FixtureProviderSpec } from '../support/fixture-registry.ts';

export const PLATFORMS = ['linux_amd64', 'darwin_arm64'];

/** Two providers on two hosts, and a second version of one of them (the "added" one). */
export const PROVIDERS: FixtureProviderSpec[] = [
  {
    hostname: 'registry.terraform.io',
    namespace: 'hashicorp',
    type: 'random',
    version: '3.6.3',
    platforms: PLATFORMS,
    size: 96 << 10,
  },
  {
    hostname: 'registry.terraform.io',
    namespace: 'hashicorp',
    type: 'random',
    version: '3.7.0',
    platforms: PLATFORMS,
    size: 96 << 10,
  },
  {
    hostname: 'registry.opentofu.org',
    namespace: 'hashicorp',
    type: 'null',
    version: '3.2.3',
    platforms: PLATFORMS,
    size: 64 << 10,
  },
];

export const FIRST_SET = [
  { address: 'registry.terraform.io/hashicorp/random', version: '3.6.3' },
  { address: 'registry.opentofu.org/hashicorp/null', version: '3.2.3' },
];
export const ADDED = { address: 'registry.terraform.io/hashicorp/random', version: '3.7.0' };

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function writeText(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}

export async function removeAll(...dirs: string[]): Promise<void> {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
}
