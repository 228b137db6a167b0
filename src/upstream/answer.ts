import type { Readable } from 'node:stream';
import { RepoxyError } from '../domain/errors.ts';
import type { BodyLimits } from './download.ts';
import { AttemptFailure } from './http-failures.ts';
import { displayUrl } from './url-policy.ts';

/** A 200 response on its final hop, handed to a body reader. */
export interface Answer {
  /** The URL that answered, after redirects. */
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Readable;
}

/** The first value of a response header (undici lower-cases names). */
export function headerValue(headers: Answer['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The limits for reading `answer`'s body: its Content-Length (if well-formed) and `maxBytes`. */
export function limitsOf(answer: Answer, maxBytes: number): BodyLimits {
  const raw = headerValue(answer.headers, 'content-length');
  const declaredLength = raw !== undefined && /^[0-9]+$/.test(raw.trim()) ? Number(raw) : undefined;
  return { url: displayUrl(answer.url), maxBytes, declaredLength };
}

/** PROTOCOL.md §2.1: the media type must be application/json; parameters are tolerated. */
export function requireJsonContentType(answer: Answer): void {
  const type = headerValue(answer.headers, 'content-type');
  const media = type?.split(';')[0]?.trim().toLowerCase();
  if (media === 'application/json') return;
  const got = type === undefined ? 'no Content-Type' : `Content-Type ${JSON.stringify(type)}`;
  const message = `GET ${displayUrl(answer.url)}: expected application/json, got ${got}`;
  throw new AttemptFailure(new RepoxyError('UPSTREAM_BAD_RESPONSE', message), false);
}

/** A registry-stated package_size must match exactly (when both are known). */
export function requireExpectedSize(
  url: string,
  size: number | undefined,
  expected: number | undefined,
): void {
  if (expected === undefined || size === undefined || size === expected) return;
  const message = `GET ${displayUrl(url)}: archive is ${size} bytes but the registry says package_size ${expected}`;
  // A short body is retried like a truncated one; a longer one is the registry contradicting itself.
  throw new AttemptFailure(new RepoxyError('UPSTREAM_BAD_RESPONSE', message), size < expected);
}

/** Strict UTF-8 JSON; a byte-order mark is an error, as with Go's decoder (PROTOCOL.md §1.6). */
export function parseJson(bytes: Buffer, url: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes));
  } catch (err) {
    // JSON.parse quotes the body in its message; say where, never what (it may echo a secret).
    const position = /position (\d+)/.exec(err instanceof Error ? err.message : '')?.[1];
    const reason =
      err instanceof TypeError ? 'not UTF-8' : position ? `syntax error at byte ${position}` : 'syntax error';
    const message = `GET ${displayUrl(url)}: response is not valid JSON (${reason})`;
    throw new AttemptFailure(new RepoxyError('UPSTREAM_BAD_RESPONSE', message), false);
  }
}

/** Drops an unread body (closing its connection); undici reports that as an error nobody needs. */
export function discard(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}
