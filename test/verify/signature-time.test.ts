/**
 * The time a signature is judged at (issue 13): OpenTofu judges key, subkey and signature at the current
 * time, never at the signature's creation date (see the comment on checkSignature in
 * src/verify/signature.ts). Keys are generated here with chosen creation and expiry times.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as openpgp from 'openpgp';
import { verifySignature } from '../../src/verify/signature.ts';
import { generateSigningKey, signDetached, type TestSigningKey } from './signing.ts';

const SUMS = Buffer.from(`${'c'.repeat(64)}  terraform-provider-x_1.0.0_linux_amd64.zip\n`);
const CREATED = new Date('2024-01-01T00:00:00Z');
const at = (iso: string) => new Date(`2024-01-${iso}Z`);
/** Valid for one day: 2024-01-01 to 2024-01-02. */
const ONE_DAY = 24 * 3600;

describe('verifySignature: the time a signature is judged at (as OpenTofu: now)', () => {
  let key: TestSigningKey;
  before(async () => {
    key = await generateSigningKey({ keyExpirationTime: ONE_DAY, date: CREATED });
  });

  const verify = (sig: Buffer, now: Date, enforceExpiration = false) =>
    verifySignature(SUMS, sig, [key.armoredPublicKey], { now, enforceExpiration });

  it('a signature made while the key was valid, judged after the key expired: warned, or refused when enforced', async () => {
    const sig = await signDetached(SUMS, key, at('01T12:00:00'));
    assert.equal((await verify(sig, at('01T13:00:00'))).expired, false);
    const late = await verify(sig, at('05T00:00:00'));
    assert.equal(late.expired, true);
    assert.match(late.warnings[0]!, /the key expired on 2024-01-02/);
    await assert.rejects(verify(sig, at('05T00:00:00'), true), {
      code: 'VERIFY_BAD_SIGNATURE',
      message: /expired signatures are refused/,
    });
  });

  it('a signature made after the key expired is the same soft expiry, not a hard failure', async () => {
    // openpgp.js will not sign with an expired key: sign with the same key material, reformatted without expiry.
    const { privateKey } = await openpgp.reformatKey({
      privateKey: key.privateKey,
      userIDs: [{ name: 'Same key, no expiry' }],
      date: CREATED,
      format: 'object',
    });
    const sig = await signDetached(SUMS, { ...key, privateKey }, at('03T00:00:00'));
    const result = await verify(sig, at('05T00:00:00'));
    assert.deepEqual([result.keyId, result.expired], [key.keyId, true]);
    await assert.rejects(verify(sig, at('05T00:00:00'), true), { code: 'VERIFY_BAD_SIGNATURE' });
  });

  it('a back-dated signature gains nothing: the key is judged expired at now, not at the signature date', async () => {
    // Made "today" (after expiry) but dated inside the key's validity.
    const backDated = await signDetached(SUMS, key, at('01T06:00:00'));
    const result = await verify(backDated, at('10T00:00:00'));
    assert.equal(result.expired, true);
    await assert.rejects(verify(backDated, at('10T00:00:00'), true), { code: 'VERIFY_BAD_SIGNATURE' });
  });

  it('a signature dated after now is treated as expired (go-crypto SigExpired)', async () => {
    const future = await signDetached(SUMS, key, at('01T20:00:00'));
    const result = await verify(future, at('01T10:00:00'));
    assert.equal(result.expired, true);
    assert.match(result.warnings[0]!, /the signature is dated in the future/);
    await assert.rejects(verify(future, at('01T10:00:00'), true), { code: 'VERIFY_BAD_SIGNATURE' });
  });

  it('a key revoked after signing (reason: superseded) is refused, with or without enforcement', async () => {
    const fresh = await generateSigningKey({ date: CREATED });
    const sig = await signDetached(SUMS, fresh, at('01T01:00:00'));
    const { publicKey } = await openpgp.revokeKey({
      key: fresh.privateKey,
      reasonForRevocation: { flag: openpgp.enums.reasonForRevocation.keySuperseded },
      date: at('02T00:00:00'),
      format: 'armored',
    });
    for (const enforceExpiration of [false, true]) {
      await assert.rejects(
        verifySignature(SUMS, sig, [publicKey], { now: at('05T00:00:00'), enforceExpiration }),
        { code: 'VERIFY_BAD_SIGNATURE', message: new RegExp(`${fresh.keyId} does not verify: .*revoked`) },
      );
    }
  });
});
