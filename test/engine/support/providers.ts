/** Provider versions the engine, CLI, action and hostile-input tests mirror, and their fixture registries. */
import {
  startFixtureRegistry,
  type FixtureProviderSpec,
  type FixtureRegistry,
} from '../../support/fixture-registry.ts';

/** A provider version as a lock file names it: `HOST/NAMESPACE/TYPE` and a version. */
export interface ProviderVersion {
  readonly address: string;
  readonly version: string;
}

export const TF_NULL: ProviderVersion = { address: 'registry.terraform.io/hashicorp/null', version: '3.2.3' };
export const TOFU_RANDOM: ProviderVersion = {
  address: 'registry.opentofu.org/hashicorp/random',
  version: '3.6.3',
};

/** What the fixture registry serves of `p`: its archives for `platforms`, with `more` (e.g. `size`). */
export function providerSpec(
  p: ProviderVersion,
  platforms: readonly string[],
  more: Partial<FixtureProviderSpec> = {},
): FixtureProviderSpec {
  const [hostname, namespace, type] = p.address.split('/') as [string, string, string];
  return { hostname, namespace, type, version: p.version, platforms: [...platforms], ...more };
}

/** A fixture registry on two hosts: TF_NULL and TOFU_RANDOM for linux_amd64 and darwin_arm64. */
export function startTwoHostRegistry(): Promise<FixtureRegistry> {
  return startFixtureRegistry({
    providers: [TF_NULL, TOFU_RANDOM].map((p) => providerSpec(p, ['linux_amd64', 'darwin_arm64'])),
  });
}
