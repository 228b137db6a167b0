/**
 * The engine end to end against the fixture registry: two hosts, three provider versions, two
 * platforms. The mirror must hold exactly the expected files, byte for byte, and be the same on
 * every run (PROTOCOL.md §1.6, §5.1, §5.3).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFixtureRegistry, type FixtureRegistry } from '../support/fixture-registry.ts';
import {
  buildOptions,
  createWorkspace,
  eventsOf,
  filesOf,
  listDir,
  runBuild,
  snapshotTree,
  succeeded,
  type TreeEntry,
  type Workspace,
} from './support/harness.ts';
import { assertPackedFilesystemMirror, readNetworkMirror } from './support/layout.ts';
import { providerSpec, TF_NULL, TOFU_RANDOM } from './support/providers.ts';

const SERVED = ['darwin_arm64', 'linux_amd64', 'windows_amd64'];
const WANTED = ['linux_amd64', 'darwin_arm64'];
const TOFU_NULL = { address: 'registry.opentofu.org/hashicorp/null', version: '3.2.4' };
const ALL = [TF_NULL, TOFU_RANDOM, TOFU_NULL];

/** `{"versions":{...}}` / `{"archives":{...}}` written by hand: sorted keys, 2 spaces, final newline. */
function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function zipName(p: { address: string; version: string }, platform: string): string {
  return `terraform-provider-${p.address.split('/')[2]}_${p.version}_${platform}.zip`;
}

describe('engine: a mirror of two hosts × two platforms', () => {
  let registry: FixtureRegistry;
  let ws: Workspace;
  let tree: Map<string, TreeEntry>;
  let result: ReturnType<typeof succeeded>;
  let warnings: string[];
  let debug: string[];

  before(async () => {
    registry = await startFixtureRegistry({
      providers: ALL.map((p) => providerSpec(p, SERVED, { size: 48 * 1024 })),
    });
    ws = await createWorkspace();
    await ws.writeLock('envs/a/.terraform.lock.hcl', registry.lockFile([TF_NULL, TOFU_RANDOM], 'both'));
    await ws.writeLock('envs/b/.terraform.lock.hcl', registry.lockFile([TOFU_RANDOM, TOFU_NULL], 'zh'));
    const run = await runBuild(
      buildOptions(ws, registry.upstreamArgs(), {
        lockfiles: ['**/.terraform.lock.hcl'],
        platforms: WANTED,
      }),
    );
    result = succeeded(run);
    warnings = eventsOf(run.events, 'warning').map((e) => e.message);
    debug = eventsOf(run.events, 'debug').map((e) => e.message);
    tree = await snapshotTree(ws.out());
  });
  after(async () => {
    await registry.close();
    await ws.remove();
  });

  it('plans three provider versions from two lock files and fetches six archives', () => {
    assert.deepEqual(
      result.plan.providers.map(
        (p) => `${p.address.hostname}/${p.address.namespace}/${p.address.type} ${p.version}`,
      ),
      [
        'registry.opentofu.org/hashicorp/null 3.2.4',
        'registry.opentofu.org/hashicorp/random 3.6.3',
        'registry.terraform.io/hashicorp/null 3.2.3',
      ],
    );
    assert.equal(result.archives.length, 6);
    assert.equal(result.fetched, 6);
    assert.equal(result.reused, 0);
    assert.deepEqual(result.missing, []);
    assert.deepEqual(warnings, []);
    assert.equal(result.out, ws.out());
  });

  it('hashes every archive while downloading it, never from the file again', () => {
    assert.deepEqual(
      debug.filter((m) => m.includes('again from the file')),
      [],
    );
  });

  it('writes exactly the network mirror, the registry view, mirror.json and .nojekyll', () => {
    const expected = ['.nojekyll', '.well-known/terraform.json', 'mirror.json'];
    for (const p of ALL) {
      const dir = p.address;
      const view = `v1/providers/${p.address}`;
      expected.push(`${dir}/index.json`, `${dir}/${p.version}.json`, `${view}/versions`);
      expected.push(`${view}/${p.version}/SHA256SUMS`, `${view}/${p.version}/SHA256SUMS.sig`);
      for (const platform of WANTED) {
        expected.push(`${dir}/${zipName(p, platform)}`);
        expected.push(`${view}/${p.version}/download/${platform.replace('_', '/')}`);
      }
    }
    assert.deepEqual(filesOf(tree), expected.sort());
  });

  it('reports as many bytes as it wrote', () => {
    const total = [...tree.values()].reduce((n, e) => n + (e.kind === 'file' ? e.size : 0), 0);
    assert.equal(result.bytes, total);
    assert.equal(result.files, filesOf(tree).length);
  });

  it('copies every archive byte for byte and lists h1 (HashZip) and zh, sorted', async () => {
    for (const p of ALL) {
      const index = await readFile(path.join(ws.out(), p.address, 'index.json'), 'utf8');
      assert.equal(index, json({ versions: { [p.version]: {} } }));
      const archives: Record<string, { hashes: string[]; url: string }> = {};
      for (const platform of [...WANTED].sort()) {
        const a = registry.archive(p.address, p.version, platform);
        const entry = tree.get(`${p.address}/${zipName(p, platform)}`);
        assert.deepEqual(entry && entry.kind === 'file' && [entry.sha256, entry.size], [a.sha256, a.size]);
        archives[platform] = { hashes: [a.h1, a.zh].sort(), url: zipName(p, platform) };
      }
      const doc = await readFile(path.join(ws.out(), p.address, `${p.version}.json`), 'utf8');
      assert.equal(doc, json({ archives }));
    }
  });

  it('is a valid packed filesystem_mirror and a network mirror whose urls resolve', async () => {
    const packed = assertPackedFilesystemMirror(tree);
    assert.deepEqual(
      packed.map((a) => `${a.dir} ${a.version} ${a.platform}`).sort(),
      ALL.flatMap((p) => WANTED.map((w) => `${p.address} ${p.version} ${w}`)).sort(),
    );
    const view = await readNetworkMirror(ws.out(), tree);
    assert.deepEqual([...view.versions].sort(), ALL.map((p) => [p.address, [p.version]]).sort());
  });

  it('serves the registry view with upstream SHA256SUMS and signature bytes and resolvable urls', async () => {
    for (const p of ALL) {
      const view = `v1/providers/${p.address}/${p.version}`;
      const sums = await readFile(path.join(ws.out(), view, 'SHA256SUMS'));
      assert.deepEqual(sums, registry.sums(p.address, p.version));
      const [host, ns, type] = p.address.split('/');
      const sigUrl = `${registry.origin}/${host}/files/${ns}/${type}/${p.version}/terraform-provider-${type}_${p.version}_SHA256SUMS.sig`;
      const upstreamSig = Buffer.from(await (await fetch(sigUrl)).arrayBuffer());
      assert.deepEqual(await readFile(path.join(ws.out(), view, 'SHA256SUMS.sig')), upstreamSig);
      for (const platform of WANTED) {
        const rel = `${view}/download/${platform.replace('_', '/')}`;
        const doc = JSON.parse(await readFile(path.join(ws.out(), rel), 'utf8')) as Record<string, string>;
        const base = `https://mirror.example/${rel}`;
        const resolved = (u: string) => new URL(u, base).pathname.slice(1);
        assert.equal(resolved(doc['download_url']!), `${p.address}/${zipName(p, platform)}`);
        assert.equal(resolved(doc['shasums_url']!), `${view}/SHA256SUMS`);
        assert.equal(resolved(doc['shasums_signature_url']!), `${view}/SHA256SUMS.sig`);
        assert.equal(doc['shasum'], registry.archive(p.address, p.version, platform).sha256);
      }
    }
    const wellKnown = JSON.parse(await readFile(path.join(ws.out(), '.well-known/terraform.json'), 'utf8'));
    assert.equal(
      new URL(wellKnown['providers.v1'], 'https://mirror.example/.well-known/terraform.json').pathname,
      '/v1/providers/registry.terraform.io/',
    );
  });

  it('gives byte-identical output on every run, into a new or the same directory', async () => {
    const again = await runBuild(
      buildOptions(ws, registry.upstreamArgs(), {
        lockfiles: ['envs/b/.terraform.lock.hcl', 'envs/a/.terraform.lock.hcl'],
        platforms: [...WANTED].reverse(),
        out: ws.out('second'),
        concurrency: 1,
      }),
    );
    succeeded(again);
    assert.deepEqual(await snapshotTree(ws.out('second')), tree);
    succeeded(
      await runBuild(
        buildOptions(ws, registry.upstreamArgs(), { lockfiles: ['**/*.hcl'], platforms: WANTED }),
      ),
    );
    assert.deepEqual(await snapshotTree(ws.out()), tree);
    assert.deepEqual(await listDir(ws.site), ['mirror', 'second']);
  });
});
