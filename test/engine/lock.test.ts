/**
 * Lock completion against the fixture registry: two hosts, a pre-release version, a monorepo of
 * stacks sharing providers. The registry's own lock writer (test/support/fixture-registry/lock-file.ts,
 * the shape `tofu init` / `tofu providers lock` write) gives the expected bytes; the real client's
 * output is compared in test/e2e/lock.e2e.ts.
 */
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isRepoxyError } from '../../src/domain/errors.ts';
import { lockFiles, type LockOptions } from '../../src/lock.ts';
import { startFixtureRegistry, type FixtureRegistry } from '../support/fixture-registry.ts';
import { buildOptions, createWorkspace, type Workspace } from './support/harness.ts';
import { providerSpec, TF_NULL, TOFU_RANDOM, type ProviderVersion } from './support/providers.ts';

const SERVED = ['darwin_arm64', 'linux_amd64', 'windows_amd64'];
const WANTED = ['linux_amd64', 'darwin_arm64'];
const BETA: ProviderVersion = { address: 'registry.terraform.io/acme/beta', version: '1.0.0-beta.2' };
const LINUX_ONLY: ProviderVersion = { address: 'registry.terraform.io/acme/penguin', version: '0.1.0' };
const STACKS = 12;

function options(ws: Workspace, registry: FixtureRegistry, more: Partial<LockOptions> = {}): LockOptions {
  const { out: _out, ...base } = buildOptions(ws, registry.upstreamArgs(), {
    lockfiles: ['**/.terraform.lock.hcl'],
    platforms: WANTED,
  });
  return { ...base, ...more };
}

/** The providers of stack `i`: every stack shares TF_NULL; the others spread over them. */
function stackProviders(i: number): ProviderVersion[] {
  return [TF_NULL, ...(i % 2 ? [TOFU_RANDOM] : []), ...(i % 3 === 0 ? [BETA] : [])];
}

async function rejects(p: Promise<unknown>, code: string): Promise<Error> {
  const err = await p.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  assert.ok(isRepoxyError(err), String(err));
  assert.equal(err.code, code, err.message);
  return err;
}

describe('lock completion: a monorepo against two registry hosts', () => {
  let registry: FixtureRegistry;
  let ws: Workspace;

  before(async () => {
    registry = await startFixtureRegistry({
      providers: [
        ...[TF_NULL, TOFU_RANDOM, BETA].map((p) => providerSpec(p, SERVED)),
        providerSpec(LINUX_ONLY, ['linux_amd64']),
      ],
    });
  });
  after(async () => {
    await registry.close();
  });

  /** What `tofu init` on linux_amd64 writes, and what `tofu providers lock` for WANTED writes. */
  const initLock = (ps: ProviderVersion[]) =>
    registry.lockFile(
      ps.map((p) => ({ ...p, platforms: ['linux_amd64'] })),
      'both',
    );
  const lockedLock = (ps: ProviderVersion[]) =>
    registry.lockFile(
      ps.map((p) => ({ ...p, platforms: WANTED })),
      'both',
    );

  it('completes every stack, fetching each archive once; a second run rewrites nothing', async () => {
    ws = await createWorkspace();
    for (let i = 0; i < STACKS; i++)
      await ws.writeLock(`stacks/s${i}/.terraform.lock.hcl`, initLock(stackProviders(i)));
    registry.resetRequests();
    const result = await lockFiles(options(ws, registry), false, () => undefined);
    const zips = registry.requests.filter((r) => r.path.endsWith('.zip')).map((r) => r.path);
    assert.equal(zips.length, 3 * WANTED.length, zips.join('\n'));
    assert.equal(new Set(zips).size, zips.length, 'no archive fetched twice');
    for (let i = 0; i < STACKS; i++) {
      const text = await readFile(path.join(ws.root, `stacks/s${i}/.terraform.lock.hcl`), 'utf8');
      assert.equal(text, lockedLock(stackProviders(i)), `stack ${i}`);
    }
    // TOFU_RANDOM's lock from `tofu init` already holds every platform (packages extension): only
    // the stacks holding registry.terraform.io providers changed.
    assert.equal(result.written.length, STACKS);
    const before = await stat(path.join(ws.root, 'stacks/s0/.terraform.lock.hcl'));
    const again = await lockFiles(options(ws, registry), false, () => undefined);
    assert.deepEqual(again.written, []);
    const afterStat = await stat(path.join(ws.root, 'stacks/s0/.terraform.lock.hcl'));
    assert.equal(afterStat.mtimeMs, before.mtimeMs);
    await ws.remove();
  });

  it('--check writes nothing and names each block lacking a platform', async () => {
    ws = await createWorkspace();
    const text = initLock([TF_NULL, BETA]);
    await ws.writeLock('a/.terraform.lock.hcl', text);
    const result = await lockFiles(options(ws, registry), true, () => undefined);
    assert.deepEqual(result.written, []);
    assert.equal(await readFile(path.join(ws.root, 'a/.terraform.lock.hcl'), 'utf8'), text);
    const lineOf = (a: string) => text.split('\n').indexOf(`provider "${a}" {`) + 1;
    const changes = result.files.flatMap((f) => f.changes);
    assert.deepEqual(
      changes.map((c) => [c.path, c.line, c.address, c.missingPlatforms]),
      [BETA, TF_NULL].map((p) => ['a/.terraform.lock.hcl', lineOf(p.address), p.address, ['darwin_arm64']]),
    );
    await ws.remove();
  });

  it('a provider without a requested platform is an error naming it; nothing is written', async () => {
    ws = await createWorkspace();
    const text = initLock([LINUX_ONLY, TF_NULL]);
    await ws.writeLock('b/.terraform.lock.hcl', text);
    const err = await rejects(
      lockFiles(options(ws, registry), false, () => undefined),
      'UPSTREAM_PLATFORM_MISSING',
    );
    assert.match(
      err.message,
      /registry\.terraform\.io\/acme\/penguin 0\.1\.0: .*darwin_arm64 \(locked at b\/\.terraform\.lock\.hcl:\d+\)/,
    );
    assert.equal(await readFile(path.join(ws.root, 'b/.terraform.lock.hcl'), 'utf8'), text);
    await ws.remove();
  });

  it('a zh: the signed SHA256SUMS does not list is an error naming file and line', async () => {
    ws = await createWorkspace();
    const bogus = `zh:${'ab'.repeat(32)}`;
    const text = initLock([TF_NULL]).replace('  hashes = [\n', `  hashes = [\n    "${bogus}",\n`);
    await ws.writeLock('c/.terraform.lock.hcl', text);
    const err = await rejects(
      lockFiles(options(ws, registry), false, () => undefined),
      'VERIFY_LOCK_HASH',
    );
    assert.match(err.message, new RegExp(`c/\\.terraform\\.lock\\.hcl:7: ${bogus}`));
    assert.equal(await readFile(path.join(ws.root, 'c/.terraform.lock.hcl'), 'utf8'), text);
    await ws.remove();
  });

  it('comments and CRLF: the rewrite is what tofu writes (LF, no comments), the header kept', async () => {
    ws = await createWorkspace();
    const lines = initLock([TF_NULL, TOFU_RANDOM]).split('\n');
    lines.splice(5, 0, '  # pinned by hand');
    const file = path.join(ws.root, 'd/.terraform.lock.hcl');
    await ws.writeLock('d/.terraform.lock.hcl', lines.join('\r\n'));
    await lockFiles(options(ws, registry), false, () => undefined);
    assert.equal(await readFile(file, 'utf8'), lockedLock([TF_NULL, TOFU_RANDOM]));
    // A complete CRLF file is left alone, byte for byte.
    const crlf = lockedLock([TF_NULL]).replaceAll('\n', '\r\n');
    await writeFile(file, crlf);
    const again = await lockFiles(options(ws, registry), false, () => undefined);
    assert.deepEqual(again.written, []);
    assert.equal(await readFile(file, 'utf8'), crlf);
    await ws.remove();
  });
});
