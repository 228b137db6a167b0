import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import type { Dispatcher } from 'undici';
import { isRepoxyError, RepoxyError } from '../../domain/errors.ts';
import { createDispatcher } from '../../upstream/dispatcher.ts';
import { backoffDelayMs, parseRetryAfter } from '../../upstream/http-failures.ts';
import type { UpstreamOptions } from '../../upstream/options.ts';
import { resolveUpstreamOptions } from '../../upstream/options.ts';
import { redactSecrets } from '../../upstream/tokens.ts';
import { isLoopbackHost } from '../../upstream/url-policy.ts';
import { basicAuthorization, parseChallenge, tokenUrl } from './challenge.ts';
import type { OciCredentials } from './credentials.ts';
import type { BlobRef, OciDocument } from './layout.ts';
import { INDEX_MEDIA_TYPE, MANIFEST_MEDIA_TYPE } from './layout.ts';
import { errorText, readLimited, tokenOf, Transient } from './registry-reply.ts';

/** Emitted for every request sent to the registry or its token server (retries count). */
export interface OciRequestEvent {
  readonly method: string;
  readonly url: string;
  readonly status: number;
}

export interface OciClientInit {
  /** `host[:port]` of the registry. */
  readonly registry: string;
  /** Plain http; only for a loopback registry (INPUT_INVALID otherwise). */
  readonly plainHttp?: boolean;
  readonly credentials?: OciCredentials;
  /** Timeouts, retries, backoff, `Retry-After` cap and per-host connections (the upstream option set). */
  readonly options?: Partial<UpstreamOptions>;
  /** Extra CA certificate (PEM) to trust besides Node's store, which already has NODE_EXTRA_CA_CERTS. */
  readonly ca?: string;
  /** Read for HTTP(S)_PROXY and NO_PROXY. Default: process.env. */
  readonly env?: NodeJS.ProcessEnv;
  readonly onRequest?: (event: OciRequestEvent) => void;
}

interface Call {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT';
  /** A path on the registry, or an absolute URL (an upload location). */
  readonly target: string;
  readonly headers?: Record<string, string>;
  readonly body?: () => Buffer | Readable;
}

/** A response whose body has been read (small documents) or discarded. */
interface Reply {
  readonly status: number;
  readonly headers: Dispatcher.ResponseData['headers'];
  readonly body: Buffer;
}

const MANIFEST_ACCEPT = `${INDEX_MEDIA_TYPE}, ${MANIFEST_MEDIA_TYPE}`;

/**
 * A client of one registry's distribution API (OCI distribution spec v1.1) for pushing: answers
 * basic and bearer-token challenges per repository, retries transient failures with backoff and a
 * capped `Retry-After`, and sends credentials and tokens only to the registry's own origin (an upload
 * location or redirect on another host gets none). Throws RepoxyErrors (OCI_UNAUTHORIZED,
 * OCI_REGISTRY) whose messages never contain the password or a token.
 */
export class OciRegistryClient {
  readonly origin: string;
  readonly options: UpstreamOptions;
  readonly #dispatcher: Dispatcher;
  readonly #credentials: OciCredentials | undefined;
  readonly #authorization = new Map<string, string>();
  readonly #secrets = new Set<string>();
  readonly #onRequest: ((event: OciRequestEvent) => void) | undefined;
  #blobUploads = 0;

  constructor(init: OciClientInit) {
    const host = init.registry.replace(/:[0-9]+$/, '');
    if (init.plainHttp && !isLoopbackHost(host)) {
      throw new RepoxyError(
        'INPUT_INVALID',
        `plain http is only allowed for loopback registries, not ${host}`,
      );
    }
    this.origin = `${init.plainHttp ? 'http' : 'https'}://${init.registry}`;
    this.options = resolveUpstreamOptions(init.options);
    // HTTP(S)_PROXY and NO_PROXY as for upstream requests; an explicit CA (tests) gets its own agent.
    this.#dispatcher = init.ca
      ? new Agent({
          connections: this.options.perHostConnections,
          connect: { timeout: this.options.connectTimeoutMs, ca: init.ca },
          headersTimeout: this.options.headersTimeoutMs,
          bodyTimeout: this.options.bodyTimeoutMs,
        })
      : createDispatcher(this.options, init.env ?? process.env);
    this.#credentials = init.credentials;
    if (init.credentials) this.#secrets.add(init.credentials.password);
    this.#onRequest = init.onRequest;
  }

  /** Blob PUTs that completed. */
  get blobUploads(): number {
    return this.#blobUploads;
  }

  /** True when the repository has the blob (HEAD by digest). */
  async hasBlob(repo: string, digest: string): Promise<boolean> {
    const reply = await this.#retrying(repo, { method: 'HEAD', target: `/v2/${repo}/blobs/${digest}` });
    return this.#presence(reply, `blob ${digest} in ${repo}`);
  }

  /**
   * Uploads a blob monolithically in two steps, POST then PUT `?digest=` (Distribution 2.8 has no
   * single-request upload); the registry checks the digest. `body` is called once per attempt.
   */
  async uploadBlob(repo: string, blob: BlobRef, body: () => Buffer | Readable): Promise<void> {
    await this.#withRetries(async () => {
      const started = await this.#call(repo, { method: 'POST', target: `/v2/${repo}/blobs/uploads/` });
      const location = started.headers['location'];
      if (started.status !== 202 || typeof location !== 'string') {
        throw this.#unexpected(started, `starting an upload to ${repo}`);
      }
      const url = new URL(location, this.origin);
      url.searchParams.set('digest', blob.digest);
      const headers = { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) };
      const done = await this.#call(repo, { method: 'PUT', target: url.href, headers, body });
      if (done.status === 400 && done.body.includes('DIGEST_INVALID')) {
        throw new RepoxyError(
          'VERIFY_SHASUM',
          `the registry refused ${blob.digest}: the bytes sent hash to another digest`,
        );
      }
      if (done.status !== 201) throw this.#unexpected(done, `uploading ${blob.digest} to ${repo}`);
      this.#blobUploads++;
    });
  }

  /** The digest a manifest reference (tag or digest) resolves to, or undefined when there is none. */
  async manifestDigest(repo: string, reference: string): Promise<string | undefined> {
    const call: Call = {
      method: 'HEAD',
      target: `/v2/${repo}/manifests/${reference}`,
      headers: { accept: MANIFEST_ACCEPT },
    };
    const reply = await this.#retrying(repo, call);
    if (!this.#presence(reply, `manifest ${repo}:${reference}`)) return undefined;
    const digest = reply.headers['docker-content-digest'];
    return typeof digest === 'string' ? digest : undefined;
  }

  /** A manifest's bytes, or undefined when the reference does not exist. */
  async getManifest(repo: string, reference: string): Promise<Buffer | undefined> {
    const call: Call = {
      method: 'GET',
      target: `/v2/${repo}/manifests/${reference}`,
      headers: { accept: MANIFEST_ACCEPT },
    };
    const reply = await this.#retrying(repo, call);
    return this.#presence(reply, `manifest ${repo}:${reference}`) ? reply.body : undefined;
  }

  /** PUTs `doc` under `reference` (its digest, or a tag). */
  async putManifest(repo: string, reference: string, doc: OciDocument): Promise<void> {
    const headers = { 'content-type': doc.mediaType };
    const call: Call = {
      method: 'PUT',
      target: `/v2/${repo}/manifests/${reference}`,
      headers,
      body: () => doc.bytes,
    };
    const reply = await this.#retrying(repo, call);
    if (reply.status !== 201) throw this.#unexpected(reply, `putting manifest ${repo}:${reference}`);
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  #presence(reply: Reply, what: string): boolean {
    if (reply.status === 200 || reply.status === 307 || reply.status === 302) return true;
    if (reply.status === 404) return false;
    throw this.#unexpected(reply, `looking up ${what}`);
  }

  async #retrying(repo: string, call: Call): Promise<Reply> {
    return this.#withRetries(() => this.#call(repo, call));
  }

  async #withRetries<T>(attemptOnce: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await attemptOnce();
      } catch (err) {
        if (!(err instanceof Transient)) throw this.#redacted(err);
        if (attempt > this.options.retries) {
          throw this.#redacted(
            new RepoxyError('OCI_REGISTRY', `${err.message} (gave up after ${attempt} attempts)`),
          );
        }
        const after =
          err.retryAfterMs === undefined
            ? undefined
            : Math.min(err.retryAfterMs, this.options.retryAfterMaxMs);
        await sleep(after ?? backoffDelayMs(attempt, this.options));
      }
    }
  }

  /** One request, answering one auth challenge; 429/5xx/transport errors become Transient. */
  async #call(repo: string, call: Call): Promise<Reply> {
    const first = await this.#send(repo, call);
    if (first.status !== 401) return first;
    await this.#authenticate(repo, first);
    const second = await this.#send(repo, call);
    if (second.status === 401) throw this.#unauthorized(repo, this.#credentials !== undefined);
    return second;
  }

  async #send(repo: string, call: Call): Promise<Reply> {
    const url = new URL(call.target, this.origin);
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent, ...call.headers };
    const authorization = this.#authorization.get(repo) ?? this.#authorization.get('');
    // Credentials and tokens go to the registry's own origin only, never to another host.
    if (authorization && url.origin === this.origin) headers['authorization'] = authorization;
    return this.#exchange(call.method, url, headers, call.body?.());
  }

  async #exchange(
    method: Call['method'],
    url: URL,
    headers: Record<string, string>,
    body?: Buffer | Readable,
  ): Promise<Reply> {
    let res: Dispatcher.ResponseData;
    try {
      res = await this.#dispatcher.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method,
        headers,
        body,
      });
    } catch (err) {
      throw new Transient(`${method} ${url.origin}${url.pathname}: ${(err as Error).message}`, undefined);
    }
    // A connection reset while the body arrives is as transient as one before it; the size cap is not.
    const bytes = await readLimited(res).catch((err: unknown) => {
      if (isRepoxyError(err)) throw err;
      throw new Transient(`${method} ${url.origin}${url.pathname}: ${(err as Error).message}`, undefined);
    });
    this.#onRequest?.({ method, url: url.origin + url.pathname, status: res.statusCode });
    if (res.statusCode === 429 || res.statusCode >= 500) {
      const retryAfter = res.headers['retry-after'];
      const after = parseRetryAfter(typeof retryAfter === 'string' ? retryAfter : undefined, Date.now());
      throw new Transient(`${method} ${url.origin}${url.pathname}: HTTP ${res.statusCode}`, after);
    }
    return { status: res.statusCode, headers: res.headers, body: bytes };
  }

  /** Answers a 401's challenge: Basic with the credentials, or a token from the bearer realm. */
  async #authenticate(repo: string, reply: Reply): Promise<void> {
    const header = reply.headers['www-authenticate'];
    const challenge = parseChallenge(Array.isArray(header) ? header[0] : header);
    if (challenge.scheme === 'basic') {
      if (!this.#credentials) throw this.#unauthorized(repo, false);
      this.#authorization.set('', basicAuthorization(this.#credentials.username, this.#credentials.password));
      return;
    }
    if (challenge.scheme !== 'bearer' || !challenge.params['realm']) {
      throw new RepoxyError(
        'OCI_UNAUTHORIZED',
        `${this.origin} asked for authentication it does not describe (${String(header)})`,
      );
    }
    this.#authorization.set(repo, `Bearer ${await this.#fetchToken(repo, tokenUrl(challenge, repo))}`);
  }

  /**
   * A token from the realm the registry named. The realm may be another host (Docker Hub, GitLab): it
   * gets the credentials because the registry we were given them for sent us there; https only.
   */
  async #fetchToken(repo: string, realm: string): Promise<string> {
    const url = new URL(realm);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
      throw new RepoxyError(
        'OCI_UNAUTHORIZED',
        `token realm ${url.origin} is not https; credentials not sent`,
      );
    }
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent };
    const creds = this.#credentials;
    if (creds) headers['authorization'] = basicAuthorization(creds.username, creds.password);
    const reply = await this.#withRetries(() => this.#exchange('GET', url, headers));
    if (reply.status === 401 || reply.status === 403) throw this.#unauthorized(repo, creds !== undefined);
    if (reply.status !== 200)
      throw this.#unexpected(reply, `getting a token from ${url.origin}${url.pathname}`);
    const token = tokenOf(reply.body);
    if (!token)
      throw new RepoxyError('OCI_REGISTRY', `the token server ${url.origin} answered without a token`);
    this.#secrets.add(token);
    return token;
  }

  #unauthorized(repo: string, sent: boolean): RepoxyError {
    const where = `${this.origin}/${repo}`;
    const message = sent
      ? `${where} rejected the given credentials (${this.#credentials?.source ?? 'none'}): check the username and password or token, and that it may push (GHCR: packages: write)`
      : `${where} requires authentication credentials: pass --username with REPOXY_OCI_PASSWORD, or log in (~/.docker/config.json)`;
    return new RepoxyError('OCI_UNAUTHORIZED', message);
  }

  #unexpected(reply: Reply, doing: string): RepoxyError {
    if (reply.status === 403)
      return new RepoxyError('OCI_UNAUTHORIZED', `${doing}: HTTP 403 ${errorText(reply.body)}`);
    return new RepoxyError('OCI_REGISTRY', `${doing}: HTTP ${reply.status} ${errorText(reply.body)}`.trim());
  }

  #redacted(err: unknown): unknown {
    if (!isRepoxyError(err)) return err;
    return new RepoxyError(err.code, redactSecrets(err.message, this.#secrets), { cause: err.cause });
  }
}
