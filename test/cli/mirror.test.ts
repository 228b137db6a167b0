/**
 * The bundled CLI (`node dist/cli.js mirror ...`) against the fixture registry: its exit codes
 * (0 success, 1 upstream or verification failure, 2 invalid input), progress and summary on stderr,
 * and errors written for people (no stack traces).
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { FixtureRegistry } from '../support/fixture-registry.ts';
import { createWorkspace, listDir, snapshotTree, type Workspace } from '../engine/support/harness.ts';
import { assertPackedFilesystemMirror } from '../engine/support/layout.ts';
import { startTwoHostRegistry, TF_NULL, TOFU_RANDOM } from '../engine/support/providers.ts';
import { hasStackTrace, runCli } from '../engine/support/processes.ts';

const GUARD = { timeout: 60_000 };

describe('CLI: repoxy mirror', () => {
  let registry: FixtureRegistry;
  let ws: Workspace;
  let upstreamFlags: string[];

  before(async () => {
    registry = await startTwoHostRegistry();
    upstreamFlags = registry.upstreamArgs().flatMap((u) => ['--upstream', u]);
    ws = await createWorkspace();
    await ws.writeLock('infra/.terraform.lock.hcl', registry.lockFile([TF_NULL, TOFU_RANDOM], 'both'));
  });
  afterEach(() => {
    registry.clearFaults();
    registry.resetRequests();
  });
  after(async () => {
    await registry.close();
    await ws.remove();
  });

  const mirror = (...extra: string[]) =>
    runCli(
      ['mirror', '--lockfile', '**/.terraform.lock.hcl', '--out', 'site/mirror', ...upstreamFlags, ...extra],
      {
        cwd: ws.root,
      },
    );

  it(
    'exits 0, prints a line per archive and a summary on stderr, and the CLI config on stdout',
    GUARD,
    async () => {
      const r = await mirror('--platform', 'linux_amd64', '--platform', 'darwin_arm64');
      assert.equal(r.code, 0, r.stderr);
      const fetched = r.stderr.split('\n').filter((l) => l.startsWith('fetched '));
      assert.deepEqual(fetched.map((l) => l.split(' (')[0]).sort(), [
        'fetched registry.opentofu.org/hashicorp/random 3.6.3 darwin_arm64',
        'fetched registry.opentofu.org/hashicorp/random 3.6.3 linux_amd64',
        'fetched registry.terraform.io/hashicorp/null 3.2.3 darwin_arm64',
        'fetched registry.terraform.io/hashicorp/null 3.2.3 linux_amd64',
      ]);
      assert.match(
        r.stderr,
        new RegExp(
          `^mirror: 2 provider version\\(s\\), 4 archive\\(s\\) \\(4 fetched, 0 reused\\), .+, \\d+ upstream request\\(s\\), [0-9.]+ s → ${ws.out().replaceAll('/', '\\/')}$`,
          'm',
        ),
      );
      assert.match(
        r.stdout,
        /provider_installation \{\n {2}network_mirror \{\n {4}url = "https:\/\/[^"]+\/"\n/,
      );
      const archives = assertPackedFilesystemMirror(await snapshotTree(ws.out()));
      assert.equal(archives.length, 4);
      assert.deepEqual(await listDir(ws.site), ['mirror']);
    },
  );

  it('with --json prints exactly one JSON document on stdout', GUARD, async () => {
    const r = await mirror('--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trimEnd().split('\n').length, 1);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(doc).sort(), [
      'archives',
      'bytes',
      'fetched',
      'missing',
      'out',
      'providers',
      'reused',
      'seconds',
      'upstreamRequests',
    ]);
    assert.equal(doc['out'], ws.out());
    assert.deepEqual([doc['providers'], doc['archives'], doc['fetched'], doc['missing']], [2, 2, 2, 0]);
  });

  it(
    'exits 1 on a verification failure, naming the package, and keeps the previous mirror',
    GUARD,
    async () => {
      assert.equal((await mirror()).code, 0);
      const before = await snapshotTree(ws.out());
      registry.addFault({ match: /null_.*\.sig$/, kind: 'bad-signature' });
      const r = await mirror();
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        /^FAILED {2}registry\.terraform\.io\/hashicorp\/null 3\.2\.3 linux_amd64: \[VERIFY_BAD_SIGNATURE\]/m,
      );
      assert.match(r.stderr, /^error: 1 archive\(s\) failed; nothing was published:$/m);
      assert.ok(!hasStackTrace(r.stderr), r.stderr);
      assert.equal(r.stdout, '');
      assert.deepEqual(await snapshotTree(ws.out()), before);
      assert.deepEqual(await listDir(ws.site), ['mirror']);
    },
  );

  it('exits 1 on an upstream failure (provider not served)', GUARD, async () => {
    registry.addFault({ match: /\/download\//, kind: 'not-found' });
    const r = await mirror('--out', 'site/other');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /error: no requested platform \(linux_amd64\) is available upstream for: /);
    assert.ok(!hasStackTrace(r.stderr), r.stderr);
  });

  it('exits 2 on an invalid lock file, with path:line:col on stderr and no stack trace', GUARD, async () => {
    const text = registry.lockFile([TF_NULL], 'zh').replace('version = "3.2.3"', 'version = "3.2"');
    await ws.writeLock('broken/bad.hcl', text);
    const line = text.split('\n').findIndex((l) => l.includes('"3.2"')) + 1;
    const r = await runCli(['mirror', '--lockfile', 'broken/bad.hcl', '--out', 'site/x', ...upstreamFlags], {
      cwd: ws.root,
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`^broken/bad\\.hcl:${line}:\\d+: `, 'm'));
    assert.ok(!hasStackTrace(r.stderr), r.stderr);
    assert.equal(r.stdout, '');
    assert.deepEqual(registry.requests, []);
  });

  it('exits 2 on invalid flags and on an --out that is not a mirror', GUARD, async () => {
    const cases: [string[], RegExp][] = [
      [['mirror', '--lockfile', 'x.hcl'], /mirror needs --out DIR/],
      [['mirror', '--lockfile', 'x.hcl', '--out', 'o', '--bogus'], /bogus/],
      [
        ['mirror', '--lockfile', 'infra/.terraform.lock.hcl', '--out', 'o', '--platform', 'Linux_AMD64'],
        /invalid platform/,
      ],
      [['mirror', '--lockfile', 'nope/.terraform.lock.hcl', '--out', 'o'], /does not exist/],
      [['frobnicate'], /unknown command/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args, { cwd: ws.root })));
    for (const [i, [args, says]] of cases.entries()) {
      const r = results[i]!;
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, says);
      assert.ok(!hasStackTrace(r.stderr), r.stderr);
    }
    const notOurs = path.join(ws.site, 'notes');
    await mkdir(notOurs);
    await writeFile(path.join(notOurs, 'todo.txt'), 'keep me');
    const r = await mirror('--out', 'site/notes');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /is a non-empty directory that is not a mirror written by repoxy/);
    assert.deepEqual([...(await snapshotTree(notOurs)).keys()], ['todo.txt']);
  });

  it('--help documents every flag and exits 0', async () => {
    const r = await runCli(['--help'], { cwd: ws.root });
    assert.equal(r.code, 0);
    for (const flag of [
      '--lockfile',
      '--platform',
      '--out',
      '--upstream',
      '--include',
      '--exclude',
      '--concurrency',
      '--json',
    ]) {
      assert.ok(r.stdout.includes(flag), flag);
    }
  });
});
