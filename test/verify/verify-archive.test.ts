import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifyArchive } from '../../src/verify/verify-archive.ts';
import {
  assertFails,
  OPENTOFU,
  OTHER_SHA,
  packages,
  TERRAFORM,
  useArchiveFixtures,
} from './archive-evidence.ts';

const f = useArchiveFixtures();

describe('verifyArchive: a verified archive', () => {
  it('passes a signed registry.terraform.io archive, recording every check in order', async () => {
    const a = await f.archive();
    const v = await verifyArchive(await f.evidence(a));
    assert.equal(v.signingKeyId, f.key.keyId);
    assert.deepEqual(
      v.checks.map((c) => [c.check, c.outcome]),
      [
        ['registry-packages', 'skipped'],
        ['sums-line', 'passed'],
        ['shasum', 'passed'],
        ['signature', 'passed'],
        ['lock-hash', 'passed'],
      ],
    );
    assert.equal(v.checks[0]!.detail, 'registry sent no packages extension');
    assert.equal(v.checks[3]!.detail, `signed by ${f.key.keyId}`);
    assert.equal(v.checks[4]!.detail, `lock file lists zh:${a.sha}`);
  });

  it('checks the packages extension when the registry sends it', async () => {
    const a = await f.archive(OPENTOFU);
    const e = await f.evidence(a, { meta: f.meta(a, { packages: packages(a) }) });
    const v = await verifyArchive(e);
    assert.deepEqual(v.checks[0], {
      check: 'registry-packages',
      outcome: 'passed',
      detail: `packages[linux_amd64]: ${a.bytes.length} bytes, zh:${a.sha}`,
    });
  });

  it('skips the lock check when the lock records no hashes', async () => {
    const a = await f.archive();
    const v = await verifyArchive(await f.evidence(a, { lockHashes: [] }));
    assert.equal(v.checks[4]!.outcome, 'skipped');
  });

  it('accepts a lock h1: that equals the HashZip of the archive', async () => {
    const a = await f.archive();
    const v = await verifyArchive(
      await f.evidence(a, { lockHashes: [a.zipHashes.h1Zip, `zh:${OTHER_SHA}`] }),
    );
    assert.deepEqual(v.checks[4], {
      check: 'lock-hash',
      outcome: 'passed',
      detail: `lock file lists ${a.zipHashes.h1Zip}`,
    });
  });

  it('accepts a match on the unpacked h1: alone, with a warning that tofu init needs the zh:', async () => {
    const a = await f.archive(TERRAFORM, [
      { name: 'docs/', data: '', dir: true },
      { name: 'terraform-provider-null_v3.2.0_x5', data: 'binary' },
    ]);
    assert.notEqual(a.zipHashes.h1Zip, a.zipHashes.h1Unpacked);
    const v = await verifyArchive(await f.evidence(a, { lockHashes: [a.zipHashes.h1Unpacked] }));
    assert.equal(v.checks[4]!.outcome, 'passed');
    assert.match(v.checks[4]!.warnings![0]!, /matches the lock only by the h1: of its unpacked files/);
  });
});

describe('verifyArchive: signature policy without keys', () => {
  it('skips the signature for registry.opentofu.org without keys, with a warning (as OpenTofu does)', async () => {
    const a = await f.archive(OPENTOFU);
    const v = await verifyArchive(await f.evidence(a, { meta: f.meta(a, { signingKeys: [] }) }));
    assert.equal(v.signingKeyId, null);
    const signature = v.checks[3]!;
    assert.equal(signature.outcome, 'skipped');
    assert.match(
      signature.warnings![0]!,
      /registry\.opentofu\.org\/hashicorp\/null 3\.2\.0 linux_amd64: .*no signing keys/,
    );
  });

  it('fails registry.terraform.io without keys with VERIFY_NO_KEYS', async () => {
    const a = await f.archive(TERRAFORM);
    const e = await f.evidence(a, { meta: f.meta(a, { signingKeys: [] }) });
    await assertFails(
      e,
      'VERIFY_NO_KEYS',
      'signature',
      'expected at least one signing key',
      'actual: the registry sent none',
    );
  });

  it('fails registry.opentofu.org without keys when GPG validation is enforced', async () => {
    const a = await f.archive(OPENTOFU);
    const e = await f.evidence(a, { meta: f.meta(a, { signingKeys: [] }), enforceGpgValidation: true });
    await assertFails(e, 'VERIFY_NO_KEYS', 'signature', 'GPG validation is enforced');
  });
});
