import { RepoxyError } from '../domain/errors.ts';

/**
 * A mirror base URL as clients need it: https and ending in `/` (PROTOCOL.md §1.1, §1.2: without the
 * slash the last path segment is silently dropped). Adds the slash; throws INPUT_INVALID otherwise.
 */
export function mirrorBaseUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RepoxyError('INPUT_INVALID', `mirror URL "${url}" is not a valid URL`);
  }
  if (u.protocol !== 'https:') throw new RepoxyError('INPUT_INVALID', `mirror URL "${url}" must use https:`);
  if (u.search || u.hash)
    throw new RepoxyError('INPUT_INVALID', `mirror URL "${url}" must not have a query or fragment`);
  return u.href.endsWith('/') ? u.href : `${u.href}/`;
}

/**
 * HCL string literal. The CLI configuration is HCL1, whose handling of `${`/`%{` differs between
 * Terraform and OpenTofu versions, so values containing them are refused rather than escaped.
 */
function hclString(s: string): string {
  if (s.includes('${') || s.includes('%{')) {
    throw new RepoxyError(
      'INPUT_INVALID',
      `cannot write ${JSON.stringify(s)} into a CLI configuration: it contains \${ or %{`,
    );
  }
  return JSON.stringify(s);
}

/** Which providers a mirror block covers, and whether everything else may still come from its registry. */
export interface MirrorScope {
  readonly allowDirect?: boolean;
  readonly include?: readonly string[];
}

/** `provider_installation { network_mirror { url = ".../" } }` (PROTOCOL.md §1.1). */
export function networkMirrorConfig(url: string, scope: MirrorScope = {}): string {
  return providerInstallation('network_mirror', `url = ${hclString(mirrorBaseUrl(url))}`, scope);
}

/**
 * `filesystem_mirror` at a packed mirror directory (PROTOCOL.md §5.1). `include` limits it to the
 * mirrored providers; with `allowDirect`, everything else may still come from its registry.
 */
export function filesystemMirrorConfig(dir: string, scope: MirrorScope = {}): string {
  return providerInstallation('filesystem_mirror', `path = ${hclString(dir)}`, scope);
}

/** One mirror block, limited to `include`, then (with allowDirect) a `direct` block excluding it. */
function providerInstallation(kind: string, location: string, scope: MirrorScope): string {
  const list = scope.include?.length ? `[${scope.include.map(hclString).join(', ')}]` : '';
  const include = list ? `\n    include = ${list}` : '';
  const direct = scope.allowDirect ? `\n  direct {${list ? `\n    exclude = ${list}\n  ` : ''}}` : '';
  return `provider_installation {\n  ${kind} {\n    ${location}${include}\n  }${direct}\n}\n`;
}

/**
 * `host` blocks that send each upstream registry's provider protocol to the mirror's registry view,
 * keeping `modules.v1` on the real registry (PROTOCOL.md §2.1 ForceHostServices).
 */
export function registryViewConfig(url: string, hosts: readonly string[]): string {
  const base = mirrorBaseUrl(url);
  return hosts
    .map((h) => {
      const providers = `${base}v1/providers/${h}/`;
      return `host ${hclString(h)} {\n  services = {\n    "providers.v1" = ${hclString(providers)}\n    "modules.v1"   = ${hclString(`https://${h}/v1/modules/`)}\n  }\n}\n`;
    })
    .join('\n');
}
