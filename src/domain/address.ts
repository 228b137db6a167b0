/**
 * Provider source addresses (PROTOCOL.md §3, §1.2).
 * `hostname` is kept in its display form (Unicode, lower case, no :443), as lock files write it;
 * `hostnameASCII` is the punycode form network-mirror clients request.
 */
export interface ProviderAddress {
  readonly hostname: string;
  readonly namespace: string;
  readonly type: string;
}

export const DEFAULT_OPENTOFU_HOST = 'registry.opentofu.org';
export const DEFAULT_TERRAFORM_HOST = 'registry.terraform.io';

/** `host/namespace/type` in display form: the lock-file label form. */
export function formatAddress(a: ProviderAddress): string {
  return `${a.hostname}/${a.namespace}/${a.type}`;
}

/** The ASCII (punycode) host, as a network mirror client requests it (PROTOCOL.md §1.2). */
export function hostnameASCII(hostname: string): string {
  try {
    const u = new URL(`https://${hostname}/`);
    return u.host;
  } catch {
    return hostname;
  }
}

export function compareAddresses(a: ProviderAddress, b: ProviderAddress): number {
  return cmp(a.hostname, b.hostname) || cmp(a.namespace, b.namespace) || cmp(a.type, b.type);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sameAddress(a: ProviderAddress, b: ProviderAddress): boolean {
  return compareAddresses(a, b) === 0;
}
