import type { FixtureProviderSpec } from '../../test/support/fixture-registry.ts';

/**
 * What the benchmark mirrors. Sizes are ARCHIVE (download) sizes like real provider zips; the
 * fixture registry is given the binary size before compression, 2.5× larger (its generated
 * binaries deflate about 2.5×, like Go binaries).
 */

export const PLATFORMS = ['linux_amd64', 'darwin_arm64', 'windows_amd64'] as const;
const COMPRESSION_RATIO = 2.5;
const MB = 1e6;

/** One provider version of the set, with its archive size in MB (per platform, before variation). */
interface SetMember {
  readonly host: string;
  readonly namespace: string;
  readonly type: string;
  readonly version: string;
  readonly archiveMb: number;
}

const OPENTOFU = 'registry.opentofu.org';
const TERRAFORM = 'registry.terraform.io';

/** 12 providers: one ~100 MB per platform, three of 20–40 MB, the rest 2–10 MB. */
const COLD: readonly SetMember[] = [
  { host: OPENTOFU, namespace: 'hashicorp', type: 'aws', version: '5.80.0', archiveMb: 100 },
  { host: OPENTOFU, namespace: 'hashicorp', type: 'azurerm', version: '4.14.0', archiveMb: 40 },
  { host: TERRAFORM, namespace: 'hashicorp', type: 'google', version: '6.14.0', archiveMb: 30 },
  { host: OPENTOFU, namespace: 'hashicorp', type: 'kubernetes', version: '2.35.0', archiveMb: 20 },
  { host: OPENTOFU, namespace: 'hashicorp', type: 'helm', version: '2.17.0', archiveMb: 10 },
  { host: TERRAFORM, namespace: 'datadog', type: 'datadog', version: '3.49.0', archiveMb: 8 },
  { host: OPENTOFU, namespace: 'hashicorp', type: 'random', version: '3.6.3', archiveMb: 4 },
  { host: OPENTOFU, namespace: 'hashicorp', type: 'tls', version: '4.0.6', archiveMb: 3 },
  { host: OPENTOFU, namespace: 'hashicorp', type: 'archive', version: '2.7.0', archiveMb: 3 },
  { host: OPENTOFU, namespace: 'hashicorp', type: 'http', version: '3.4.5', archiveMb: 3 },
  { host: OPENTOFU, namespace: 'hashicorp', type: 'null', version: '3.2.3', archiveMb: 2 },
  { host: OPENTOFU, namespace: 'hashicorp', type: 'local', version: '2.5.2', archiveMb: 2 },
];

/** The version added for the incremental run: a new release of a small provider. */
const INCREMENTAL: SetMember = { ...COLD[6]!, version: '3.6.4' };

/** The scale run: one provider whose archive is 300 MB (binary 750 MB), one platform. */
const SCALE: SetMember = {
  host: OPENTOFU,
  namespace: 'bench',
  type: 'huge',
  version: '1.0.0',
  archiveMb: 300,
};

/** A provider as the bench addresses it. */
export interface BenchProvider {
  readonly address: string;
  readonly host: string;
  readonly namespace: string;
  readonly type: string;
  readonly version: string;
  readonly platforms: readonly string[];
}

export interface Workload {
  readonly cold: readonly BenchProvider[];
  readonly incremental: BenchProvider;
  readonly scale: BenchProvider;
  /** Everything the registry serves. */
  readonly specs: readonly FixtureProviderSpec[];
  /** Σ archive MB of the cold set (nominal). */
  readonly coldNominalMb: number;
  readonly scaleNominalMb: number;
}

/** The workload; `quick` divides every size by 20 (and the scale archive by 10). */
export function workload(quick: boolean): Workload {
  const shrink = quick ? 20 : 1;
  const cold = COLD.map((m) => ({ ...m, archiveMb: m.archiveMb / shrink }));
  const incremental = { ...INCREMENTAL, archiveMb: INCREMENTAL.archiveMb / shrink };
  const scale = { ...SCALE, archiveMb: SCALE.archiveMb / (quick ? 10 : 1) };
  return {
    cold: cold.map((m) => provider(m, PLATFORMS)),
    incremental: provider(incremental, PLATFORMS),
    scale: provider(scale, ['linux_amd64']),
    specs: [
      ...cold.map((m) => spec(m, PLATFORMS)),
      spec(incremental, PLATFORMS),
      spec(scale, ['linux_amd64']),
    ],
    coldNominalMb: cold.reduce((n, m) => n + m.archiveMb * PLATFORMS.length, 0),
    scaleNominalMb: scale.archiveMb,
  };
}

function provider(m: SetMember, platforms: readonly string[]): BenchProvider {
  return {
    address: `${m.host}/${m.namespace}/${m.type}`,
    host: m.host,
    namespace: m.namespace,
    type: m.type,
    version: m.version,
    platforms,
  };
}

/** Platforms differ a little in size, like real builds (darwin smaller, windows larger). */
const PLATFORM_FACTOR: Readonly<Record<string, number>> = {
  linux_amd64: 1,
  darwin_arm64: 0.96,
  windows_amd64: 1.03,
};

function spec(m: SetMember, platforms: readonly string[]): FixtureProviderSpec {
  const binary = (p: string) => Math.round(m.archiveMb * MB * COMPRESSION_RATIO * (PLATFORM_FACTOR[p] ?? 1));
  return {
    hostname: m.host,
    namespace: m.namespace,
    type: m.type,
    version: m.version,
    platforms: [...platforms],
    sizes: Object.fromEntries(platforms.map((p) => [p, binary(p)])),
  };
}
