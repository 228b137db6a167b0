import * as openpgp from 'openpgp';
import type { PrivateKey } from 'openpgp';

/** A signing key generated at test time: the private key and its armored public half. */
export interface TestSigningKey {
  readonly privateKey: PrivateKey;
  readonly armoredPublicKey: string;
  /** Primary key ID, 16 upper-case hex digits. */
  readonly keyId: string;
}

/** Generates an Ed25519 key (fast); `keyExpirationTime` in seconds, `date` its creation time. */
export async function generateSigningKey(
  options: { keyExpirationTime?: number; date?: Date } = {},
): Promise<TestSigningKey> {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    userIDs: [{ name: 'Fixture Registry', email: 'registry@example.test' }],
    format: 'object',
    ...options,
  });
  return {
    privateKey,
    armoredPublicKey: publicKey.armor(),
    keyId: publicKey.getKeyID().toHex().toUpperCase(),
  };
}

/** A binary detached signature over `data`, as registries serve SHA256SUMS.sig. */
export async function signDetached(data: Buffer, key: TestSigningKey, date?: Date): Promise<Buffer> {
  const message = await openpgp.createMessage({ binary: new Uint8Array(data) });
  const signature = await openpgp.sign({
    message,
    signingKeys: key.privateKey,
    detached: true,
    format: 'binary',
    date,
  });
  return Buffer.from(signature);
}
