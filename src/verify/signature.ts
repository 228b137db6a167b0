import * as openpgp from 'openpgp';
import type { Key, Signature, SignaturePacket, Subkey } from 'openpgp';
import { RepoxyError } from '../domain/errors.ts';

/** A signature that verified: who signed, and whether the key or signature has expired by `now`. */
export interface SignatureResult {
  /** Primary key ID of the signer, 16 upper-case hex digits (even when a subkey signed). */
  readonly keyId: string;
  readonly expired: boolean;
  readonly warnings: string[];
}

export interface SignatureOptions {
  /** The clock expiry is judged against. Default: the current time. */
  readonly now?: Date;
  /** Refuse an expired key or signature (OPENTOFU_ENFORCE_GPG_EXPIRATION=true). Default false. */
  readonly enforceExpiration?: boolean;
}

interface Signer {
  readonly key: Key;
  readonly signingKey: Key | Subkey;
}

/**
 * Verifies a binary detached OpenPGP signature over the raw SHA256SUMS bytes against the registry's
 * armored keys, tried in order (PROTOCOL.md §2.4 step 4; findSigningKey in package_authentication.go):
 * a key that did not issue the signature is skipped; a signature that fails against its issuer fails
 * at once; an expired key or signature is used only when no unexpired key verifies, with a warning
 * (or refused when `enforceExpiration`). Throws VERIFY_BAD_SIGNATURE for every failure.
 */
export async function verifySignature(
  sums: Buffer,
  signature: Buffer,
  armoredKeys: readonly string[],
  options: SignatureOptions = {},
): Promise<SignatureResult> {
  const now = options.now ?? new Date();
  const packet = await readDetachedSignature(signature);
  const tried: string[] = [];
  let expiredMatch: SignatureResult | undefined;
  for (const [index, armored] of armoredKeys.entries()) {
    const keys = await readKeyRing(armored, index);
    tried.push(...keys.map(primaryKeyId));
    const signer = findSigner(keys, packet.packet);
    if (!signer) continue;
    await checkSignature(sums, packet.signature, signer);
    const expiries = await expiriesBefore(now, signer, packet.packet);
    const keyId = primaryKeyId(signer.key);
    if (expiries.length === 0) return { keyId, expired: false, warnings: [] };
    expiredMatch ??= {
      keyId,
      expired: true,
      warnings: [`SHA256SUMS is signed by key ${keyId}, but ${expiries.join(' and ')}`],
    };
  }
  if (expiredMatch && !options.enforceExpiration) return expiredMatch;
  if (expiredMatch) {
    throw new RepoxyError(
      'VERIFY_BAD_SIGNATURE',
      `${expiredMatch.warnings[0]}; expired signatures are refused (enforce expiration is on)`,
    );
  }
  throw new RepoxyError(
    'VERIFY_BAD_SIGNATURE',
    `authentication signature from unknown issuer: SHA256SUMS is signed by key ${issuerId(packet.packet)}, ` +
      `expected one of the registry's keys [${tried.join(', ')}]`,
  );
}

/** 16 upper-case hex digits of a key's primary key ID, as OpenTofu reports it. */
export function primaryKeyId(key: Key): string {
  return key.getKeyID().toHex().toUpperCase();
}

async function readDetachedSignature(
  bytes: Buffer,
): Promise<{ signature: Signature; packet: SignaturePacket }> {
  let signature: Signature;
  try {
    signature = await openpgp.readSignature({ binarySignature: new Uint8Array(bytes) });
  } catch (cause) {
    throw new RepoxyError(
      'VERIFY_BAD_SIGNATURE',
      `SHA256SUMS.sig is not a binary OpenPGP signature: ${(cause as Error).message}`,
      { cause },
    );
  }
  const packet = signature.packets[0];
  if (!packet) throw new RepoxyError('VERIFY_BAD_SIGNATURE', 'SHA256SUMS.sig holds no signature packet');
  return { signature, packet };
}

async function readKeyRing(armored: string, index: number): Promise<Key[]> {
  try {
    return await openpgp.readKeys({ armoredKeys: armored });
  } catch (cause) {
    throw new RepoxyError(
      'VERIFY_BAD_SIGNATURE',
      `signing key #${index + 1} from the registry is not an ASCII-armored OpenPGP public key: ${(cause as Error).message}`,
      { cause },
    );
  }
}

function findSigner(keys: readonly Key[], packet: SignaturePacket): Signer | undefined {
  for (const key of keys) {
    const [signingKey] = key.getKeys(packet.issuerKeyID);
    if (signingKey) return { key, signingKey };
  }
  return undefined;
}

async function checkSignature(sums: Buffer, signature: Signature, signer: Signer): Promise<void> {
  const message = await openpgp.createMessage({ binary: new Uint8Array(sums) });
  // Judged at signing time: expiry is OpenTofu's separate, softer question (expiriesBefore).
  const date = signature.packets[0]?.created ?? undefined;
  try {
    const { signatures } = await openpgp.verify({
      message,
      signature,
      verificationKeys: signer.key,
      date,
      format: 'binary',
    });
    await signatures[0]?.verified;
  } catch (cause) {
    throw new RepoxyError(
      'VERIFY_BAD_SIGNATURE',
      `SHA256SUMS signature by key ${primaryKeyId(signer.key)} does not verify: ${(cause as Error).message}`,
      { cause },
    );
  }
}

/** What has expired by `now`: the primary key, the signing subkey, the signature itself. */
async function expiriesBefore(now: Date, signer: Signer, packet: SignaturePacket): Promise<string[]> {
  const found: string[] = [];
  const primary = await signer.key.getExpirationTime();
  if (primary instanceof Date && primary <= now) found.push(`the key expired on ${day(primary)}`);
  if (signer.signingKey !== signer.key) {
    const subkey = await (signer.signingKey as Subkey).getExpirationTime(packet.created ?? now);
    if (subkey instanceof Date && subkey <= now) {
      found.push(
        `its signing subkey ${signer.signingKey.getKeyID().toHex().toUpperCase()} expired on ${day(subkey)}`,
      );
    }
  }
  const own = packet.getExpirationTime();
  if (own instanceof Date && own <= now) found.push(`the signature expired on ${day(own)}`);
  return found;
}

function issuerId(packet: SignaturePacket): string {
  return packet.issuerKeyID.toHex().toUpperCase();
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}
