import * as openpgp from 'openpgp';

/**
 * OpenPGP keys generated at test time. Keys are v4 EdDSA (ed25519Legacy) by default, the format
 * OpenTofu's ProtonMail go-crypto accepts, and fast to generate; or v4 RSA 2048 (what the real
 * registries use), which Terraform 1.5.7's older openpgp also reads ("public key type: 22" is EdDSA).
 */
export interface SigningKey {
  /** Primary key ID, 16 upper-case hex digits (what OpenTofu reports, PROTOCOL.md §2.4). */
  readonly keyId: string;
  readonly publicKeyArmored: string;
  /** A binary detached signature over `data` (the SHA256SUMS format, PROTOCOL.md §2.4). */
  signDetached(data: Uint8Array): Promise<Buffer>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The algorithm of a generated signing key. */
export type SigningKeyType = 'ed25519' | 'rsa';

/**
 * Generates a signing key (`type` default 'ed25519'). With `expired`, the key was created two days
 * ago and expired after one day; its signatures are dated while it was still valid (like an old
 * release signed by a retired key).
 */
export async function generateSigningKey(
  options: { name?: string; expired?: boolean; type?: SigningKeyType } = {},
): Promise<SigningKey> {
  const now = Date.now();
  const created = new Date(options.expired ? now - 2 * DAY_MS : now - 60_000);
  const algorithm =
    options.type === 'rsa'
      ? ({ type: 'rsa', rsaBits: 2048 } as const)
      : ({ type: 'ecc', curve: 'ed25519Legacy' } as const);
  const { privateKey } = await openpgp.generateKey({
    ...algorithm,
    userIDs: [{ name: options.name ?? 'Fixture Registry', email: 'fixture-registry@example.com' }],
    date: created,
    keyExpirationTime: options.expired ? DAY_MS / 1000 : 0,
    format: 'object',
    config: { v6Keys: false },
  });
  const signingDate = options.expired ? new Date(created.getTime() + 60 * 60 * 1000) : undefined;
  return {
    keyId: privateKey.getKeyID().toHex().toUpperCase(),
    publicKeyArmored: privateKey.toPublic().armor(),
    signDetached: async (data) => {
      const message = await openpgp.createMessage({ binary: data });
      const signature = await openpgp.sign({
        message,
        signingKeys: privateKey,
        detached: true,
        format: 'binary',
        ...(signingDate ? { date: signingDate } : {}),
      });
      return Buffer.from(signature);
    },
  };
}

/**
 * Verifies a binary detached signature over `data` against armored public keys. Returns the key ID
 * that made it; throws when no key verifies it. `date` is the verification time (default now;
 * pass the signature's time to accept expired keys).
 */
export async function verifyDetachedSignature(
  data: Uint8Array,
  signature: Uint8Array,
  armoredKeys: readonly string[],
  date?: Date,
): Promise<string> {
  const verificationKeys = await Promise.all(
    armoredKeys.map((armoredKey) => openpgp.readKey({ armoredKey })),
  );
  const result = await openpgp.verify({
    message: await openpgp.createMessage({ binary: data }),
    signature: await openpgp.readSignature({ binarySignature: signature }),
    verificationKeys,
    format: 'binary',
    ...(date ? { date } : {}),
  });
  const first = result.signatures[0];
  if (!first) throw new Error('verifyDetachedSignature: no signature packet');
  await first.verified; // throws when the signature does not verify
  return first.keyID.toHex().toUpperCase();
}
