import { isRepoxyError, RepoxyError } from '../domain/errors.ts';
import type { BearerAuth, UpstreamHttp } from './http.ts';
import { hostForComparison, tokenForHost } from './tokens.ts';
import { displayUrl, requireFetchableUrl } from './url-policy.ts';

/** Where a registry host serves the provider registry protocol, and the credentials for it. */
export interface ProvidersService {
  /** The registry hostname as asked for (display form). */
  readonly hostname: string;
  /** `providers.v1`, absolute, ending in `/`; endpoints resolve relative to it. */
  readonly baseUrl: string;
  /** The host's TF_TOKEN_ (if any), bound to the origin that stands for the host. */
  readonly auth: BearerAuth;
}

/** One `--upstream HOST=URL`: HOST's `.well-known/terraform.json` is looked up under URL. */
export interface UpstreamOverride {
  /** Comparison form (punycode, lower case, no :443). */
  readonly host: string;
  /** The base URL, ending in `/`. */
  readonly url: string;
}

/** Parses `HOST=URL`; throws INPUT_INVALID naming what is wrong and what is accepted. */
export function parseUpstreamOverride(text: string): UpstreamOverride {
  const eq = text.indexOf('=');
  const rawHost = eq < 0 ? '' : text.slice(0, eq).trim();
  const rawUrl = eq < 0 ? '' : text.slice(eq + 1).trim();
  const usage = 'expected HOST=URL, e.g. registry.opentofu.org=https://registry.example.com/';
  if (rawHost === '' || rawUrl === '') throw invalidOverride(text, usage);
  const host = hostForComparison(rawHost);
  if (host === undefined) throw invalidOverride(text, `"${rawHost}" is not a hostname; ${usage}`);
  const url = requireFetchableUrl(rawUrl, `--upstream ${rawHost}:`, 'INPUT_INVALID');
  if (url.username !== '' || url.password !== '') {
    throw invalidOverride(text, 'the URL must not embed credentials; set TF_TOKEN_<host> instead');
  }
  if (url.search !== '' || url.hash !== '')
    throw invalidOverride(text, 'the URL must not have a query or fragment');
  return { host, url: withTrailingSlash(url.href) };
}

/** `new Map(host → url)` from `HOST=URL` texts; INPUT_INVALID on a bad or repeated HOST. */
export function parseUpstreamOverrides(texts: readonly string[]): Map<string, string> {
  const overrides = new Map<string, string>();
  for (const text of texts) {
    const { host, url } = parseUpstreamOverride(text);
    if (overrides.has(host)) throw invalidOverride(text, `${host} is given more than once`);
    overrides.set(host, url);
  }
  return overrides;
}

function invalidOverride(text: string, why: string): RepoxyError {
  return new RepoxyError('INPUT_INVALID', `invalid --upstream ${JSON.stringify(displayUrl(text))}: ${why}`);
}

/** The discovery document URL for `hostname` (PROTOCOL.md §2.1), honouring an override. */
export function discoveryUrl(hostname: string, overrides: ReadonlyMap<string, string>): string {
  const host = hostForComparison(hostname);
  if (host === undefined)
    throw new RepoxyError('INPUT_INVALID', `"${hostname}" is not a valid registry hostname`);
  const base = overrides.get(host) ?? `https://${host}/`;
  return new URL('.well-known/terraform.json', withTrailingSlash(base)).href;
}

/**
 * `providers.v1` of a discovery document, resolved against the document's final URL
 * (PROTOCOL.md §2.1): a string; http(s) (plain http only to loopback); no userinfo; fragment
 * stripped; ends in `/`. Throws UPSTREAM_DISCOVERY otherwise.
 */
export function providersServiceUrl(doc: unknown, documentUrl: string, hostname: string): string {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw discoveryError(hostname, `${displayUrl(documentUrl)} is not a JSON object`);
  }
  const services = doc as Record<string, unknown>;
  const value = services['providers.v1'];
  if (value === undefined) {
    const others = Object.keys(services).filter((k) => /^providers\.v[0-9]+$/.test(k));
    if (others.length === 0) throw discoveryError(hostname, 'host does not provide a providers service');
    throw discoveryError(
      hostname,
      `host supports ${others.sort().join(', ')} but not providers.v1, the only provider registry protocol version supported`,
    );
  }
  if (typeof value !== 'string') throw discoveryError(hostname, 'providers.v1 must be a string URL');
  let url: URL;
  try {
    url = requireFetchableUrl(value, 'providers.v1', 'UPSTREAM_DISCOVERY', documentUrl);
  } catch (err) {
    throw discoveryError(hostname, (err as Error).message);
  }
  if (url.username !== '' || url.password !== '') {
    throw discoveryError(hostname, 'providers.v1 must not contain user information');
  }
  url.hash = '';
  // Endpoints are resolved relative to this URL, so it must end in `/` (provider-registry-protocol.mdx).
  return withTrailingSlash(url.href);
}

function discoveryError(hostname: string, why: string): RepoxyError {
  return new RepoxyError('UPSTREAM_DISCOVERY', `service discovery for ${hostname}: ${why}`);
}

function withTrailingSlash(href: string): string {
  const url = new URL(href);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

/** Service discovery with one lookup per host for the life of the instance (PROTOCOL.md §2.1). */
export class ServiceDiscovery {
  readonly #http: UpstreamHttp;
  readonly #env: NodeJS.ProcessEnv;
  readonly #overrides: ReadonlyMap<string, string>;
  readonly #byHost = new Map<string, Promise<ProvidersService>>();

  constructor(init: { http: UpstreamHttp; env: NodeJS.ProcessEnv; overrides?: ReadonlyMap<string, string> }) {
    this.#http = init.http;
    this.#env = init.env;
    this.#overrides = normalizeKeys(init.overrides ?? new Map());
  }

  /** The providers service of `hostname`; a failure is remembered too (one attempt per run). */
  providersService(hostname: string): Promise<ProvidersService> {
    const key = hostForComparison(hostname) ?? hostname;
    let found = this.#byHost.get(key);
    if (!found) {
      found = this.#discover(hostname);
      found.catch(() => undefined); // callers see the rejection; this keeps it from being "unhandled"
      this.#byHost.set(key, found);
    }
    return found;
  }

  async #discover(hostname: string): Promise<ProvidersService> {
    const url = discoveryUrl(hostname, this.#overrides);
    const auth: BearerAuth = {
      hostname,
      token: tokenForHost(this.#env, hostname),
      origin: new URL(url).origin,
    };
    const maxBytes = this.#http.options.maxDiscoveryBytes;
    try {
      const doc = await this.#http.getJson(url, { auth, maxBytes, expectJson: true });
      return { hostname, baseUrl: providersServiceUrl(doc.value, doc.finalUrl, hostname), auth };
    } catch (err) {
      if (!isRepoxyError(err) || err.code === 'UPSTREAM_DISCOVERY') throw err;
      if (err.code === 'UPSTREAM_NOT_FOUND') {
        throw discoveryError(hostname, `host does not provide a providers service (${err.message})`);
      }
      if (err.code === 'UPSTREAM_BAD_RESPONSE') throw discoveryError(hostname, err.message);
      throw new RepoxyError(err.code, `service discovery for ${hostname}: ${err.message}`, { cause: err });
    }
  }
}

function normalizeKeys(overrides: ReadonlyMap<string, string>): Map<string, string> {
  return new Map([...overrides].map(([host, url]) => [hostForComparison(host) ?? host, url]));
}
