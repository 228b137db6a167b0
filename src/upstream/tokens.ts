/**
 * Registry credentials from `TF_TOKEN_*` environment variables (PROTOCOL.md §2.5), decoded exactly as
 * OpenTofu's collectCredentialsFromEnv does, plus the helpers that keep tokens out of messages.
 */

const PREFIX = 'TF_TOKEN_';
/** Letters (any script), digits, marks, `.` and `-`, optionally `:port` (written literally). */
const HOST_CHARS = /^[\p{L}\p{N}\p{M}.-]+(?::[0-9]+)?$/u;

/**
 * The comparison form of a hostname: ASCII (punycode), lower case, `:443` dropped, like
 * svchost.ForComparison. Returns undefined when it is not a valid hostname.
 */
export function hostForComparison(hostname: string): string | undefined {
  if (!HOST_CHARS.test(hostname)) return undefined;
  try {
    const host = new URL(`https://${hostname}/`).host;
    return host === '' ? undefined : host;
  } catch {
    return undefined;
  }
}

/** The hostname a `TF_TOKEN_` variable name stands for, in comparison form, or undefined. */
export function hostOfTokenVariable(name: string): string | undefined {
  if (!name.startsWith(PREFIX)) return undefined;
  // `__` is a hyphen and then `_` a dot: unambiguous because labels never start or end with `-`.
  const raw = name.slice(PREFIX.length).replaceAll('__', '-').replaceAll('_', '.');
  return raw === '' ? undefined : hostForComparison(raw);
}

/**
 * The token for `hostname` (Unicode or punycode, any case) from `TF_TOKEN_*` variables, or undefined.
 * Invalid variable names are ignored; when several names decode to the host, the last one wins, as in
 * OpenTofu; an empty value counts as no token.
 */
export function tokenForHost(env: NodeJS.ProcessEnv, hostname: string): string | undefined {
  const wanted = hostForComparison(hostname);
  if (wanted === undefined) return undefined;
  let token: string | undefined;
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || hostOfTokenVariable(name) !== wanted) continue;
    token = value;
  }
  return token === '' ? undefined : token;
}

/** Every non-empty `TF_TOKEN_*` value, valid name or not: the values to mask in logs. */
export function listTokens(env: NodeJS.ProcessEnv): string[] {
  const values = Object.entries(env)
    .filter(([name, value]) => name.startsWith(PREFIX) && value !== undefined && value !== '')
    .map(([, value]) => value as string);
  return [...new Set(values)];
}

/** The variable name a user would set for `hostname`, e.g. `TF_TOKEN_my__corp_example_com`. */
export function tokenVariableName(hostname: string): string {
  const ascii = hostForComparison(hostname) ?? hostname;
  const withoutPort = ascii.replace(/:[0-9]+$/, '');
  return PREFIX + withoutPort.replaceAll('-', '__').replaceAll('.', '_');
}

/**
 * `text` with every occurrence of every secret replaced by `***` (longest first), in every form a
 * secret takes inside a URL: percent-encoded, form-encoded, and as the WHATWG URL parser normalises
 * it in a path, query, fragment or user-info (`'` → `%27` in a query, space → `%20`, ...), with
 * upper- or lower-case hex digits.
 */
export function redactSecrets(text: string, secrets: Iterable<string>): string {
  const forms = [...secrets].filter((s) => s !== '').flatMap(secretForms);
  const ordered = [...new Set(forms)].filter((s) => s !== '').sort((a, b) => b.length - a.length);
  let out = text;
  for (const secret of ordered) out = out.replaceAll(secret, '***');
  return out;
}

/** What a message shows of URLs: no query strings (they carry signed or secret parameters). */
export function withoutQueryStrings(text: string): string {
  return text.replace(/(https?:\/\/[^\s?#"'<>]*)\?[^\s#"'<>]*/gi, '$1');
}

/** Every message a front door prints: query strings dropped, then secrets redacted. */
export function redactMessage(text: string, secrets: Iterable<string>): string {
  return redactSecrets(withoutQueryStrings(text), secrets);
}

function secretForms(secret: string): string[] {
  const url = new URL('https://redaction.invalid/');
  const parsed = (set: (u: URL) => string) => {
    try {
      return set(new URL(url));
    } catch {
      return secret;
    }
  };
  const forms = [
    secret,
    encodeURIComponent(secret),
    encodeURI(secret),
    new URLSearchParams({ t: secret }).toString().slice(2),
    parsed((u) => ((u.search = secret), u.search.slice(1))),
    parsed((u) => ((u.pathname = secret), u.pathname.slice(1))),
    parsed((u) => ((u.hash = secret), u.hash.slice(1))),
    parsed((u) => ((u.username = secret), u.username)),
    parsed((u) => ((u.password = secret), u.password)),
  ];
  const lowerHex = forms.map((f) => f.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()));
  return [...forms, ...lowerHex];
}
