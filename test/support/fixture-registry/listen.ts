import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TestCertificates } from '../tls.ts';

/** One listening server and its origin (`http(s)://ADDR:PORT`). */
export interface Listener {
  readonly origin: string;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Listens on `host:port` (port 0 = any free port), over TLS when `certs` are given. */
export async function listen(
  handler: Handler,
  options: { host: string; port: number; certs: TestCertificates | undefined },
): Promise<Listener> {
  const server: Server = options.certs
    ? createHttpsServer({ key: options.certs.keyPem, cert: options.certs.certPem }, handler)
    : createHttpServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    origin: `${options.certs ? 'https' : 'http'}://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // also ends stalled and endless responses
      }),
  };
}
