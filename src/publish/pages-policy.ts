import { formatAddress, hostnameASCII, type ProviderAddress } from '../domain/address.ts';
import { RepoxyError } from '../domain/errors.ts';

/** The public registries: whatever they serve is public already, so a public Pages site may copy it. */
export const PUBLIC_REGISTRY_HOSTS: readonly string[] = ['registry.terraform.io', 'registry.opentofu.org'];

/** Providers whose host is not one of the public registries, sorted and unique. */
export function privateProviders(addresses: readonly ProviderAddress[]): string[] {
  const names = addresses
    .filter((a) => !PUBLIC_REGISTRY_HOSTS.includes(hostnameASCII(a.hostname).toLowerCase()))
    .map(formatAddress);
  return [...new Set(names)].sort();
}

/**
 * Pages sites are public (on every plan but Enterprise Cloud's private Pages): refuses to publish
 * providers from other hosts, which may be private, unless the user allowed it. Throws PUBLISH naming
 * them and the two ways out.
 */
export function assertPagesPolicy(
  addresses: readonly ProviderAddress[],
  allowPrivateProviders: boolean,
): void {
  if (allowPrivateProviders) return;
  const found = privateProviders(addresses);
  if (found.length === 0) return;
  throw new RepoxyError(
    'PUBLISH',
    `refusing to publish ${found.length} provider(s) from hosts other than ${PUBLIC_REGISTRY_HOSTS.join(' and ')} ` +
      `to GitHub Pages, which is public: ${found.join(', ')}. ` +
      'Set allow-private-providers: true if they may be public, or use publish: artifact.',
  );
}
