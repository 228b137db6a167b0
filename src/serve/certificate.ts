import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { generate } from 'selfsigned';

/** A throw-away CA certificate (what clients trust) and the loopback server certificate it signed. */
export interface LoopbackCertificate {
  readonly caCertPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** The names a client may dial the local mirror by; Go checks the server certificate's SANs only. */
export const LOOPBACK_NAMES = { dns: ['localhost'], ips: ['127.0.0.1', '::1'] } as const;

const VALIDITY_MS = 30 * 24 * 60 * 60 * 1000;
const CLOCK_SKEW_MS = 60 * 60 * 1000;

/**
 * Generates a CA and a server certificate for 127.0.0.1, ::1 and localhost (EC P-256, 30 days). The
 * CA's private key is dropped on return, so the exported CA certificate can vouch for this one server
 * certificate only; the server key stays in the memory of the process that serves with it.
 */
export async function generateLoopbackCertificate(now = new Date()): Promise<LoopbackCertificate> {
  const notBeforeDate = new Date(now.getTime() - CLOCK_SKEW_MS);
  const notAfterDate = new Date(now.getTime() + VALIDITY_MS);
  const ca = await generate([{ name: 'commonName', value: 'repoxy local mirror CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const leaf = await signServerCertificate(
    { key: ca.private, cert: ca.cert },
    { commonName: '127.0.0.1', ...LOOPBACK_NAMES, notBeforeDate, notAfterDate },
  );
  return { caCertPem: ca.cert, ...leaf };
}

/**
 * A server certificate signed by `ca` (EC P-256, SHA-256, not a CA, TLS server authentication only)
 * whose SANs are `dns` and `ips`: the only names Go checks.
 */
export async function signServerCertificate(
  ca: { key: string; cert: string },
  leaf: {
    commonName: string;
    dns: readonly string[];
    ips: readonly string[];
    notBeforeDate: Date;
    notAfterDate: Date;
  },
): Promise<{ certPem: string; keyPem: string }> {
  const signed = await generate([{ name: 'commonName', value: leaf.commonName }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: leaf.notBeforeDate,
    notAfterDate: leaf.notAfterDate,
    ca,
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...leaf.dns.map((value) => ({ type: 2 as const, value })),
          ...leaf.ips.map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  return { certPem: signed.cert, keyPem: signed.private };
}

/** Where Go looks for the system roots on Linux and the BSDs, first found wins (crypto/x509 root_linux.go). */
export const SYSTEM_CA_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/pki/tls/cacert.pem',
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem',
  '/etc/ssl/cert.pem',
] as const;

/**
 * Writes the file to export as SSL_CERT_FILE: the roots trusted so far (the current SSL_CERT_FILE, else
 * the system bundle) followed by `caCertPem`. Go replaces its system bundle file by SSL_CERT_FILE (it
 * still reads /etc/ssl/certs), and curl, git and Python trust only that file, so every later step
 * keeps its usual roots. Returns where the roots came from, or undefined when none were found.
 */
export async function writeTrustBundle(
  file: string,
  caCertPem: string,
  env: NodeJS.ProcessEnv,
): Promise<{ base?: string }> {
  const candidates = [env['SSL_CERT_FILE'], ...SYSTEM_CA_BUNDLES].filter((f): f is string => !!f);
  const base = candidates.find((f) => existsSync(f));
  const roots = base ? readFileSync(base, 'utf8') : '';
  const joined = roots === '' || roots.endsWith('\n') ? roots : `${roots}\n`;
  await writeFile(file, `${joined}${caCertPem.endsWith('\n') ? caCertPem : `${caCertPem}\n`}`, {
    mode: 0o644,
  });
  return base ? { base } : {};
}
