/** Retention decisions and the reading of an untrusted mirror.json, as pure functions. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Plan } from '../../src/domain/package.ts';
import { readManifest } from '../../src/mirror/manifest-read.ts';
import { decideRetention } from '../../src/mirror/retention.ts';

const address = { hostname: 'registry.terraform.io', namespace: 'hashicorp', type: 'aws' };
const H1 = `h1:${'A'.repeat(43)}=`;
const ZH = `zh:${'a'.repeat(64)}`;

function record(version: string, lastLocked: string, more: Record<string, unknown> = {}) {
  return {
    address: 'registry.terraform.io/hashicorp/aws',
    version,
    platform: 'linux_amd64',
    path: `registry.terraform.io/hashicorp/aws/terraform-provider-aws_${version}_linux_amd64.zip`,
    size: 10,
    h1: H1,
    zh: ZH,
    firstPublished: '2026-10-01',
    lastLocked,
    ...more,
  };
}

const manifest = (archives: unknown[]) => JSON.stringify({ schemaVersion: 1, keepDays: 30, archives });
const plan = (...versions: string[]): Plan => ({
  platforms: [{ os: 'linux', arch: 'amd64' }],
  providers: versions.map((version) => ({ address, version, constraints: null, hashes: [], lockfiles: [] })),
});
const options = { keepDays: 30, today: '2026-12-04', include: [], exclude: [] };

describe('reading a previous mirror.json (untrusted)', () => {
  it('keeps the usable records and names every unusable one', () => {
    const read = readManifest(
      manifest([
        record('5.0.0', '2026-12-01'),
        record('5.0.1', '2026-12-01', { address: 'registry.terraform.io/../evil' }),
        record('5.0.2', '2026-12-01', { zh: 'zh:short' }),
        record('v5', '2026-12-01'),
        record('5.0.3', 'yesterday'),
        'not an object',
      ]),
    );
    assert.deepEqual(
      read.archives.map((a) => a.ref.version),
      ['5.0.0'],
    );
    assert.equal(read.problems.length, 5);
    assert.match(read.problems.join('\n'), /archives\[1\]: address/);
  });

  it('refuses a document of another schema version, or not JSON at all, as a whole', () => {
    assert.match(readManifest('{"schemaVersion":2,"archives":[]}').problems[0] ?? '', /schemaVersion 2/);
    assert.match(readManifest('<html>').problems[0] ?? '', /not valid JSON/);
  });
});

describe('retention decisions', () => {
  const previous = readManifest(
    manifest([record('5.0.0', '2026-11-04'), record('5.1.0', '2026-11-03'), record('5.2.0', '2099-01-01')]),
  ).archives;

  it('keeps what was locked at most keep-days ago, drops the rest, skips what is locked now', () => {
    const r = decideRetention(previous, plan('5.3.0', '5.2.0'), options);
    assert.deepEqual(
      r.decisions.map((d) => [d.version, d.outcome]),
      [
        ['5.0.0', 'kept'],
        ['5.1.0', 'dropped'],
      ],
    );
    assert.deepEqual(
      r.kept.map((p) => [p.version, p.hashes, p.lockfiles]),
      [['5.0.0', [], []]],
    );
  });

  it('counts a lastLocked in the future as today, so a doctored date cannot keep a version forever', () => {
    const r = decideRetention(previous, plan('5.3.0'), options);
    const future = r.decisions.find((d) => d.version === '5.2.0');
    assert.equal(future?.lastLocked, '2026-12-04');
    assert.match(future?.reason ?? '', /kept through 2027-01-03/);
  });

  it('drops everything with keep-days 0, and what include/exclude no longer select', () => {
    assert.ok(
      decideRetention(previous, plan('5.3.0'), { ...options, keepDays: 0 }).decisions.every(
        (d) => d.outcome === 'dropped',
      ),
    );
    const excluded = decideRetention(previous, plan('5.3.0'), {
      ...options,
      exclude: ['registry.terraform.io/hashicorp/*'],
    });
    assert.ok(excluded.decisions.every((d) => d.reason === 'no longer selected by include/exclude'));
  });
});
