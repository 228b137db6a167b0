import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { verifySignature } from '../../src/verify/signature.ts';
import { generateSigningKey, signDetached } from './signing.ts';
import type { TestSigningKey } from './signing.ts';

const GPG = path.resolve(import.meta.dirname, '../../../shared/vectors/opentofu/gpg');
const read = (name: string) => readFileSync(path.join(GPG, name));

const NULL_SUMS = read('provider-null_3.1.0_SHA256SUMS');
const NULL_SIG = read('provider-null_3.1.0_SHA256SUMS.sig');
const HASHICORP_KEY = read('TestingPublicKey.asc').toString('utf8');
const PLACEHOLDER_SUMS = read('placeholder_SHA256SUMS');
const PLACEHOLDER_SIG = read('placeholder_SHA256SUMS.sig');
const AUTHOR_KEY = read('testAuthorKey.asc').toString('utf8');

describe('verifySignature: OpenTofu vectors (VECTORS.md §4)', () => {
  it('accepts the HashiCorp subkey signature, reports the PRIMARY key id, and flags it expired', async () => {
    const result = await verifySignature(NULL_SUMS, NULL_SIG, [HASHICORP_KEY]);
    assert.equal(result.keyId, '34365D9472D7468F');
    assert.equal(result.expired, true);
    assert.equal(result.warnings.length, 1);
    assert.match(
      result.warnings[0]!,
      /34365D9472D7468F.*signing subkey B0B441097685B676 expired on 2022-04-20/,
    );
  });

  it('is not expired when judged at a time before the subkey expired', async () => {
    const result = await verifySignature(NULL_SUMS, NULL_SIG, [HASHICORP_KEY], {
      now: new Date('2021-05-01T00:00:00Z'),
    });
    assert.deepEqual(result, { keyId: '34365D9472D7468F', expired: false, warnings: [] });
  });

  it('refuses the expired signature when expiration is enforced', async () => {
    await assert.rejects(verifySignature(NULL_SUMS, NULL_SIG, [HASHICORP_KEY], { enforceExpiration: true }), {
      code: 'VERIFY_BAD_SIGNATURE',
      message: /34365D9472D7468F.*expired.*enforce/,
    });
  });

  it('accepts the placeholder signature by testAuthorKey, reporting its 16-hex key id', async () => {
    const result = await verifySignature(PLACEHOLDER_SUMS, PLACEHOLDER_SIG, [AUTHOR_KEY]);
    assert.deepEqual(result, { keyId: '37A6AB3BCF2C170A', expired: false, warnings: [] });
  });

  it('fails with "unknown issuer" against a key that did not sign, naming issuer and keys tried', async () => {
    await assert.rejects(verifySignature(PLACEHOLDER_SUMS, PLACEHOLDER_SIG, [HASHICORP_KEY]), {
      code: 'VERIFY_BAD_SIGNATURE',
      message: /authentication signature from unknown issuer.*37A6AB3BCF2C170A.*\[34365D9472D7468F\]/,
    });
  });

  it('tries keys in order and skips the ones that did not issue the signature', async () => {
    const result = await verifySignature(PLACEHOLDER_SUMS, PLACEHOLDER_SIG, [HASHICORP_KEY, AUTHOR_KEY]);
    assert.equal(result.keyId, '37A6AB3BCF2C170A');
  });

  it('fails at once when the issuer key does not verify the bytes (tampered SHA256SUMS)', async () => {
    const tampered = Buffer.concat([NULL_SUMS, Buffer.from('\n')]);
    await assert.rejects(verifySignature(tampered, NULL_SIG, [HASHICORP_KEY, AUTHOR_KEY]), {
      code: 'VERIFY_BAD_SIGNATURE',
      message: /signature by key 34365D9472D7468F does not verify/,
    });
  });

  it('fails with no keys at all as unknown issuer', async () => {
    await assert.rejects(verifySignature(NULL_SUMS, NULL_SIG, []), {
      code: 'VERIFY_BAD_SIGNATURE',
      message: /unknown issuer.*B0B441097685B676.*\[\]/,
    });
  });
});

describe('verifySignature: malformed evidence', () => {
  it('refuses a key that is not ASCII-armored OpenPGP', async () => {
    await assert.rejects(verifySignature(NULL_SUMS, NULL_SIG, ['not a key']), {
      code: 'VERIFY_BAD_SIGNATURE',
      message: /signing key #1 .*not an ASCII-armored OpenPGP public key/,
    });
  });

  it('refuses signature bytes that are not a binary OpenPGP signature', async () => {
    await assert.rejects(verifySignature(NULL_SUMS, Buffer.from('garbage'), [HASHICORP_KEY]), {
      code: 'VERIFY_BAD_SIGNATURE',
      message: /SHA256SUMS\.sig is not a binary OpenPGP signature/,
    });
  });
});

describe('verifySignature: keys generated at test time', () => {
  let key: TestSigningKey;
  before(async () => {
    key = await generateSigningKey();
  });

  it('accepts a fresh signature by a fresh key', async () => {
    const sums = Buffer.from(`${'c'.repeat(64)}  terraform-provider-x_1.0.0_linux_amd64.zip\n`);
    const result = await verifySignature(sums, await signDetached(sums, key), [key.armoredPublicKey]);
    assert.deepEqual(result, { keyId: key.keyId, expired: false, warnings: [] });
  });

  it('flags a key whose expiration time has passed, and refuses it when enforced', async () => {
    const created = new Date('2024-01-01T00:00:00Z');
    const expiring = await generateSigningKey({ keyExpirationTime: 3600, date: created });
    const sums = Buffer.from('data');
    const sig = await signDetached(sums, expiring, new Date('2024-01-01T00:10:00Z'));
    const later = new Date('2024-01-01T02:00:00Z');
    const result = await verifySignature(sums, sig, [expiring.armoredPublicKey], { now: later });
    assert.equal(result.expired, true);
    assert.match(result.warnings[0]!, new RegExp(`${expiring.keyId}, but the key expired on 2024-01-01`));
    const earlier = new Date('2024-01-01T00:30:00Z');
    assert.equal(
      (await verifySignature(sums, sig, [expiring.armoredPublicKey], { now: earlier })).expired,
      false,
    );
    await assert.rejects(
      verifySignature(sums, sig, [expiring.armoredPublicKey], { now: later, enforceExpiration: true }),
      { code: 'VERIFY_BAD_SIGNATURE' },
    );
  });

  it('refuses an armored signature where a binary one is expected', async () => {
    const sums = Buffer.from('data');
    const binary = await signDetached(sums, key);
    const { readSignature } = await import('openpgp');
    const armored = Buffer.from((await readSignature({ binarySignature: new Uint8Array(binary) })).armor());
    await assert.rejects(verifySignature(sums, armored, [key.armoredPublicKey]), {
      code: 'VERIFY_BAD_SIGNATURE',
    });
  });
});
