import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFixtureRegistry, type FixtureRegistry } from '../support/fixture-registry.ts';
import { ADDED, FIRST_SET, PLATFORMS, PROVIDERS, removeAll, tempDir, writeText } from './support.ts';

const cli = path.resolve(import.meta.dirname, '../../dist/cli.js');

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the bundled CLI asynchronously (the registry lives in this process and must keep answering). */
async function runCli(args: string[]): Promise<CliRun> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

describe('the CLI store (--cache-dir): refs/ and packages/ across runs', () => {
  let registry: FixtureRegistry;
  let work: string;
  let lockPath: string;
  let cacheDir: string;

  before(async () => {
    registry = await startFixtureRegistry({ providers: PROVIDERS });
    work = await tempDir('repoxy-cli-cache-');
    lockPath = path.join(work, 'infra', '.terraform.lock.hcl');
    cacheDir = path.join(work, 'store');
    await writeText(lockPath, registry.lockFile(FIRST_SET, 'both'));
  });
  after(async () => {
    await registry.close();
    await removeAll(work);
  });

  const mirror = (out: string) => {
    const args = [
      'mirror',
      '--lockfile',
      path.join(work, '**/.terraform.lock.hcl'),
      '--out',
      path.join(work, out),
      '--cache-dir',
      cacheDir,
      '--json',
    ];
    for (const p of PLATFORMS) args.push('--platform', p);
    for (const u of registry.upstreamArgs()) args.push('--upstream', u);
    return runCli(args);
  };

  it('a cold run fetches everything and fills refs/ and packages/', async () => {
    registry.resetRequests();
    const run = await mirror('out1');
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as { fetched: number; reused: number; upstreamRequests: number };
    assert.equal(summary.fetched, 4);
    assert.equal(summary.reused, 0);
    assert.equal(registry.requests.length, summary.upstreamRequests);
    const packages = await readdir(path.join(cacheDir, 'packages', 'sha256'));
    assert.equal(packages.length, 4);
    assert.ok(packages.every((f) => /^[0-9a-f]{64}\.zip$/.test(f)));
  });

  it('a warm run with unchanged lock files makes zero upstream requests and writes the same mirror', async () => {
    registry.resetRequests();
    const run = await mirror('out2');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(registry.requests, [], 'no request may reach the registry');
    const summary = JSON.parse(run.stdout) as { fetched: number; reused: number; upstreamRequests: number };
    assert.equal(summary.reused, 4);
    assert.equal(summary.upstreamRequests, 0);
    const a = await readFile(path.join(work, 'out1/registry.terraform.io/hashicorp/random/3.6.3.json'));
    const b = await readFile(path.join(work, 'out2/registry.terraform.io/hashicorp/random/3.6.3.json'));
    assert.deepEqual(a, b);
  });

  it('adding one provider version fetches exactly that version', async () => {
    // A second root module locks the new version (one lock file holds one version per provider).
    await writeText(path.join(work, 'other/.terraform.lock.hcl'), registry.lockFile([ADDED], 'both'));
    registry.resetRequests();
    const run = await mirror('out3');
    assert.equal(run.code, 0, run.stderr);
    const paths = registry.requests.map((r) => r.path);
    const unrelated = paths.filter(
      (p) => !p.includes('/3.7.0/') && !p.endsWith('/.well-known/terraform.json'),
    );
    assert.deepEqual(
      unrelated,
      [],
      `only 3.7.0 documents and archives may be fetched, got ${paths.join(', ')}`,
    );
    assert.equal(paths.filter((p) => p.endsWith('.zip')).length, 2);
    assert.equal(paths.filter((p) => p.endsWith('_SHA256SUMS')).length, 1, 'SHA256SUMS once per version');
    const summary = JSON.parse(run.stdout) as { fetched: number; reused: number };
    assert.equal(summary.fetched, 2);
    assert.equal(summary.reused, 4);
  });

  it('a damaged cached archive is detected, reported and fetched again, never published', async () => {
    const dir = path.join(cacheDir, 'packages', 'sha256');
    const [victim] = (await readdir(dir)).sort();
    const file = path.join(dir, victim!);
    const bytes = await readFile(file);
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
    await writeFile(file, bytes);
    registry.resetRequests();
    const run = await mirror('out4');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /store entry discarded: .* not to its name/);
    const zips = registry.requests.filter((r) => r.path.endsWith('.zip'));
    assert.equal(zips.length, 1, 'exactly the damaged archive is fetched again');
    const summary = JSON.parse(run.stdout) as { fetched: number; reused: number };
    assert.equal(summary.fetched, 1);
    const sha = victim!.replace(/\.zip$/, '');
    const fixed = await readFile(file);
    const { createHash } = await import('node:crypto');
    assert.equal(createHash('sha256').update(fixed).digest('hex'), sha);
  });

  it('tampered cached metadata fails verification, is dropped and fetched again', async () => {
    const sums = path.join(cacheDir, 'refs/registry.opentofu.org/hashicorp/null/3.2.3/SHA256SUMS');
    const original = await readFile(sums, 'utf8');
    await writeFile(
      sums,
      original.replace(/^[0-9a-f]/, (c) => (c === '0' ? '1' : '0')),
    );
    registry.resetRequests();
    const run = await mirror('out5');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /stored metadata is not self-consistent/);
    assert.ok(
      registry.requests.some((r) => r.path.endsWith('_SHA256SUMS')),
      'SHA256SUMS fetched again',
    );
    assert.equal(await readFile(sums, 'utf8'), original);
  });
});
