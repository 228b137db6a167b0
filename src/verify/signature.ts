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

/**
 * The time rule, as OpenTofu has it: findSigningKey calls `openpgp.CheckDetachedSignature(keyring,
 * document, signature, nil)` (internal/getproviders/package_authentication.go:683, OpenTofu f831fa1a),
 * and a nil config makes ProtonMail go-crypto v1.4.1 judge everything at `config.Now()`, the current time
 * (openpgp/packet/config.go:221-226; openpgp/read.go:585-617, checkMessageSignatureDetails). So:
 * - the cryptographic check and the key's binding signatures do not depend on time;
 * - a revoked key or subkey is refused whatever the revocation reason and whenever the signature was
 *   made (Revoked(now); a "soft" revocation too): openpgp.js counts revocations at any date here;
 * - expiry (key, subkey, signature, or a key or signature dated after now) is judged at `now`, never at
 *   the signature's own creation date, so back-dating a signature gains nothing; it is the soft
 *   ErrKeyExpired/ErrSignatureExpired that package_authentication.go:689-719 accepts with a warning
 *   unless OPENTOFU_ENFORCE_GPG_EXPIRATION=true.
 */
async function checkSignature(sums: Buffer, signature: Signature, signer: Signer): Promise<void> {
  const packet = signature.packets[0]!;
  const id = primaryKeyId(signer.key);
  try {
    // `null`: binding signatures, key flags and revocations, with no expiry check (judged later at now).
    const signingKey = await signer.key.getSigningKey(packet.issuerKeyID, null);
    const message = await openpgp.createMessage({ binary: new Uint8Array(sums) });
    const literal = message.packets[0] as object;
    // Judged at its own creation date: only the bytes are checked here, never the clock.
    await packet.verify(signingKey.keyPacket, packet.signatureType!, literal, packet.created!, true);
  } catch (cause) {
    throw new RepoxyError(
      'VERIFY_BAD_SIGNATURE',
      `SHA256SUMS signature by key ${id} does not verify: ${(cause as Error).message}`,
      { cause },
    );
  }
}

/** What has expired by `now` (go-crypto's KeyExpired and SigExpired): key, signing subkey, signature. */
async function expiriesBefore(now: Date, signer: Signer, packet: SignaturePacket): Promise<string[]> {
  const found: string[] = [];
  const primary = await signer.key.getExpirationTime();
  if (primary instanceof Date && primary <= now) found.push(`the key expired on ${day(primary)}`);
  if (signer.key.getCreationTime() > now) found.push('the key is dated in the future');
  if (signer.signingKey !== signer.key) {
    const subkey = await (signer.signingKey as Subkey).getExpirationTime(now);
    if (subkey instanceof Date && subkey <= now) {
      found.push(
        `its signing subkey ${signer.signingKey.getKeyID().toHex().toUpperCase()} expired on ${day(subkey)}`,
      );
    }
  }
  const own = packet.getExpirationTime();
  if (own instanceof Date && own <= now) found.push(`the signature expired on ${day(own)}`);
  if (packet.created && packet.created > now) found.push('the signature is dated in the future');
  return found;
}

function issuerId(packet: SignaturePacket): string {
  return packet.issuerKeyID.toHex().toUpperCase();
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}
