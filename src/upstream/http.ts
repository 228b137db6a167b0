import { unlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { isRepoxyError, RepoxyError } from '../domain/errors.ts';
import type { Answer } from './answer.ts';
import {
  discard,
  headerValue,
  limitsOf,
  parseJson,
  requireExpectedSize,
  requireJsonContentType,
} from './answer.ts';
import { createDispatcher } from './dispatcher.ts';
import { readBodyLimited, streamBodyToFile, type BodyObserver } from './download.ts';
import type { AuthContext } from './http-failures.ts';
import {
  AttemptFailure,
  backoffDelayMs,
  failureForStatus,
  failureForTransportError,
} from './http-failures.ts';
import { KeyedSemaphore, Semaphore } from './limiter.ts';
import type { UpstreamOptions } from './options.ts';
import { resolveUpstreamOptions } from './options.ts';
import { listTokens, redactSecrets } from './tokens.ts';
import { displayUrl, requireFetchableUrl } from './url-policy.ts';

/**
 * A bearer token bound to one origin. It is attached on a hop only when that hop's URL has exactly
 * this origin (scheme, host, port), so a redirect to another host never carries it.
 */
export interface BearerAuth {
  /** The registry hostname the token is for; names the TF_TOKEN_ variable in 401/403 messages. */
  readonly hostname: string;
  /** The token; undefined when none is configured. */
  readonly token: string | undefined;
  /** `URL.origin` the token may be sent to. */
  readonly origin: string;
}

/** Emitted for every request sent (each redirect hop and each retry counts). */
export interface RequestEvent {
  readonly url: string;
  readonly attempt: number;
  readonly hop: number;
  readonly authorization: boolean;
}

export interface UpstreamHttpInit {
  readonly options?: Partial<UpstreamOptions>;
  /** Read for proxy settings and for the tokens to redact from messages. Default: process.env. */
  readonly env?: NodeJS.ProcessEnv;
  readonly onRequest?: (event: RequestEvent) => void;
}

export interface FetchedBytes {
  readonly bytes: Buffer;
  /** The URL that answered, after redirects. */
  readonly finalUrl: string;
}

export interface FetchedJson {
  readonly value: unknown;
  readonly finalUrl: string;
}

export interface DownloadedFile {
  readonly size: number;
  readonly sha256: string;
  readonly finalUrl: string;
}

/** What every hop of one attempt shares. */
interface Exchange {
  readonly auth: BearerAuth | undefined;
  readonly accept: string | undefined;
  readonly attempt: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * The one pooled HTTP client of the engine. Limits total and per-origin concurrency, follows
 * redirects itself (re-deciding credentials per hop), retries transient failures with backoff, and
 * throws only RepoxyErrors whose messages never contain a TF_TOKEN_ value.
 */
export class UpstreamHttp {
  readonly options: UpstreamOptions;
  readonly #dispatcher: Dispatcher;
  readonly #global: Semaphore;
  readonly #perOrigin: KeyedSemaphore;
  readonly #secrets: readonly string[];
  readonly #onRequest: ((event: RequestEvent) => void) | undefined;
  #requestCount = 0;

  constructor(init: UpstreamHttpInit = {}) {
    const env = init.env ?? process.env;
    this.options = resolveUpstreamOptions(init.options);
    this.#dispatcher = createDispatcher(this.options, env);
    this.#global = new Semaphore(this.options.concurrency);
    this.#perOrigin = new KeyedSemaphore(this.options.perHostConnections);
    this.#secrets = listTokens(env);
    this.#onRequest = init.onRequest;
  }

  /** Requests sent so far (every hop and retry). */
  get requestCount(): number {
    return this.#requestCount;
  }

  /** GET a JSON document (200 only). `expectJson` requires Content-Type application/json (§2.1). */
  async getJson(
    url: string,
    opts: { auth?: BearerAuth; maxBytes?: number; expectJson?: boolean } = {},
  ): Promise<FetchedJson> {
    const maxBytes = opts.maxBytes ?? this.options.maxJsonBytes;
    return this.#withRetries(url, opts.auth, (attempt) =>
      this.#attempt(url, { auth: opts.auth, accept: 'application/json', attempt }, async (answer) => {
        if (opts.expectJson) requireJsonContentType(answer);
        const bytes = await readBodyLimited(answer.body, limitsOf(answer, maxBytes));
        return { value: parseJson(bytes, answer.url), finalUrl: answer.url };
      }),
    );
  }

  /** GET raw bytes (200 only), e.g. SHA256SUMS, byte-identical. */
  async getBytes(url: string, opts: { auth?: BearerAuth; maxBytes?: number } = {}): Promise<FetchedBytes> {
    const maxBytes = opts.maxBytes ?? this.options.maxJsonBytes;
    return this.#withRetries(url, opts.auth, (attempt) =>
      this.#attempt(url, { auth: opts.auth, accept: undefined, attempt }, async (answer) => {
        const bytes = await readBodyLimited(answer.body, limitsOf(answer, maxBytes));
        return { bytes, finalUrl: answer.url };
      }),
    );
  }

  /**
   * Streams `url` to `destPath`, hashing while writing; each retry restarts the file. With
   * `expectedSize` the body must be exactly that long. On failure the partial file is removed.
   * `observe` makes an observer for each attempt; the successful attempt's is returned.
   */
  async downloadToFile<O extends BodyObserver = never>(
    url: string,
    destPath: string,
    opts: { expectedSize?: number; maxBytes?: number; observe?: () => O } = {},
  ): Promise<DownloadedFile & { observer: O | undefined }> {
    const cap = Math.min(opts.maxBytes ?? this.options.maxArchiveBytes, opts.expectedSize ?? Infinity);
    try {
      return await this.#withRetries(url, undefined, (attempt) =>
        this.#attempt(url, { auth: undefined, accept: undefined, attempt }, async (answer) => {
          const limits = limitsOf(answer, cap);
          requireExpectedSize(answer.url, limits.declaredLength, opts.expectedSize);
          // A fresh observer per attempt: a retry starts the file, and what is seen of it, anew.
          const observer = opts.observe?.();
          const { size, sha256 } = await streamBodyToFile(answer.body, destPath, limits, observer);
          try {
            requireExpectedSize(answer.url, size, opts.expectedSize);
          } catch (err) {
            observer?.abandon();
            throw err;
          }
          return { size, sha256, finalUrl: answer.url, observer };
        }),
      );
    } catch (err) {
      await unlink(destPath).catch(() => undefined);
      throw err;
    }
  }

  /** Closes pooled connections. */
  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  async #withRetries<T>(
    url: string,
    auth: BearerAuth | undefined,
    attemptOnce: (attempt: number) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await attemptOnce(attempt);
      } catch (err) {
        const failure = err instanceof AttemptFailure ? err : asFailure(err, url, this.options);
        if (!failure.retryable || attempt > this.options.retries) {
          throw this.#finalError(failure, attempt, auth?.token);
        }
        await sleep(failure.retryAfterMs ?? backoffDelayMs(attempt, this.options));
      }
    }
  }

  /** One attempt: follows redirects hop by hop, then hands a 200 answer to `consume`. */
  async #attempt<T>(url: string, exchange: Exchange, consume: (answer: Answer) => Promise<T>): Promise<T> {
    const releaseGlobal = await this.#global.acquire();
    try {
      let current = requireFetchableUrl(url, 'URL', 'UPSTREAM_BAD_RESPONSE');
      const seen = new Set<string>();
      for (let hop = 0; ; hop++) {
        seen.add(current.href);
        const next = await this.#hop(current, hop, exchange, consume);
        if (next.done) return next.value;
        current = this.#redirectTarget(next.location, current, hop, seen);
      }
    } finally {
      releaseGlobal();
    }
  }

  async #hop<T>(
    url: URL,
    hop: number,
    exchange: Exchange,
    consume: (answer: Answer) => Promise<T>,
  ): Promise<{ done: true; value: T } | { done: false; location: string }> {
    const releaseOrigin = await this.#perOrigin.acquire(url.origin);
    let body: Readable | undefined;
    try {
      const tokenSent = tokenApplies(exchange.auth, url);
      const authContext: AuthContext = { hostname: exchange.auth?.hostname, tokenSent };
      const res = await this.#send(url, hop, exchange, tokenSent);
      body = res.body;
      const location = headerValue(res.headers, 'location');
      if (REDIRECT_STATUSES.has(res.statusCode) && location !== undefined) return { done: false, location };
      if (res.statusCode !== 200) {
        const retryAfter = headerValue(res.headers, 'retry-after');
        throw failureForStatus(res.statusCode, displayUrl(url.href), authContext, retryAfter, this.options);
      }
      return { done: true, value: await consume({ url: url.href, headers: res.headers, body: res.body }) };
    } catch (err) {
      if (err instanceof AttemptFailure || isRepoxyError(err)) throw err;
      throw failureForTransportError(err, displayUrl(url.href), this.options);
    } finally {
      if (body && !body.readableEnded) discard(body);
      releaseOrigin();
    }
  }

  async #send(
    url: URL,
    hop: number,
    exchange: Exchange,
    withToken: boolean,
  ): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent };
    if (exchange.accept !== undefined) headers['accept'] = exchange.accept;
    if (withToken && exchange.auth?.token !== undefined) {
      headers['authorization'] = `Bearer ${exchange.auth.token}`;
    }
    this.#requestCount++;
    this.#onRequest?.({
      url: displayUrl(url.href),
      attempt: exchange.attempt,
      hop,
      authorization: withToken,
    });
    const path = `${url.pathname}${url.search}`;
    return this.#dispatcher.request({ origin: url.origin, path, method: 'GET', headers });
  }

  #redirectTarget(location: string, from: URL, hop: number, seen: Set<string>): URL {
    const where = displayUrl(from.href);
    if (hop + 1 > this.options.maxRedirects) {
      throw new RepoxyError(
        'UPSTREAM_REDIRECT',
        `GET ${where}: more than ${this.options.maxRedirects} redirects`,
      );
    }
    const target = requireFetchableUrl(location, `redirect from ${where} to`, 'UPSTREAM_REDIRECT', from.href);
    target.hash = '';
    if (seen.has(target.href)) {
      throw new RepoxyError(
        'UPSTREAM_REDIRECT',
        `GET ${where}: redirect loop back to ${displayUrl(target.href)}`,
      );
    }
    return target;
  }

  #finalError(failure: AttemptFailure, attempts: number, token: string | undefined): RepoxyError {
    const { error } = failure;
    const secrets = token === undefined ? this.#secrets : [...this.#secrets, token];
    const tail = failure.retryable && attempts > 1 ? ` (gave up after ${attempts} attempts)` : '';
    const message = redactSecrets(error.message + tail, secrets);
    const detail = error.detail === undefined ? undefined : redactSecrets(error.detail, secrets);
    // The unredacted error is not kept as the cause: only what it wrapped (e.g. undici's error).
    return new RepoxyError(error.code, message, { detail, cause: error.cause });
  }
}

function tokenApplies(auth: BearerAuth | undefined, url: URL): boolean {
  return auth?.token !== undefined && url.origin === auth.origin;
}

function asFailure(err: unknown, url: string, options: UpstreamOptions): AttemptFailure {
  if (isRepoxyError(err)) return new AttemptFailure(err, false);
  return failureForTransportError(err, displayUrl(url), options);
}
