import type { ProviderAddress } from '../../domain/address.ts';
import { formatAddress, hostnameASCII } from '../../domain/address.ts';
import { RepoxyError } from '../../domain/errors.ts';
import type { ProviderPattern } from '../../plan/patterns.ts';

/**
 * OpenTofu's `oci_mirror` `repository_template` (PROTOCOL.md §6.1): an HCL template over `hostname`
 * (ASCII form), `namespace` and `type` whose result is `registry[:port]/repository`.
 */

/** Where a provider's versions go: the registry host (with port) and the repository path in it. */
export interface OciRepository {
  readonly registry: string;
  readonly repository: string;
}

const VARIABLE = /\$\{([^}]*)\}/g;
const COMPONENTS = ['hostname', 'namespace', 'type'] as const;
type Component = (typeof COMPONENTS)[number];
/** The distribution spec's repository name grammar (lower case), as ORAS ParseReference checks it. */
const REPOSITORY_NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const REGISTRY = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::[0-9]+)?$/i;

/**
 * Checks `template` as OpenTofu does (provider_installation.go:437-471): only `${hostname}`,
 * `${namespace}`, `${type}`, and every component must be referenced unless the `include` patterns
 * pin it to one value (OpenTofu's rule) or every provider pushed has the same value for it (then the
 * `oci_mirror` block to paste carries an include that pins it, see `clientInclude`). Throws
 * INPUT_INVALID naming the missing or unknown variable.
 */
export function checkRepositoryTemplate(
  template: string,
  include: readonly ProviderPattern[],
  providers: readonly ProviderAddress[],
): void {
  const used = templateVariables(template);
  for (const component of COMPONENTS) {
    if (used.has(component) || pinned(component, include) || distinct(component, providers).size <= 1)
      continue;
    throw invalid(
      template,
      `must use \${${component}}: the providers pushed do not all have the same ${component}, so ` +
        'different providers would share one repository (or select one with --include)',
    );
  }
}

/** The variables `template` uses; INPUT_INVALID for any other than hostname, namespace, type. */
export function templateVariables(template: string): Set<Component> {
  const used = new Set<Component>();
  for (const match of template.matchAll(VARIABLE)) {
    const name = match[1]!.trim();
    if (!(COMPONENTS as readonly string[]).includes(name)) {
      throw invalid(template, `has unknown variable \${${name}}: only \${hostname}, \${namespace}, \${type}`);
    }
    used.add(name as Component);
  }
  return used;
}

/** OpenTofu's rule: the non-wildcard values the include patterns give a component are exactly one. */
function pinned(component: Component, include: readonly ProviderPattern[]): boolean {
  return new Set(include.map((p) => p[component]).filter((v) => v !== '*')).size === 1;
}

function distinct(component: Component, providers: readonly ProviderAddress[]): Set<string> {
  return new Set(providers.map((p) => p[component]));
}

/**
 * The `include` of the client's `oci_mirror` block: the given patterns, or when the template leaves
 * out a component, patterns that pin it to the one value every pushed provider has (so OpenTofu
 * accepts the template); empty when the template uses all three.
 */
export function clientInclude(
  template: string,
  include: readonly ProviderPattern[],
  providers: readonly ProviderAddress[],
): string[] {
  if (include.length) return include.map((p) => p.text);
  const used = templateVariables(template);
  if (COMPONENTS.every((c) => used.has(c)) || providers.length === 0) return [];
  const first = providers[0]!;
  if (!used.has('type')) return [`${first.hostname}/${first.namespace}/${first.type}`];
  if (!used.has('namespace')) return [`${first.hostname}/${first.namespace}/*`];
  return [`${first.hostname}/*/*`];
}

/** The repository of `address`; lower case. Throws INPUT_INVALID when the result is not `registry/repo`. */
export function repositoryFor(template: string, address: ProviderAddress): OciRepository {
  const values: Record<Component, string> = {
    hostname: hostnameASCII(address.hostname),
    namespace: address.namespace,
    type: address.type,
  };
  const text = template.replace(VARIABLE, (_, name: string) => values[name.trim() as Component]);
  const slash = text.indexOf('/');
  const registry = slash > 0 ? text.slice(0, slash).toLowerCase() : '';
  const repository = slash > 0 ? text.slice(slash + 1).toLowerCase() : '';
  if (!REGISTRY.test(registry) || !REPOSITORY_NAME.test(repository)) {
    throw invalid(
      template,
      `gives "${text}" for ${formatAddress(address)}, which is not registry[:port]/repository ` +
        '(lower-case letters, digits, and . _ - separators; no tag or digest)',
    );
  }
  return { registry, repository };
}

/** Throws INPUT_INVALID when two providers would land in the same repository. */
export function requireDistinctRepositories(
  targets: readonly { address: ProviderAddress; repo: OciRepository }[],
): void {
  const seen = new Map<string, ProviderAddress>();
  for (const { address, repo } of targets) {
    const key = `${repo.registry}/${repo.repository}`;
    const other = seen.get(key);
    if (other && formatAddress(other) !== formatAddress(address)) {
      throw new RepoxyError(
        'INPUT_INVALID',
        `${formatAddress(other)} and ${formatAddress(address)} would both be pushed to ${key}`,
      );
    }
    seen.set(key, address);
  }
}

function invalid(template: string, why: string): RepoxyError {
  return new RepoxyError('INPUT_INVALID', `repository template "${template}" ${why}`);
}
