/**
 * What a new user meets first with the bundled CLI (issue 16): --version, the CLI configuration printed
 * after a build (the user's URL, or a placeholder that says so), what "N checks passed" counts, and a
 * `plan --include` that selects nothing.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { FixtureRegistry } from '../support/fixture-registry.ts';
import { createWorkspace, type Workspace } from '../engine/support/harness.ts';
import { startTwoHostRegistry, TF_NULL, TOFU_RANDOM } from '../engine/support/providers.ts';
import { REPO_ROOT, runCli } from '../engine/support/processes.ts';
import { VERSION } from '../../src/cli/version.ts';

const GUARD = { timeout: 60_000 };
const LOCKS = '**/.terraform.lock.hcl';

describe('CLI: a first run', () => {
  let registry: FixtureRegistry;
  let ws: Workspace;
  let upstreamFlags: string[];

  before(async () => {
    registry = await startTwoHostRegistry();
    upstreamFlags = registry.upstreamArgs().flatMap((u) => ['--upstream', u]);
    ws = await createWorkspace();
    await ws.writeLock('infra/.terraform.lock.hcl', registry.lockFile([TF_NULL, TOFU_RANDOM], 'both'));
  });
  afterEach(() => registry.resetRequests());
  after(async () => {
    await registry.close();
    await ws.remove();
  });

  const mirror = (...extra: string[]) =>
    runCli(['mirror', '--lockfile', LOCKS, '--out', 'site/mirror', ...upstreamFlags, ...extra], {
      cwd: ws.root,
    });

  it('--version and -V print the version of package.json', async () => {
    const pkg = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    assert.equal(VERSION, pkg.version);
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag], { cwd: ws.root });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `repoxy ${pkg.version}\n`);
      assert.equal(r.stderr, '');
    }
  });

  it('without --mirror-url, the printed configuration says its URL is a placeholder', GUARD, async () => {
    const r = await mirror();
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /# PLACEHOLDER URL: replace it with where you publish site\/mirror \(or pass --mirror-url URL\)\nprovider_installation \{\n {2}network_mirror \{\n {4}url = "https:\/\/mirror-url\.invalid\/replace-me\/"/,
    );
  });

  it(
    'with --mirror-url, the printed configuration uses it (with the trailing slash clients need)',
    GUARD,
    async () => {
      const r = await mirror('--mirror-url', 'https://octo.github.io/infra');
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /PLACEHOLDER|invalid/);
      assert.match(r.stdout, /network_mirror \{\n {4}url = "https:\/\/octo\.github\.io\/infra\/"\n/);
    },
  );

  it('refuses a --mirror-url that is not https before fetching anything (exit 2)', GUARD, async () => {
    const r = await mirror('--mirror-url', 'http://octo.github.io/infra/');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /mirror URL "http:\/\/octo\.github\.io\/infra\/" must use https:/);
    assert.equal(registry.requests.length, 0);
  });

  it(
    'each archive line counts its checks, naming the skipped ones; --help explains them',
    GUARD,
    async () => {
      const r = await mirror();
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('fetched '));
      assert.equal(lines.length, 2);
      for (const l of lines) {
        assert.match(l, /, (5 checks passed|[1-4] of 5 checks passed; skipped: [a-z-]+(, [a-z-]+)*)\)$/, l);
      }
      const help = await runCli(['--help'], { cwd: ws.root });
      for (const check of ['registry-packages', 'sums-line', 'shasum', 'signature', 'lock-hash']) {
        assert.match(help.stdout, new RegExp(`^ {2}${check} +\\S`, 'm'), check);
      }
      assert.match(help.stdout, /N checks passed/);
    },
  );

  it('plan --include that selects no provider fails (exit 2) and names the pattern', async () => {
    const r = await runCli(['plan', '--lockfile', LOCKS, '--include', 'hashicorp/nul'], { cwd: ws.root });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /include pattern "hashicorp\/nul" matches no provider in the lock files/);
    assert.match(r.stderr, /error: no provider of the lock files is left after --include\/--exclude/);
    assert.equal(r.stdout, '');
  });

  it('plan --include with one pattern that selects nothing warns about it and plans the rest', async () => {
    const r = await runCli(
      ['plan', '--lockfile', LOCKS, '--include', 'hashicorp/random', '--include', 'hashicorp/nul', '--json'],
      { cwd: ws.root },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /include pattern "hashicorp\/nul" matches no provider/);
    assert.doesNotMatch(r.stderr, /"hashicorp\/random" matches no provider/);
    const plan = JSON.parse(r.stdout) as { providers: { address: string }[] };
    assert.deepEqual(
      plan.providers.map((p) => p.address),
      [TOFU_RANDOM.address],
    );
  });
});
