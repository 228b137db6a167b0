import { createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { generate } from 'selfsigned';

/** One token request as the server saw it. */
export interface TokenRequest {
  readonly scope: string | null;
  readonly service: string | null;
  readonly user: string | undefined;
}

export interface OciTokenServer {
  /** `http://127.0.0.1:PORT/token` (loopback). */
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** The certificate of the signing key: Distribution's `rootcertbundle`. */
  readonly signingCertPem: string;
  readonly requests: TokenRequest[];
  close(): Promise<void>;
}

/**
 * A distribution token server (the bearer-challenge realm ghcr.io and Docker Hub use) on 127.0.0.1:
 * checks Basic credentials and answers `{"token": JWT}` whose ES256 signature and `x5c` header
 * Distribution 2.8's `auth: token` verifies against `signingCertPem`. Grants what the scope asks.
 */
export async function startOciTokenServer(
  user: { username: string; password: string },
  ...others: { username: string; password: string }[]
): Promise<OciTokenServer> {
  const users = [user, ...others];
  const key = await generate([{ name: 'commonName', value: 'repoxy token signer' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - 3_600_000),
    notAfterDate: new Date(Date.now() + 86_400_000),
  });
  const service = 'repoxy-test-registry';
  const issuer = 'repoxy-test-token-issuer';
  const requests: TokenRequest[] = [];
  const signer = { keyPem: key.private, certPem: key.cert, issuer, service };
  const server: Server = createServer((req, res) => answer(req, res, users, signer, requests));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    signingCertPem: key.cert,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

interface Signer {
  readonly keyPem: string;
  readonly certPem: string;
  readonly issuer: string;
  readonly service: string;
}

function answer(
  req: IncomingMessage,
  res: ServerResponse,
  users: readonly { username: string; password: string }[],
  signer: Signer,
  requests: TokenRequest[],
): void {
  const url = new URL(req.url ?? '/', 'http://token.invalid');
  const given = basicUser(req.headers.authorization);
  const scope = url.searchParams.get('scope');
  requests.push({ scope, service: url.searchParams.get('service'), user: given?.username });
  if (!given || !users.some((u) => given.username === u.username && given.password === u.password)) {
    res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
    return;
  }
  const token = signedToken(signer, given.username, scope);
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
}

function basicUser(header: string | undefined): { username: string; password: string } | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const text = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** A JWT (ES256, `x5c` = the signing certificate) granting the actions the scope names. */
function signedToken(signer: Signer, subject: string, scope: string | null): string {
  const now = Math.floor(Date.now() / 1000);
  const [type, name, actions] = (scope ?? '').split(':');
  const access = type && name && actions ? [{ type, name, actions: actions.split(',') }] : [];
  const der = new X509Certificate(signer.certPem).raw.toString('base64');
  const header = { typ: 'JWT', alg: 'ES256', x5c: [der] };
  const claims = {
    iss: signer.issuer,
    sub: subject,
    aud: signer.service,
    exp: now + 300,
    nbf: now - 60,
    iat: now,
    jti: randomUUID(),
    access,
  };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(input), {
    key: createPrivateKey(signer.keyPem),
    dsaEncoding: 'ieee-p1363',
  });
  return `${input}.${signature.toString('base64url')}`;
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}
