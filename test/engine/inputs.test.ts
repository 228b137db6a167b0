/**
 * What the engine does with what it is given: platforms missing upstream, invalid lock files, empty
 * plans and an output directory that is not ours. Input problems are found before any request.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { formatPlatform } from '../../src/domain/platform.ts';
import { startFixtureRegistry, type FixtureRegistry } from '../support/fixture-registry.ts';
import {
  buildOptions,
  createWorkspace,
  eventsOf,
  failedWith,
  listDir,
  runBuild,
  snapshotTree,
  succeeded,
  type Workspace,
} from './support/harness.ts';
import { providerSpec, type ProviderVersion } from './support/providers.ts';

const BOTH = { address: 'registry.example.com/acme/both', version: '1.0.0' };
const LINUX_ONLY = { address: 'registry.example.com/acme/linuxonly', version: '2.0.0' };
const WINDOWS_ONLY = { address: 'registry.example.com/acme/winonly', version: '0.1.0' };

function spec(p: ProviderVersion, platforms: string[]) {
  return providerSpec(p, platforms, { size: 8 * 1024 });
}

describe('engine: inputs', () => {
  let registry: FixtureRegistry;
  let ws: Workspace;

  before(async () => {
    registry = await startFixtureRegistry({
      providers: [
        spec(BOTH, ['linux_amd64', 'darwin_arm64']),
        spec(LINUX_ONLY, ['linux_amd64']),
        spec(WINDOWS_ONLY, ['windows_amd64']),
      ],
    });
  });
  afterEach(async () => {
    registry.resetRequests();
    await ws.remove();
  });
  after(() => registry.close());

  async function workspaceWith(providers: { address: string; version: string }[]): Promise<Workspace> {
    ws = await createWorkspace();
    await ws.writeLock('locks.hcl', registry.lockFile(providers, 'both'));
    return ws;
  }

  describe('a platform missing upstream', () => {
    const platforms = ['linux_amd64', 'darwin_arm64'];

    it('is a warning event naming provider, version and platform by default', async () => {
      await workspaceWith([BOTH, LINUX_ONLY]);
      const run = await runBuild(buildOptions(ws, registry.upstreamArgs(), { platforms }));
      const result = succeeded(run);
      const missing = eventsOf(run.events, 'platform-missing');
      assert.equal(missing.length, 1);
      assert.match(
        missing[0]!.message,
        /registry\.example\.com\/acme\/linuxonly 2\.0\.0 is not available for darwin_arm64/,
      );
      assert.deepEqual(
        result.missing.map((r) => `${r.address.type} ${r.version} ${formatPlatform(r.platform)}`),
        ['linuxonly 2.0.0 darwin_arm64'],
      );
      assert.equal(result.archives.length, 3);
      const doc = JSON.parse(
        await readFile(path.join(ws.out(), 'registry.example.com/acme/linuxonly/2.0.0.json'), 'utf8'),
      ) as { archives: Record<string, unknown> };
      assert.deepEqual(Object.keys(doc.archives), ['linux_amd64']);
    });

    it('fails the run with requireAllPlatforms, writing nothing', async () => {
      await workspaceWith([BOTH, LINUX_ONLY]);
      const run = await runBuild(
        buildOptions(ws, registry.upstreamArgs(), { platforms, requireAllPlatforms: true }),
      );
      const err = failedWith(run, 'UPSTREAM_PLATFORM_MISSING');
      assert.match(err.message, /registry\.example\.com\/acme\/linuxonly 2\.0\.0 darwin_arm64/);
      assert.deepEqual(await listDir(ws.site), []);
    });

    it('fails the run when a provider has none of the requested platforms', async () => {
      await workspaceWith([BOTH, WINDOWS_ONLY]);
      const run = await runBuild(buildOptions(ws, registry.upstreamArgs(), { platforms }));
      const err = failedWith(run, 'UPSTREAM_PLATFORM_MISSING');
      assert.match(
        err.message,
        /no requested platform \(darwin_arm64, linux_amd64\) is available upstream for: registry\.example\.com\/acme\/winonly 0\.1\.0/,
      );
      assert.equal(eventsOf(run.events, 'platform-missing').length, 2);
      assert.deepEqual(await listDir(ws.site), []);
    });
  });

  describe('lock files', () => {
    it('an invalid lock file is LOCK_INVALID with path:line:col diagnostics, before any request', async () => {
      ws = await createWorkspace();
      const good = registry.lockFile([BOTH], 'zh');
      await ws.writeLock('a/.terraform.lock.hcl', good);
      const broken = good.replace('version = "1.0.0"', 'version = "v1.0"\n  colour  = "red"');
      await ws.writeLock('b/.terraform.lock.hcl', broken);
      const run = await runBuild(
        buildOptions(ws, registry.upstreamArgs(), { lockfiles: ['**/.terraform.lock.hcl'] }),
      );
      const err = failedWith(run, 'LOCK_INVALID');
      assert.ok(err.diagnostics.length >= 1);
      for (const d of err.diagnostics) {
        assert.equal(d.path, 'b/.terraform.lock.hcl');
        assert.equal(d.severity, 'error');
        assert.ok(d.line >= 1 && d.col >= 1);
      }
      const lineOf = (text: string) => broken.split('\n').findIndex((l) => l.includes(text)) + 1;
      assert.deepEqual(
        err.diagnostics.map((d) => [d.code, d.line]),
        [
          ['LOCK_BAD_VERSION', lineOf('"v1.0"')],
          ['LOCK_UNKNOWN_ATTRIBUTE', lineOf('colour')],
        ],
      );
      assert.deepEqual(registry.requests, []);
      assert.deepEqual(await listDir(ws.site), []);
    });

    it('a missing lock file is LOCK_NOT_FOUND; a plan with nothing in it is PLAN_EMPTY', async () => {
      await workspaceWith([BOTH]);
      failedWith(
        await runBuild(buildOptions(ws, registry.upstreamArgs(), { lockfiles: ['nope.hcl'] })),
        'LOCK_NOT_FOUND',
      );
      failedWith(
        await runBuild(
          buildOptions(ws, registry.upstreamArgs(), { exclude: ['registry.example.com/acme/*'] }),
        ),
        'PLAN_EMPTY',
      );
      failedWith(
        await runBuild(buildOptions(ws, registry.upstreamArgs(), { platforms: ['Linux-AMD64'] })),
        'INPUT_INVALID',
      );
      assert.deepEqual(registry.requests, []);
    });
  });

  describe('the output directory', () => {
    it('refuses a non-empty directory without .nojekyll before any request, leaving it untouched', async () => {
      await workspaceWith([BOTH]);
      await mkdir(ws.out(), { recursive: true });
      await writeFile(path.join(ws.out(), 'thesis.tex'), 'four years of work\n');
      await mkdir(path.join(ws.out(), 'figures'));
      await writeFile(path.join(ws.out(), 'figures', 'a.png'), Buffer.from([1, 2, 3]));
      const before = await snapshotTree(ws.out());
      const err = failedWith(await runBuild(buildOptions(ws, registry.upstreamArgs())), 'OUTPUT_CONFLICT');
      assert.ok(err.message.includes(ws.out()), err.message);
      assert.deepEqual(await snapshotTree(ws.out()), before);
      assert.deepEqual(registry.requests, []);
      assert.deepEqual(await listDir(ws.site), ['mirror']);
    });

    it('refuses an output path that is a file', async () => {
      await workspaceWith([BOTH]);
      await writeFile(ws.out(), 'not a directory');
      failedWith(await runBuild(buildOptions(ws, registry.upstreamArgs())), 'OUTPUT_CONFLICT');
      assert.equal(await readFile(ws.out(), 'utf8'), 'not a directory');
    });

    it('writes into an empty directory and replaces a previous mirror whole', async () => {
      await workspaceWith([BOTH]);
      await mkdir(ws.out());
      succeeded(await runBuild(buildOptions(ws, registry.upstreamArgs())));
      await writeFile(path.join(ws.out(), 'stale.txt'), 'from an older run');
      succeeded(await runBuild(buildOptions(ws, registry.upstreamArgs())));
      const tree = await snapshotTree(ws.out());
      assert.ok(!tree.has('stale.txt'));
      assert.ok(tree.has('.nojekyll'));
      assert.deepEqual(await listDir(ws.site), ['mirror']);
    });
  });
});
