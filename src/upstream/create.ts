import { parseUpstreamOverrides } from './discovery.ts';
import type { RequestEvent } from './http.ts';
import { UpstreamHttp } from './http.ts';
import type { UpstreamOptions } from './options.ts';
import { RegistrySource } from './registry-source.ts';

/** The upstream stage as the engine uses it: one HTTP client, one registry source. */
export interface Upstream {
  readonly source: RegistrySource;
  readonly http: UpstreamHttp;
  /** Requests sent so far (every hop and retry). */
  requestCount(): number;
  /** Closes pooled connections; call once the run is done. */
  close(): Promise<void>;
}

/**
 * Builds the registry client from front-door inputs. `upstreams` are `HOST=URL` texts; throws
 * INPUT_INVALID on a bad one, on a repeated HOST, or on a bad option value.
 */
export function createUpstream(init: {
  env: NodeJS.ProcessEnv;
  upstreams?: readonly string[];
  options?: Partial<UpstreamOptions>;
  onRequest?: (event: RequestEvent) => void;
}): Upstream {
  const overrides = parseUpstreamOverrides(init.upstreams ?? []);
  const http = new UpstreamHttp({ options: init.options, env: init.env, onRequest: init.onRequest });
  const source = new RegistrySource({ http, env: init.env, overrides });
  return { source, http, requestCount: () => http.requestCount, close: () => http.close() };
}
