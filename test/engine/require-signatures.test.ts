/**
 * Skipped checks and `requireSignatures` in the engine (issue 13): an archive accepted without a
 * signature (registry.opentofu.org serving no keys) or without a lock-file hash is reported as
 * `check-skipped`; with `requireSignatures` an archive whose signature was not verified in this run fails.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { startFixtureRegistry, type FixtureRegistry } from '../support/fixture-registry.ts';
import {
  buildOptions,
  createWorkspace,
  eventsOf,
  failedWith,
  listDir,
  runBuild,
  succeeded,
  type Workspace,
} from './support/harness.ts';
import { providerSpec, TOFU_RANDOM } from './support/providers.ts';

describe('engine: skipped checks and requireSignatures', () => {
  let registry: FixtureRegistry;
  let ws: Workspace;

  before(async () => {
    registry = await startFixtureRegistry({
      providers: [providerSpec(TOFU_RANDOM, ['linux_amd64'])],
      signingKeys: 'none',
    });
  });
  afterEach(() => ws.remove());
  after(() => registry.close());

  async function build(
    hashes: 'both' | 'none',
    more: { requireSignatures?: boolean; cacheDir?: string } = {},
  ) {
    await ws.writeLock('lock.hcl', registry.lockFile([TOFU_RANDOM], hashes));
    return runBuild(buildOptions(ws, registry.upstreamArgs(), more));
  }

  it('no keys, lock hashes: accepted by the lock anchor, the skipped signature reported', async () => {
    ws = await createWorkspace();
    const cacheDir = path.join(ws.root, 'store');
    for (const run of [await build('both', { cacheDir }), await build('both', { cacheDir })]) {
      const result = succeeded(run);
      assert.equal(result.archives[0]!.verification.anchor, 'lock-file');
      assert.deepEqual(
        eventsOf(run.events, 'check-skipped').map((e) => e.check),
        ['signature'],
      );
      assert.deepEqual(eventsOf(run.events, 'store-corrupt'), [], 'a store without keys is not corrupt');
    }
  });

  it('no keys, no lock hashes: only the document fetched this run; both skipped checks reported', async () => {
    ws = await createWorkspace();
    const run = await build('none');
    const result = succeeded(run);
    assert.equal(result.archives[0]!.verification.anchor, 'upstream-document');
    assert.deepEqual(
      eventsOf(run.events, 'check-skipped')
        .map((e) => e.check)
        .sort(),
      ['lock-hash', 'signature'],
    );
  });

  it('requireSignatures: an archive without a verified signature fails, nothing is published', async () => {
    ws = await createWorkspace();
    const run = await build('both', { requireSignatures: true });
    const err = failedWith(run, 'VERIFY_NO_KEYS');
    assert.match(err.message, /signatures are required/);
    assert.deepEqual(await listDir(ws.site), []);
  });
});
