/**
 * `WWW-Authenticate` challenges of an OCI registry (RFC 7235 syntax): `Basic realm="…"` or
 * `Bearer realm="…",service="…",scope="…"` (the distribution token protocol ghcr.io uses).
 */
export interface Challenge {
  readonly scheme: 'basic' | 'bearer' | 'other';
  readonly params: Readonly<Record<string, string>>;
}

const PARAM = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/y;

/** The first challenge of a header value; `other` for a scheme we do not speak or no header. */
export function parseChallenge(header: string | undefined): Challenge {
  const text = (header ?? '').trim();
  const space = text.search(/\s/);
  const scheme = (space < 0 ? text : text.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  let rest = space < 0 ? '' : text.slice(space).trim();
  while (rest !== '') {
    PARAM.lastIndex = 0;
    const match = PARAM.exec(rest);
    if (!match) break;
    params[match[1]!.toLowerCase()] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!;
    rest = rest.slice(match[0].length).replace(/^\s*,\s*/, '');
  }
  return { scheme: scheme === 'basic' || scheme === 'bearer' ? scheme : 'other', params };
}

/** The token-server URL for a bearer challenge: `realm?service=…&scope=…` (push and pull of `repo`). */
export function tokenUrl(challenge: Challenge, repo: string): string {
  const url = new URL(challenge.params['realm'] ?? '');
  if (challenge.params['service']) url.searchParams.set('service', challenge.params['service']);
  url.searchParams.append('scope', `repository:${repo}:pull,push`);
  return url.href;
}

/** `Basic base64(user:password)`. */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}
