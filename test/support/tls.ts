import { generate } from 'selfsigned';
import { signServerCertificate } from '../../src/serve/certificate.ts';

/** A private CA and a server certificate it signed, all PEM. */
export interface TestCertificates {
  /** The CA certificate: what clients trust (SSL_CERT_FILE for Go, `ca` for Node). */
  readonly caCertPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/**
 * Generates a throw-away CA and a leaf certificate for `dnsNames` and `ips` (default localhost,
 * 127.0.0.1, 127.0.0.2, ::1), valid from a day ago for 30 days. EC P-256 keys: fast to generate.
 * Go verifies the chain only through the SANs, so every name a client dials must be listed.
 */
export async function generateTestCertificates(
  options: { dnsNames?: string[]; ips?: string[] } = {},
): Promise<TestCertificates> {
  const notBeforeDate = new Date(Date.now() - 24 * 60 * 60 * 1000);
  const notAfterDate = new Date(notBeforeDate.getTime() + 30 * 24 * 60 * 60 * 1000);
  const ca = await generate([{ name: 'commonName', value: 'repoxy fixture CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const dnsNames = options.dnsNames ?? ['localhost'];
  const ips = options.ips ?? ['127.0.0.1', '127.0.0.2', '::1'];
  const leaf = await signServerCertificate(
    { key: ca.private, cert: ca.cert },
    { commonName: dnsNames[0] ?? ips[0] ?? 'localhost', dns: dnsNames, ips, notBeforeDate, notAfterDate },
  );
  return { caCertPem: ca.cert, ...leaf };
}
