/**
 * Provider include/exclude patterns with OpenTofu's rules (PROTOCOL.md §1.1;
 * internal/getproviders/multi_source.go ParseMultiSourceMatchingPatterns, CanHandleProvider).
 */
import { DEFAULT_OPENTOFU_HOST, type ProviderAddress } from '../domain/address.ts';
import { RepoxyError } from '../domain/errors.ts';
import { normalizeHostname, normalizeProviderPart } from '../lockfile/address.ts';

/** A parsed pattern; `*` in a part matches anything. Host is in display form, like addresses. */
export interface ProviderPattern {
  readonly text: string;
  readonly hostname: string;
  readonly namespace: string;
  readonly type: string;
}

const WILDCARD = '*';

/**
 * Parses `HOST/NS/TYPE` or `NS/TYPE` (host registry.opentofu.org). Wildcards only right to left:
 * `*` may stand for the type, for namespace and type, or for all three. Normalizes case like
 * OpenTofu. Throws INPUT_INVALID naming the pattern.
 */
export function parseProviderPattern(text: string): ProviderPattern {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3) {
    throw invalid(
      text,
      'must have either two or three slash-separated segments: NAMESPACE/TYPE or HOST/NAMESPACE/TYPE',
    );
  }
  const hostname = parts.length === 3 ? patternHost(text, parts.shift()!) : DEFAULT_OPENTOFU_HOST;
  const [ns, type] = parts as [string, string];
  const namespace = patternPart(text, ns, 'namespace');
  const typeName = patternPart(text, type, 'provider type');
  if (hostname === WILDCARD && !(namespace === WILDCARD && typeName === WILDCARD)) {
    throw invalid(
      text,
      'the hostname can be a wildcard only if both namespace and provider type are also wildcards',
    );
  }
  if (namespace === WILDCARD && typeName !== WILDCARD) {
    throw invalid(text, 'the namespace can be a wildcard only if the provider type is also a wildcard');
  }
  return { text, hostname, namespace, type: typeName };
}

export function matchesPattern(pattern: ProviderPattern, address: ProviderAddress): boolean {
  return (
    (pattern.hostname === WILDCARD || pattern.hostname === address.hostname) &&
    (pattern.namespace === WILDCARD || pattern.namespace === address.namespace) &&
    (pattern.type === WILDCARD || pattern.type === address.type)
  );
}

/** Included when `include` is empty or one matches, and no `exclude` matches: exclusion wins. */
export function isSelected(
  address: ProviderAddress,
  include: readonly ProviderPattern[],
  exclude: readonly ProviderPattern[],
): boolean {
  if (exclude.some((p) => matchesPattern(p, address))) return false;
  return include.length === 0 || include.some((p) => matchesPattern(p, address));
}

function patternHost(text: string, given: string): string {
  if (given === WILDCARD) return WILDCARD;
  const host = normalizeHostname(given);
  if (!host.ok) throw invalid(text, `invalid hostname "${given}": ${host.reason}`);
  return host.value;
}

function patternPart(text: string, given: string, what: string): string {
  if (given === WILDCARD) return WILDCARD;
  const part = normalizeProviderPart(given);
  if (!part.ok)
    throw invalid(text, `invalid ${what} "${given}": must be the wildcard * or a name that ${part.reason}`);
  return part.value;
}

function invalid(text: string, why: string): RepoxyError {
  return new RepoxyError('INPUT_INVALID', `invalid provider pattern "${text}": ${why}`);
}
