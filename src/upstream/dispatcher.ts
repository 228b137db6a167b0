import { Agent, EnvHttpProxyAgent } from 'undici';
import type { Dispatcher } from 'undici';
import type { UpstreamOptions } from './options.ts';

/**
 * The pooled undici dispatcher: keep-alive connections per origin, connect/headers/body timeouts,
 * and `EnvHttpProxyAgent` when HTTP(S)_PROXY is set in `env` (NO_PROXY honoured).
 */
export function createDispatcher(options: UpstreamOptions, env: NodeJS.ProcessEnv): Dispatcher {
  const agentOptions = {
    connections: options.perHostConnections,
    connect: { timeout: options.connectTimeoutMs },
    headersTimeout: options.headersTimeoutMs,
    bodyTimeout: options.bodyTimeoutMs,
  };
  const httpProxy = env.HTTP_PROXY || env.http_proxy || undefined;
  const httpsProxy = env.HTTPS_PROXY || env.https_proxy || httpProxy;
  if (httpProxy === undefined && httpsProxy === undefined) return new Agent(agentOptions);
  const noProxy = env.NO_PROXY ?? env.no_proxy ?? '';
  // Values passed explicitly so undici does not fall back to process.env behind our back.
  return new EnvHttpProxyAgent({ ...agentOptions, httpProxy: httpProxy ?? '', httpsProxy, noProxy });
}
