import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { Agent, request } from 'undici';
import type { OciRegistry } from './oci-registry.ts';

/** One request as the proxy saw it. */
export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  /** The status the client got (a scripted fault, or the registry's). */
  readonly status: number;
  /** Whether the request carried an Authorization header. */
  readonly authorization: boolean;
}

/**
 * A scripted answer instead of forwarding: a status (with optional Retry-After seconds), or with
 * `cutBody` a status whose body breaks off (the connection is reset after a few of its bytes).
 */
export interface Fault {
  readonly status: number;
  readonly retryAfter?: string;
  readonly cutBody?: boolean;
}

export interface OciFaultProxy {
  /** `127.0.0.1:PORT`, same certificate (and CA) as the registry. */
  readonly host: string;
  readonly requests: ProxiedRequest[];
  /** Decides per request: a Fault answers it, undefined forwards it to the registry. */
  script: (method: string, path: string) => Fault | undefined;
  close(): Promise<void>;
}

/**
 * An HTTPS reverse proxy on 127.0.0.1 in front of a real registry that answers scripted faults
 * (5xx, 429) in the middle of a push. It forwards the Host header unchanged, so the registry's
 * upload locations point back at the proxy.
 */
export async function startOciFaultProxy(
  registry: OciRegistry,
  options: { bindHost?: string; rewriteLocation?: (location: string) => string } = {},
): Promise<OciFaultProxy> {
  const dispatcher = new Agent({ connect: { ca: registry.caCertPem } });
  const proxy: OciFaultProxy = {
    host: '',
    requests: [],
    script: () => undefined,
    close: async () => undefined,
  };
  const server: Server = createServer({ cert: registry.certPem, key: registry.keyPem }, (req, res) => {
    void forward(proxy, registry, dispatcher, options.rewriteLocation, req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, options.bindHost ?? '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return Object.assign(proxy, {
    host: `${options.bindHost ?? '127.0.0.1'}:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await dispatcher.close();
    },
  });
}

async function forward(
  proxy: OciFaultProxy,
  registry: OciRegistry,
  dispatcher: Agent,
  rewriteLocation: ((location: string) => string) | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const method = req.method ?? 'GET';
  const path = req.url ?? '/';
  const fault = proxy.script(method, path);
  if (fault) {
    req.resume();
    proxy.requests.push({ method, path, status: fault.status, authorization: !!req.headers.authorization });
    if (fault.cutBody) {
      res.writeHead(fault.status, { 'content-length': '64', 'content-type': 'application/json' });
      res.write('{"errors":', () => res.socket?.destroy());
      return;
    }
    res.writeHead(fault.status, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}).end();
    return;
  }
  const headers = { ...req.headers } as Record<string, string>;
  delete headers['connection'];
  const hasBody = method === 'PUT' || method === 'POST' || method === 'PATCH';
  const upstream = await request(`https://${registry.host}${path}`, {
    dispatcher,
    method: method as 'GET',
    headers,
    body: hasBody ? req : undefined,
  });
  proxy.requests.push({
    method,
    path,
    status: upstream.statusCode,
    authorization: !!req.headers.authorization,
  });
  const out = { ...upstream.headers } as Record<string, string>;
  delete out['connection'];
  delete out['transfer-encoding'];
  if (rewriteLocation && typeof out['location'] === 'string')
    out['location'] = rewriteLocation(out['location']);
  res.writeHead(upstream.statusCode, out);
  for await (const chunk of upstream.body) res.write(chunk);
  res.end();
}
