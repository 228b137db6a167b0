import { RepoxyError } from '../domain/errors.ts';

/**
 * Every limit of the upstream client, named, with its unit and default in one place
 * (undici `RetryHandler` habit). The values in effect are printed at debug via `describeOptions`.
 */
export interface UpstreamOptions {
  /** Requests in flight at once, all hosts together. */
  readonly concurrency: number;
  /** Requests in flight (and pooled connections) per origin. */
  readonly perHostConnections: number;
  /** TCP + TLS connect timeout, milliseconds. */
  readonly connectTimeoutMs: number;
  /** Time from request sent to response headers received, milliseconds. */
  readonly headersTimeoutMs: number;
  /** Longest stall between two body chunks, milliseconds. */
  readonly bodyTimeoutMs: number;
  /** Retries after the first attempt (total attempts = retries + 1). */
  readonly retries: number;
  /** Base of the exponential backoff, milliseconds (full jitter). */
  readonly backoffBaseMs: number;
  /** Upper bound of one backoff delay, milliseconds. */
  readonly backoffMaxMs: number;
  /** Upper bound of a server's `Retry-After`, milliseconds. */
  readonly retryAfterMaxMs: number;
  /** Largest registry JSON document, SHA256SUMS or signature, bytes. */
  readonly maxJsonBytes: number;
  /** Largest service discovery document, bytes (PROTOCOL.md §2.1: 1 MiB). */
  readonly maxDiscoveryBytes: number;
  /** Largest archive when the registry does not state its size, bytes. */
  readonly maxArchiveBytes: number;
  /** Redirects followed per request. */
  readonly maxRedirects: number;
  /** `User-Agent` header sent with every request. */
  readonly userAgent: string;
}

const MiB = 1024 * 1024;

export const DEFAULT_UPSTREAM_OPTIONS: UpstreamOptions = Object.freeze({
  concurrency: 16,
  perHostConnections: 8,
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  retries: 4,
  backoffBaseMs: 500,
  backoffMaxMs: 20_000,
  retryAfterMaxMs: 60_000,
  maxJsonBytes: 4 * MiB,
  maxDiscoveryBytes: 1 * MiB,
  maxArchiveBytes: 2048 * MiB,
  maxRedirects: 5,
  userAgent: 'repoxy-action',
});

/**
 * Defaults overlaid with `overrides` (undefined values ignored).
 * Throws INPUT_INVALID when a numeric limit is not a non-negative integer (concurrency ≥ 1).
 */
export function resolveUpstreamOptions(overrides: Partial<UpstreamOptions> = {}): UpstreamOptions {
  const defined = Object.entries(overrides).filter(([, v]) => v !== undefined);
  const options: UpstreamOptions = Object.freeze({
    ...DEFAULT_UPSTREAM_OPTIONS,
    ...Object.fromEntries(defined),
  });
  for (const [name, value] of Object.entries(options)) {
    if (name === 'userAgent') continue;
    const min = name === 'concurrency' || name === 'perHostConnections' ? 1 : 0;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      throw new RepoxyError(
        'INPUT_INVALID',
        `upstream option ${name} must be an integer >= ${min}, got ${value}`,
      );
    }
  }
  return options;
}

/** One line, `name=value unit` pairs, for debug output. */
export function describeOptions(options: UpstreamOptions = DEFAULT_UPSTREAM_OPTIONS): string {
  const o = options;
  return [
    `concurrency=${o.concurrency}`,
    `perHostConnections=${o.perHostConnections}`,
    `connectTimeout=${o.connectTimeoutMs}ms`,
    `headersTimeout=${o.headersTimeoutMs}ms`,
    `bodyTimeout=${o.bodyTimeoutMs}ms`,
    `retries=${o.retries}`,
    `backoffBase=${o.backoffBaseMs}ms`,
    `backoffMax=${o.backoffMaxMs}ms`,
    `retryAfterMax=${o.retryAfterMaxMs}ms`,
    `maxJson=${o.maxJsonBytes}B`,
    `maxDiscovery=${o.maxDiscoveryBytes}B`,
    `maxArchive=${o.maxArchiveBytes}B`,
    `maxRedirects=${o.maxRedirects}`,
  ].join(' ');
}
