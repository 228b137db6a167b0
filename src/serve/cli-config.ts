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

/** HCL string literal. */
function hclString(s: string): string {
  return JSON.stringify(s).replace(/\$\{/g, '$${').replace(/%\{/g, '%%{');
}

/** `provider_installation { network_mirror { url = ".../" } }` (PROTOCOL.md §1.1). */
export function networkMirrorConfig(
  url: string,
  options: { allowDirect?: boolean; include?: string[] } = {},
): string {
  const include = options.include?.length
    ? `\n    include = [${options.include.map(hclString).join(', ')}]`
    : '';
  const direct = options.allowDirect
    ? `\n  direct {${options.include?.length ? `\n    exclude = [${options.include.map(hclString).join(', ')}]\n  ` : ''}}`
    : '';
  return `provider_installation {\n  network_mirror {\n    url = ${hclString(mirrorBaseUrl(url))}${include}\n  }${direct}\n}\n`;
}

/**
 * `filesystem_mirror` at a packed mirror directory (PROTOCOL.md §5.1). `include` limits it to the
 * mirrored providers; with `allowDirect`, everything else may still come from its registry.
 */
export function filesystemMirrorConfig(
  dir: string,
  options: { allowDirect?: boolean; include?: string[] } = {},
): string {
  const include = options.include?.length
    ? `\n    include = [${options.include.map(hclString).join(', ')}]`
    : '';
  const direct = options.allowDirect
    ? `\n  direct {${options.include?.length ? `\n    exclude = [${options.include.map(hclString).join(', ')}]\n  ` : ''}}`
    : '';
  return `provider_installation {\n  filesystem_mirror {\n    path = ${hclString(dir)}${include}\n  }${direct}\n}\n`;
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
