/**
 * A poisoned store (issue 13): the store (`--cache-dir`, the Actions cache behind it) is written by
 * whoever can write the cache. Each attack ends in a refetch whose output is byte for byte a cold run's,
 * or in a failure with the previous mirror intact: never a different published byte.
 */
import assert from 'node:assert/strict';
import { cp, lstat, mkdir, open, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { eventsOf, failedWith, snapshotTree, succeeded, type BuildRun } from '../engine/support/harness.ts';
import { startTwoHostRegistry, TF_NULL, TOFU_RANDOM } from '../engine/support/providers.ts';
import type { FixtureRegistry, RequestRecord } from '../support/fixture-registry.ts';
import { generateSigningKey } from '../support/pgp.ts';
import { buildZip } from '../support/zip-builder.ts';
import {
  assertColdOutput,
  coldReference,
  poisonedCase,
  readStoredDoc,
  sha256,
  writeJson,
  type Reference,
} from './support/poisoned-store.ts';

const GUARD = { timeout: 120_000 };
const NULL_DIR = 'refs/registry.terraform.io/hashicorp/null/3.2.3';
const LINUX_DOC = `${NULL_DIR}/download/linux_amd64.json`;
const LINUX_ZIP = 'terraform-provider-null_3.2.3_linux_amd64.zip';
const PLANTED = buildZip([
  { name: 'terraform-provider-null_v3.2.3', data: 'planted '.repeat(4000) },
  { name: 'README', data: 'not the provider' },
]);

/** Upstream requests by kind. */
function countRequests(requests: readonly RequestRecord[]) {
  const of = (re: RegExp) => requests.filter((r) => re.test(r.path)).length;
  return {
    zips: of(/\.zip$/),
    documents: of(/\/download\/[^/]+\/[^/]+$/),
    sums: of(/SHA256SUMS$/),
    signatures: of(/SHA256SUMS\.sig$/),
    total: requests.length,
  };
}

function corruptions(run: BuildRun): string[] {
  return eventsOf(run.events, 'store-corrupt').map((e) => e.message);
}

describe('a poisoned store: each attack of issue 13', () => {
  let registry: FixtureRegistry;
  let ref: Reference;
  let genuine: { sha256: string; h1: string };

  before(async () => {
    registry = await startTwoHostRegistry();
    ref = await coldReference(registry, registry.lockFile([TF_NULL, TOFU_RANDOM], 'both'));
    await ref.ws.writeLock('none/lock.hcl', registry.lockFile([TF_NULL, TOFU_RANDOM], 'none'));
    const a = registry.archive(TF_NULL.address, TF_NULL.version, 'linux_amd64');
    genuine = { sha256: a.sha256, h1: a.h1Unpacked };
    registry.resetRequests();
  });
  afterEach(() => {
    registry.clearFaults();
    registry.resetRequests();
  });
  after(async () => {
    await registry.close();
    await ref.ws.remove();
  });

  /** Plants PLANTED in the store and points the linux document and SHA256SUMS line at it. */
  async function plant(store: string, keys?: { keyId: string; publicKeyArmored: string }): Promise<string> {
    const planted = sha256(PLANTED);
    await writeFile(path.join(store, 'packages/sha256', `${planted}.zip`), PLANTED);
    const doc = await readStoredDoc(store, LINUX_DOC);
    doc.document['shasum'] = planted;
    if (keys)
      doc.document['signing_keys'] = {
        gpg_public_keys: [{ key_id: keys.keyId, ascii_armor: keys.publicKeyArmored }],
      };
    await writeJson(path.join(store, LINUX_DOC), doc);
    const sums = await readFile(path.join(store, NULL_DIR, 'SHA256SUMS'), 'utf8');
    await writeFile(path.join(store, NULL_DIR, 'SHA256SUMS'), sums.replace(genuine.sha256, planted));
    return planted;
  }

  it(
    'a warm run on an untouched store makes 0 upstream requests, every archive anchored by the lock',
    GUARD,
    async () => {
      const c = await poisonedCase(ref, registry);
      const run = await c.run();
      const result = succeeded(run);
      assert.deepEqual(countRequests(registry.requests).total, 0);
      assert.equal(result.reused, 4);
      assert.deepEqual(
        result.archives.map((a) => a.verification.anchor),
        ['lock-file', 'lock-file', 'lock-file', 'lock-file'],
      );
      assert.deepEqual(corruptions(run), []);
      const signature = result.archives[0]!.verification.checks.find((k) => k.check === 'signature');
      assert.match(signature!.detail, /keys from the store \(consistency only\)/);
      await assertColdOutput(ref, c, 'warm run');
    },
  );

  it(
    'a planted zip with a record claiming the lock h1: is refused; the genuine archive is published',
    GUARD,
    async () => {
      const c = await poisonedCase(ref, registry);
      await plant(c.store);
      // The old store format's claim of the lock's own h1: for the planted bytes: nothing reads it now.
      const claim = { sha256: sha256(PLANTED), h1Zip: genuine.h1, h1Unpacked: genuine.h1 };
      await mkdir(path.join(c.store, NULL_DIR, 'archives'));
      await writeJson(path.join(c.store, NULL_DIR, 'archives', 'linux_amd64.json'), claim);
      const run = await c.run();
      succeeded(run);
      assert.ok(
        corruptions(run).some((m) => m.includes('matches none of the lock files')),
        corruptions(run).join('\n'),
      );
      assert.equal(countRequests(registry.requests).zips, 0, 'the genuine archive is still in the store');
      await assertColdOutput(ref, c, 'planted zip');
    },
  );

  for (const lock of ['both', 'none'] as const) {
    it(
      `a store bringing its own key and signed SHA256SUMS is refused (lock hashes: ${lock})`,
      GUARD,
      async () => {
        const c = await poisonedCase(ref, registry);
        const own = await generateSigningKey({ name: 'Store Attacker' });
        await plant(c.store, own);
        const sums = await readFile(path.join(c.store, NULL_DIR, 'SHA256SUMS'));
        await writeFile(path.join(c.store, NULL_DIR, 'SHA256SUMS.sig'), await own.signDetached(sums));
        const run = await c.run(lock === 'none' ? { lockfiles: ['none/*.hcl'] } : {});
        const result = succeeded(run);
        assert.ok(corruptions(run).length > 0, 'the poisoned entries are reported');
        assert.ok(result.archives.every((a) => a.verification.signingKeyId === registry.keyId));
        await assertColdOutput(ref, c, 'own key');
      },
    );
  }

  for (const lock of ['both', 'none'] as const) {
    it(
      `an address rewritten to registry.opentofu.org with no keys skips nothing (lock hashes: ${lock})`,
      GUARD,
      async () => {
        const c = await poisonedCase(ref, registry);
        await plant(c.store);
        const doc = await readStoredDoc(c.store, LINUX_DOC);
        doc.document['signing_keys'] = { gpg_public_keys: [] };
        const address = { hostname: 'registry.opentofu.org', namespace: 'hashicorp', type: 'null' };
        const platform = { os: 'linux', arch: 'amd64' };
        await writeJson(path.join(c.store, LINUX_DOC), {
          ...doc,
          ref: { address, version: '3.2.3', platform },
        });
        const run = await c.run(lock === 'none' ? { lockfiles: ['none/*.hcl'] } : {});
        const result = succeeded(run);
        const linux = result.archives.find((a) => a.filename === LINUX_ZIP)!;
        assert.equal(linux.verification.anchor, 'upstream-signature');
        assert.deepEqual(
          eventsOf(run.events, 'check-skipped').filter((e) => e.check === 'signature'),
          [],
        );
        await assertColdOutput(ref, c, 'no keys');
      },
    );
  }

  it(
    'a document pointing at another platform’s genuine archive (pinned by the same lock) is not followed',
    GUARD,
    async () => {
      const c = await poisonedCase(ref, registry);
      const darwin = registry.archive(TF_NULL.address, TF_NULL.version, 'darwin_arm64');
      const doc = await readStoredDoc(c.store, LINUX_DOC);
      doc.document['shasum'] = darwin.sha256;
      await writeJson(path.join(c.store, LINUX_DOC), doc);
      const run = await c.run();
      succeeded(run);
      assert.ok(corruptions(run).length > 0, 'the document is reported');
      assert.equal(countRequests(registry.requests).zips, 0, 'both archives are intact in the store');
      await assertColdOutput(ref, c, 'swapped platform');
    },
  );

  it(
    'a refs/ directory that is a symlink out of the store: nothing outside is written or removed',
    GUARD,
    async () => {
      const c = await poisonedCase(ref, registry);
      const outside = path.join(ref.ws.root, `outside-${path.basename(c.store)}`);
      const hostDir = path.join(c.store, 'refs/registry.terraform.io');
      await cp(hostDir, outside, { recursive: true });
      await rm(path.join(outside, 'hashicorp/null/3.2.3/SHA256SUMS'));
      await rm(hostDir, { recursive: true });
      await symlink(outside, hostDir);
      const before = await snapshotTree(outside);
      const run = await c.run();
      succeeded(run);
      assert.deepEqual(await snapshotTree(outside), before, 'the directory outside the store is untouched');
      assert.ok((await lstat(hostDir)).isDirectory(), 'the link was replaced by a real directory');
      await assertColdOutput(ref, c, 'symlinked refs directory');
    },
  );

  it(
    'a stored package that is a symlink (even to the genuine bytes) is not followed, and fetched again',
    GUARD,
    async () => {
      const c = await poisonedCase(ref, registry);
      const stored = path.join(c.store, 'packages/sha256', `${genuine.sha256}.zip`);
      const elsewhere = path.join(ref.ws.root, `elsewhere-${path.basename(c.store)}.zip`);
      await writeFile(elsewhere, await readFile(stored));
      await rm(stored);
      await symlink(elsewhere, stored);
      const run = await c.run();
      succeeded(run);
      assert.ok(
        corruptions(run).some((m) => m.includes('is a symlink')),
        corruptions(run).join('\n'),
      );
      assert.equal(countRequests(registry.requests).zips, 1);
      assert.ok((await stat(stored, { bigint: false })).isFile());
      await assertColdOutput(ref, c, 'symlink');
    },
  );

  it(
    'writing into a store file after the run does not change the published file (no shared inode)',
    GUARD,
    async () => {
      const c = await poisonedCase(ref, registry);
      succeeded(await c.run());
      const stored = path.join(c.store, 'packages/sha256', `${genuine.sha256}.zip`);
      const published = path.join(c.out, 'registry.terraform.io/hashicorp/null', LINUX_ZIP);
      assert.notEqual((await stat(stored)).ino, (await stat(published)).ino);
      const handle = await open(stored, 'r+');
      await handle.write(Buffer.from('overwritten in place'), 0, 20, 100);
      await handle.close();
      await assertColdOutput(ref, c, 'written after the run');
    },
  );

  it('fails closed with the previous mirror intact when upstream serves bad bytes too', GUARD, async () => {
    const c = await poisonedCase(ref, registry);
    const stored = path.join(c.store, 'packages/sha256', `${genuine.sha256}.zip`);
    const bytes = await readFile(stored);
    const i = bytes.length >> 1;
    bytes[i] = bytes[i]! ^ 0x40;
    await writeFile(stored, bytes);
    registry.addFault({ match: LINUX_ZIP, kind: 'corrupt' });
    const run = await c.run();
    const err = failedWith(run, 'VERIFY_SHASUM');
    assert.match(err.message, /nothing was published/);
    await assertColdOutput(ref, c, 'failed run');
  });

  it('without lock hashes: upstream metadata is fetched again, no archive is downloaded', GUARD, async () => {
    const c = await poisonedCase(ref, registry);
    const run = await c.run({ lockfiles: ['none/*.hcl'] });
    const result = succeeded(run);
    const n = countRequests(registry.requests);
    // Per version: one download document, SHA256SUMS and its signature (3 small requests); the other
    // platform's stored document agrees with them.
    assert.deepEqual([n.zips, n.sums, n.signatures, n.documents], [0, 2, 2, 2]);
    assert.equal(result.reused, 4);
    assert.ok(result.archives.every((a) => a.verification.anchor === 'upstream-signature'));
    const skipped = eventsOf(run.events, 'check-skipped');
    assert.deepEqual(
      skipped.map((e) => e.check),
      ['lock-hash', 'lock-hash', 'lock-hash', 'lock-hash'],
    );
    await assertColdOutput(ref, c, 'no lock hashes');
  });

  it(
    'with requireSignatures a lock anchor is not enough: signatures are fetched and verified',
    GUARD,
    async () => {
      const c = await poisonedCase(ref, registry);
      const result = succeeded(await c.run({ requireSignatures: true }));
      const n = countRequests(registry.requests);
      assert.deepEqual([n.zips, n.sums, n.signatures], [0, 2, 2]);
      assert.ok(result.archives.every((a) => a.verification.anchor === 'upstream-signature'));
      await assertColdOutput(ref, c, 'require signatures');
    },
  );
});
