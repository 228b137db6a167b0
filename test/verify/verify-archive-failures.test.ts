import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifyArchive } from '../../src/verify/verify-archive.ts';
import { assertFails, OPENTOFU, OTHER_SHA, packages, useArchiveFixtures } from './archive-evidence.ts';
import { generateSigningKey, signDetached } from './signing.ts';

const f = useArchiveFixtures();

describe('verifyArchive: each failing check', () => {
  it('registry-packages: no entry for the platform', async () => {
    const a = await f.archive(OPENTOFU);
    const { linux_amd64: _dropped, ...rest } = packages(a);
    const e = await f.evidence(a, { meta: f.meta(a, { packages: rest }) });
    await assertFails(e, 'VERIFY_SHASUM', 'registry-packages', 'no entry for linux_amd64', 'darwin_arm64');
  });

  it('registry-packages: package_size is not > 0', async () => {
    const a = await f.archive(OPENTOFU);
    const e = await f.evidence(a, { meta: f.meta(a, { packages: packages(a, { package_size: 0 }) }) });
    await assertFails(
      e,
      'VERIFY_PACKAGE_SIZE',
      'registry-packages',
      'package_size is 0',
      'expected a size > 0',
    );
  });

  it('registry-packages: package_size differs from the downloaded size', async () => {
    const a = await f.archive(OPENTOFU);
    const e = await f.evidence(a, {
      meta: f.meta(a, { packages: packages(a, { package_size: a.bytes.length + 1 }) }),
    });
    await assertFails(
      e,
      'VERIFY_PACKAGE_SIZE',
      'registry-packages',
      `expected package_size ${a.bytes.length + 1} bytes`,
      `downloaded ${a.bytes.length} bytes`,
    );
  });

  it("registry-packages: the platform's zh: differs from the shasum", async () => {
    const a = await f.archive(OPENTOFU);
    const e = await f.evidence(a, {
      meta: f.meta(a, { packages: packages(a, { hashes: [`zh:${OTHER_SHA}`] }) }),
    });
    await assertFails(
      e,
      'VERIFY_SHASUM',
      'registry-packages',
      `expected zh:${a.sha}`,
      `actual zh:${OTHER_SHA}`,
    );
  });

  it('sums-line: SHA256SUMS has no line for the file', async () => {
    const a = await f.archive();
    const sums = Buffer.from(`${OTHER_SHA}  terraform-provider-null_3.2.0_darwin_arm64.zip\n`);
    const e = await f.evidence(a, { sums: { sums, signature: await signDetached(sums, f.key) } });
    await assertFails(e, 'VERIFY_SUMS_LINE', 'sums-line', `no line for "${a.filename}"`, a.sha);
  });

  it("sums-line: the document names another platform's archive", async () => {
    const a = await f.archive();
    const filename = 'terraform-provider-null_3.2.0_darwin_arm64.zip';
    const sums = Buffer.from(`${a.sha}  ${filename}\n`);
    const e = await f.evidence(a, {
      meta: f.meta(a, { filename }),
      sums: { sums, signature: await signDetached(sums, f.key) },
    });
    await assertFails(e, 'VERIFY_FILENAME', 'sums-line', `"${filename}"`, `expected "${a.filename}"`);
  });

  it('sums-line: SHA256SUMS lists another checksum for the file', async () => {
    const a = await f.archive();
    const sums = Buffer.from(`${OTHER_SHA}  ${a.filename}\n`);
    const e = await f.evidence(a, { sums: { sums, signature: await signDetached(sums, f.key) } });
    await assertFails(e, 'VERIFY_SUMS_LINE', 'sums-line', `lists sha256 ${OTHER_SHA}`, `expected ${a.sha}`);
  });

  it('shasum: the downloaded bytes do not hash to the shasum', async () => {
    const a = await f.archive();
    const e = await f.evidence(a, { download: { path: a.file, size: a.bytes.length, sha256: OTHER_SHA } });
    await assertFails(e, 'VERIFY_SHASUM', 'shasum', `expected zh:${a.sha}`, `actual zh:${OTHER_SHA}`);
  });

  it('signature: signed by a key the registry did not list', async () => {
    const a = await f.archive();
    const e = await f.evidence(a, {
      sums: { sums: a.sums, signature: await signDetached(a.sums, f.otherKey) },
    });
    await assertFails(
      e,
      'VERIFY_BAD_SIGNATURE',
      'signature',
      'unknown issuer',
      f.otherKey.keyId,
      f.key.keyId,
    );
  });

  it('signature: SHA256SUMS altered after signing', async () => {
    const a = await f.archive();
    const signature = await signDetached(a.sums, f.key);
    const altered = Buffer.concat([a.sums, Buffer.from(`${OTHER_SHA}  extra.zip\n`)]);
    const e = await f.evidence(a, { sums: { sums: altered, signature } });
    await assertFails(
      e,
      'VERIFY_BAD_SIGNATURE',
      'signature',
      `signature by key ${f.key.keyId} does not verify`,
    );
  });

  it('signature: an expired key when expiration is enforced', async () => {
    const a = await f.archive();
    const expiring = await generateSigningKey({
      keyExpirationTime: 3600,
      date: new Date('2024-01-01T00:00:00Z'),
    });
    const signature = await signDetached(a.sums, expiring, new Date('2024-01-01T00:10:00Z'));
    const e = await f.evidence(a, {
      meta: f.meta(a, { signingKeys: [expiring.armoredPublicKey] }),
      sums: { sums: a.sums, signature },
      enforceExpiration: true,
    });
    await assertFails(e, 'VERIFY_BAD_SIGNATURE', 'signature', expiring.keyId, 'expired on 2024-01-01');
    const accepted = await verifyArchive({ ...e, enforceExpiration: false });
    assert.equal(accepted.checks[3]!.detail, `signed by ${expiring.keyId} (expired)`);
    assert.match(
      accepted.checks[3]!.warnings![0]!,
      /registry\.terraform\.io\/hashicorp\/null 3\.2\.0 linux_amd64: .*expired/,
    );
  });

  it('lock-hash: the archive matches none of the lock hashes', async () => {
    const a = await f.archive();
    const e = await f.evidence(a, { lockHashes: [`zh:${OTHER_SHA}`, 'h1:AAAA', 'test:ignored'] });
    await assertFails(
      e,
      'VERIFY_LOCK_HASH',
      'lock-hash',
      `expected one of [zh:${OTHER_SHA}, h1:AAAA]`,
      `actual zh:${a.sha}`,
      a.zipHashes.h1Zip,
    );
  });

  it('lock-hash: the lock has hashes, but none in a usable scheme', async () => {
    const a = await f.archive();
    const e = await f.evidence(a, { lockHashes: ['test:abc', 'h0:unacceptable'] });
    await assertFails(
      e,
      'VERIFY_LOCK_HASH',
      'lock-hash',
      'does not support any of these checksum formats',
      'test:abc',
    );
  });
});
