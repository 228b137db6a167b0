import type { ErrorCode } from '../domain/errors.ts';
import { RepoxyError } from '../domain/errors.ts';

/** True for 127.0.0.0/8, ::1 and localhost: the only hosts plain `http:` may be used with. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  return /^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/.test(host);
}

/**
 * Parses `text` and requires `https:`, or `http:` on a loopback host; throws `code` otherwise.
 * `what` names the URL in the message ("download_url", "redirect target", ...).
 */
export function requireFetchableUrl(text: string, what: string, code: ErrorCode, base?: string): URL {
  let url: URL;
  try {
    url = base === undefined ? new URL(text) : new URL(text, base);
  } catch {
    throw new RepoxyError(code, `${what} ${JSON.stringify(displayUrl(text))} is not a valid URL`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url;
  if (url.protocol === 'http:') {
    throw new RepoxyError(
      code,
      `${what} ${displayUrl(url.href)} uses plain http: to a non-loopback host; only https: is allowed`,
    );
  }
  throw new RepoxyError(code, `${what} ${displayUrl(url.href)} must be an http(s) URL`);
}

/** A URL for messages: any `user:password@` removed. Tokens are redacted separately. */
export function displayUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.username === '' && url.password === '') return url.href;
    url.username = '';
    url.password = '';
    return url.href;
  } catch {
    return text.replace(/\/\/[^/@]*@/, '//');
  }
}
