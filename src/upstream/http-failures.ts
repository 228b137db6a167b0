import { STATUS_CODES } from 'node:http';
import { RepoxyError } from '../domain/errors.ts';
import type { UpstreamOptions } from './options.ts';
import { tokenVariableName } from './tokens.ts';

/**
 * One failed attempt: the error to report and whether another attempt may help. Internal to the
 * upstream client; what leaves it is always `error` (a RepoxyError).
 */
export class AttemptFailure extends Error {
  readonly error: RepoxyError;
  readonly retryable: boolean;
  /** The server's `Retry-After`, already capped, in milliseconds. */
  readonly retryAfterMs: number | undefined;

  constructor(error: RepoxyError, retryable: boolean, retryAfterMs?: number) {
    super(error.message, { cause: error });
    this.error = error;
    this.retryable = retryable;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Who the request was authenticated for, to word 401/403 messages (OpenTofu ErrUnauthorized). */
export interface AuthContext {
  /** The registry hostname the token belongs to; absent for archive and checksum hosts. */
  readonly hostname?: string;
  readonly tokenSent: boolean;
}

/** 429 and 5xx except 501 (go-retryablehttp DefaultRetryPolicy; PROTOCOL.md §1.5). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599 && status !== 501);
}

/** `Retry-After` as milliseconds from `nowMs` (delta-seconds or HTTP date), or undefined. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^[0-9]+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** Exponential backoff with full jitter: uniform in [0, min(max, base·2^(retry-1))]. */
export function backoffDelayMs(retry: number, options: UpstreamOptions, random = Math.random): number {
  const ceiling = Math.min(options.backoffMaxMs, options.backoffBaseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/** The failure for a non-200, non-redirect status on `url`. */
export function failureForStatus(
  status: number,
  url: string,
  auth: AuthContext,
  retryAfter: string | undefined,
  options: UpstreamOptions,
): AttemptFailure {
  const what = `GET ${url} returned HTTP ${status}${STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : ''}`;
  if (status === 401 || status === 403) return new AttemptFailure(unauthorized(status, url, auth), false);
  if (status === 404) return new AttemptFailure(new RepoxyError('UPSTREAM_NOT_FOUND', `${what}`), false);
  if (!isRetryableStatus(status)) return new AttemptFailure(new RepoxyError('UPSTREAM_HTTP', what), false);
  const after = parseRetryAfter(retryAfter, Date.now());
  const capped = after === undefined ? undefined : Math.min(after, options.retryAfterMaxMs);
  return new AttemptFailure(new RepoxyError('UPSTREAM_HTTP', what), true, capped);
}

function unauthorized(status: number, url: string, auth: AuthContext): RepoxyError {
  const host = new URL(url).host;
  if (auth.tokenSent) {
    const hint = auth.hostname ? `; check ${tokenVariableName(auth.hostname)}` : '';
    return new RepoxyError(
      'UPSTREAM_UNAUTHORIZED',
      `${host} rejected the given credentials (HTTP ${status} for ${url})${hint}`,
    );
  }
  if (auth.hostname !== undefined) {
    const verb =
      status === 401 ? 'requires authentication credentials' : 'refused access without credentials';
    return new RepoxyError(
      'UPSTREAM_UNAUTHORIZED',
      `${host} ${verb} (HTTP ${status} for ${url}) — set ${tokenVariableName(auth.hostname)}`,
    );
  }
  return new RepoxyError(
    'UPSTREAM_UNAUTHORIZED',
    `${host} refused access (HTTP ${status} for ${url}); checksum files and archives are fetched ` +
      'without credentials, as OpenTofu does, so they must be public',
  );
}

const TIMEOUT_CODES: Readonly<Record<string, string>> = {
  UND_ERR_CONNECT_TIMEOUT: 'connecting',
  UND_ERR_HEADERS_TIMEOUT: 'waiting for response headers',
  UND_ERR_BODY_TIMEOUT: 'waiting for the next part of the response body',
};

const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** The failure for an error thrown by the transport (connect, TLS, socket, timeouts) on `url`. */
export function failureForTransportError(
  err: unknown,
  url: string,
  options: UpstreamOptions,
): AttemptFailure {
  const code = errorCode(err);
  const stage = code === undefined ? undefined : TIMEOUT_CODES[code];
  if (stage !== undefined) {
    const limit = code === 'UND_ERR_CONNECT_TIMEOUT' ? options.connectTimeoutMs : stageLimit(code!, options);
    const message = `GET ${url} timed out ${stage} (limit ${limit} ms)`;
    return new AttemptFailure(new RepoxyError('UPSTREAM_TIMEOUT', message, { cause: err }), true);
  }
  const reason = err instanceof Error ? err.message : String(err);
  const message = `GET ${url} failed: ${reason}${code ? ` (${code})` : ''}`;
  const retryable = code !== undefined && RETRYABLE_CODES.has(code);
  return new AttemptFailure(new RepoxyError('UPSTREAM_HTTP', message, { cause: err }), retryable);
}

function stageLimit(code: string, options: UpstreamOptions): number {
  return code === 'UND_ERR_HEADERS_TIMEOUT' ? options.headersTimeoutMs : options.bodyTimeoutMs;
}

/** `code` of the error, its cause, or the first of an AggregateError (happy-eyeballs connects). */
function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const inner = e instanceof AggregateError ? e.errors[0] : (e as { cause?: unknown }).cause;
    e = inner;
  }
  return undefined;
}
