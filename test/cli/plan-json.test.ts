/**
 * The `plan --json` contract of the bundled CLI (other tools and checks depend on it exactly), over the
 * real lock files in shared/corpus: one JSON document, fixed keys, providers sorted by address then
 * version, hashes sorted and unique, every `path:line` pointing at its provider block.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { compareVersions, parseCanonicalVersion } from '../../src/domain/version.ts';
import { hasStackTrace, runCli } from '../engine/support/processes.ts';

const CORPUS = path.resolve(import.meta.dirname, '../../../shared/corpus/lockfiles');
const MERGE_MARKERS = '0029.terraform.lock.hcl';
const GUARD = { timeout: 60_000 };

interface PlanJson {
  platforms: string[];
  providers: {
    address: string;
    version: string;
    constraints: string | null;
    hashes: string[];
    lockfiles: string[];
  }[];
}

/** file → providers_count, from the corpus index. */
function indexCounts(): Map<string, number> {
  const [header, ...rows] = readFileSync(path.join(CORPUS, 'INDEX.tsv'), 'utf8').trimEnd().split('\n');
  const columns = header!.split('\t');
  const file = columns.indexOf('file');
  const count = columns.indexOf('providers_count');
  return new Map(rows.map((r) => r.split('\t')).map((c) => [c[file]!, Number(c[count])]));
}

function compareProviders(a: PlanJson['providers'][number], b: PlanJson['providers'][number]): number {
  const [x, y] = [a.address.split('/'), b.address.split('/')];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return compareVersions(parseCanonicalVersion(a.version)!, parseCanonicalVersion(b.version)!);
}

describe('CLI: plan --json over the lock-file corpus', () => {
  const counts = indexCounts();
  const valid = readdirSync(CORPUS)
    .filter(
      (f) => f.endsWith('.terraform.lock.hcl') && f !== MERGE_MARKERS && f !== '0055.terraform.lock.hcl',
    )
    .sort();
  let stdout: string;
  let plan: PlanJson;

  before(async () => {
    const lockArgs = valid.flatMap((f) => ['--lockfile', f]);
    const r = await runCli(
      ['plan', '--json', '--platform', 'linux_amd64', '--platform', 'darwin_arm64', ...lockArgs],
      {
        cwd: CORPUS,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!hasStackTrace(r.stderr), r.stderr);
    stdout = r.stdout;
    plan = JSON.parse(stdout) as PlanJson;
  });

  it('prints exactly one JSON document with exactly the contract keys', () => {
    assert.equal(stdout.indexOf('\n'), stdout.length - 1, 'one line, then a newline');
    assert.deepEqual(Object.keys(plan), ['platforms', 'providers']);
    assert.deepEqual(plan.platforms, ['darwin_arm64', 'linux_amd64']);
    for (const p of plan.providers) {
      assert.deepEqual(Object.keys(p), ['address', 'version', 'constraints', 'hashes', 'lockfiles']);
      assert.match(p.address, /^[^/\s]+\/[^/\s]+\/[^/\s]+$/);
      assert.ok(parseCanonicalVersion(p.version), p.version);
      assert.ok(p.constraints === null || (typeof p.constraints === 'string' && p.constraints !== ''));
    }
  });

  it('sorts providers by address then version, one entry per (address, version)', () => {
    const sorted = [...plan.providers].sort(compareProviders);
    assert.deepEqual(
      plan.providers.map((p) => `${p.address} ${p.version}`),
      sorted.map((p) => `${p.address} ${p.version}`),
    );
    const keys = plan.providers.map((p) => `${p.address} ${p.version}`);
    assert.equal(new Set(keys).size, keys.length);
  });

  it('lists hashes sorted and unique, and lockfiles as sorted path:line of each provider block', () => {
    const perFile = new Map<string, number>();
    for (const p of plan.providers) {
      assert.deepEqual(p.hashes, [...new Set(p.hashes)].sort());
      assert.ok(
        p.hashes.every((h) => /^[a-z0-9]+:\S+$/.test(h)),
        p.hashes.join(),
      );
      assert.deepEqual(p.lockfiles, [...p.lockfiles].sort());
      for (const where of p.lockfiles) {
        const m = /^(\d{4}\.terraform\.lock\.hcl):(\d+)$/.exec(where);
        assert.ok(m, where);
        const line = readFileSync(path.join(CORPUS, m[1]!), 'utf8').split(/\r?\n/)[Number(m[2]) - 1];
        assert.match(line ?? '', new RegExp(`^provider "${p.address.replaceAll('.', '\\.')}"`), where);
        perFile.set(m[1]!, (perFile.get(m[1]!) ?? 0) + 1);
      }
    }
    for (const file of valid) assert.equal(perFile.get(file), counts.get(file), file);
  });

  it('gives byte-identical output whatever the order of the lock files', GUARD, async () => {
    const reversed = [...valid].reverse().flatMap((f) => ['--lockfile', f]);
    const r = await runCli(
      ['plan', '--json', '--platform', 'darwin_arm64', '--platform', 'linux_amd64', ...reversed],
      {
        cwd: CORPUS,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, stdout);
  });

  it(
    'exits 2 on committed merge-conflict markers, with path:line:col and nothing on stdout',
    GUARD,
    async () => {
      for (const args of [
        ['--lockfile', MERGE_MARKERS],
        ['--lockfile', '*.terraform.lock.hcl'],
      ]) {
        const r = await runCli(['plan', '--json', ...args], { cwd: CORPUS });
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stdout, '');
        assert.match(r.stderr, /^0029\.terraform\.lock\.hcl:5:1: .*merge conflict/im);
        assert.ok(!hasStackTrace(r.stderr), r.stderr);
      }
    },
  );

  it('without --json prints a table and the package count', GUARD, async () => {
    const r = await runCli(['plan', '--lockfile', '0001.terraform.lock.hcl'], { cwd: CORPUS });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^PROVIDER +VERSION +CONSTRAINTS +HASHES +LOCKED IN$/m);
    assert.match(r.stdout, /= 1 package\n$/);
  });
});
