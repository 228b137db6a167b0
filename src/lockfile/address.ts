/**
 * Provider source addresses as lock files must write them (PROTOCOL.md §3): fully qualified,
 * lower case, hostname in its Unicode display form. Mirrors OpenTofu's
 * `addrs.ParseProviderSourceString` (registry-address provider.go, svchost ForComparison) and the
 * lockability checks of `decodeProviderLockFromHCL` (internal/depsfile/locks_file.go).
 */
import { domainToASCII, domainToUnicode } from 'node:url';
import { DEFAULT_OPENTOFU_HOST, type ProviderAddress } from '../domain/address.ts';

export type Normalized =
  { readonly ok: true; readonly value: string } | { readonly ok: false; readonly reason: string };

export type LabelCheck =
  | { readonly ok: true; readonly address: ProviderAddress }
  | {
      readonly ok: false;
      readonly summary: 'Invalid provider source address' | 'Non-normalized provider source address';
      readonly detail: string;
    };

const ASCII_LABEL = /^[a-z0-9-]+$/;
const BUILTIN_HOSTS = new Set(['terraform.io', 'opentofu.org']);
const LEGACY_NAMESPACE = '-';
const PART_CHARS =
  'must contain only letters, digits, and dashes, and may not use leading or trailing dashes';

/**
 * A namespace or type: letters, digits and `-` (no leading/trailing `-`, no `--`, no dots),
 * case-folded like a DNS label (registry-address ParseProviderPart, idna.Lookup).
 */
export function normalizeProviderPart(given: string): Normalized {
  if (given === '') return fail('must have at least one character');
  if (given.includes('.')) return fail('dots are not allowed');
  if (given.includes('--')) return fail('cannot use multiple consecutive dashes');
  if (isASCII(given)) {
    const lower = given.toLowerCase();
    return isValidLabel(lower) ? { ok: true, value: lower } : fail(PART_CHARS);
  }
  const ascii = domainToASCII(given);
  if (!isValidLabel(ascii) && !isPunycodeLabel(ascii)) return fail(PART_CHARS);
  return { ok: true, value: domainToUnicode(ascii) };
}

/**
 * A registry hostname in display form: Unicode, lower case, `:443` dropped
 * (svchost ForComparison, then Hostname.ForDisplay). Punycode (`xn--`) labels are refused.
 */
export function normalizeHostname(given: string): Normalized {
  const colon = given.indexOf(':');
  const host = colon === -1 ? given : given.slice(0, colon);
  const port = colon === -1 ? '' : normalizePort(given.slice(colon + 1));
  if (port === undefined) return fail('the port must be a number from 0 to 65535');
  if (host === '') return fail('empty string is not a valid hostname');
  const labels = host.split('.');
  if (labels.includes('')) return fail('hostname contains an empty label');
  const puny = labels.find((l) => l.startsWith('xn--'));
  if (puny !== undefined) return fail(`label "${puny}" is in punycode; write the hostname in Unicode`);
  const ascii = isASCII(host) ? host.toLowerCase() : domainToASCII(host);
  if (ascii === '' || !ascii.split('.').every((l) => isValidLabel(l) || isPunycodeLabel(l))) {
    return fail('a hostname may contain only letters, digits, dashes and dots');
  }
  return { ok: true, value: (ascii.includes('xn--') ? domainToUnicode(ascii) : ascii) + port };
}

/** Checks a lock-file `provider "<label>"` (PROTOCOL.md §3): valid, lockable, and written normalized. */
export function checkLockLabel(raw: string): LabelCheck {
  const parsed = parseSource(raw);
  if (!parsed.ok) return parsed;
  const { hostname, namespace, type } = parsed.address;
  if (namespace === LEGACY_NAMESPACE) {
    return invalid(`Provider source address ${raw} uses the legacy namespace "-", which cannot be locked.`);
  }
  if (BUILTIN_HOSTS.has(hostname) && namespace === 'builtin') {
    return invalid(`Cannot lock a version for built-in provider ${raw}: it ships inside OpenTofu itself.`);
  }
  const canonical = `${hostname}/${namespace}/${type}`;
  if (canonical !== raw) return nonNormalized(canonical);
  return parsed;
}

function parseSource(raw: string): LabelCheck {
  const parts = raw.split('/');
  if (parts.length > 3 || parts.includes('')) {
    return invalid('A provider lock must name a fully-qualified address "hostname/namespace/type".');
  }
  const type = normalizeProviderPart(parts[parts.length - 1]!);
  if (!type.ok) return invalid(`Invalid provider type in "${raw}": ${type.reason}.`);
  if (/^(terraform|opentofu)-/.test(type.value)) {
    return invalid(`Provider type "${type.value}" has a redundant "terraform-"/"opentofu-" prefix.`);
  }
  if (parts.length === 1) {
    // A bare type means hashicorp/<type>, or the built-in "terraform" provider (internal/addrs/provider.go).
    const implied =
      type.value === 'terraform' ? ['terraform.io', 'builtin'] : [DEFAULT_OPENTOFU_HOST, 'hashicorp'];
    return { ok: true, address: { hostname: implied[0]!, namespace: implied[1]!, type: type.value } };
  }
  const givenNamespace = parts[parts.length - 2]!;
  const namespace =
    givenNamespace === LEGACY_NAMESPACE
      ? { ok: true as const, value: LEGACY_NAMESPACE }
      : normalizeProviderPart(givenNamespace);
  if (!namespace.ok) return invalid(`Invalid provider namespace in "${raw}": ${namespace.reason}.`);
  const host =
    parts.length === 3 ? hostnameOfLabel(parts[0]!, `${namespace.value}/${type.value}`) : undefined;
  if (host && !host.ok) return host;
  const hostname = host?.address.hostname ?? DEFAULT_OPENTOFU_HOST;
  if (namespace.value === LEGACY_NAMESPACE && hostname !== DEFAULT_OPENTOFU_HOST) {
    return invalid(
      `The legacy provider namespace "-" can be used only with hostname ${DEFAULT_OPENTOFU_HOST}.`,
    );
  }
  return { ok: true, address: { hostname, namespace: namespace.value, type: type.value } };
}

function hostnameOfLabel(given: string, rest: string): LabelCheck {
  const host = normalizeHostname(given);
  if (host.ok) return { ok: true, address: { hostname: host.value, namespace: '', type: '' } };
  const display = displayOfPunycode(given);
  // The label must be the Unicode display form; say which form, when the punycode decodes (PROTOCOL.md §1.2).
  if (display !== undefined) return nonNormalized(`${display}/${rest}`);
  return invalid(`Invalid provider hostname "${given}": ${host.reason}.`);
}

function displayOfPunycode(given: string): string | undefined {
  const colon = given.indexOf(':');
  const host = colon === -1 ? given : given.slice(0, colon);
  if (!host.split('.').some((l) => l.startsWith('xn--'))) return undefined;
  const unicode = domainToUnicode(host.toLowerCase());
  if (unicode === '' || unicode.includes('xn--')) return undefined;
  const again = normalizeHostname(unicode + (colon === -1 ? '' : given.slice(colon)));
  return again.ok ? again.value : undefined;
}

function normalizePort(digits: string): string | undefined {
  if (!/^[0-9]{1,5}$/.test(digits)) return undefined;
  const n = Number(digits);
  if (n > 65535) return undefined;
  return n === 443 ? '' : `:${n}`;
}

/** STD3 + CheckHyphens on an ASCII label (idna.Lookup): [a-z0-9-], no leading/trailing `-`, no `??--`. */
function isValidLabel(label: string): boolean {
  return (
    ASCII_LABEL.test(label) &&
    !label.startsWith('-') &&
    !label.endsWith('-') &&
    !(label[2] === '-' && label[3] === '-')
  );
}

function isPunycodeLabel(label: string): boolean {
  return label.startsWith('xn--') && ASCII_LABEL.test(label) && !label.endsWith('-');
}

function isASCII(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function fail(reason: string): Normalized {
  return { ok: false, reason };
}

function invalid(detail: string): LabelCheck {
  return { ok: false, summary: 'Invalid provider source address', detail };
}

function nonNormalized(canonical: string): LabelCheck {
  return {
    ok: false,
    summary: 'Non-normalized provider source address',
    detail: `The provider source address for this provider lock must be written as "${canonical}", the fully-qualified and normalized form.`,
  };
}
