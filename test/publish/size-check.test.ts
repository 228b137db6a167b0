import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isRepoxyError } from '../../src/domain/errors.ts';
import {
  checkPagesSize,
  formatBytes,
  measureMirror,
  PAGES_SIZE_LIMITS,
  retentionCost,
} from '../../src/publish/size-check.ts';
import type { ArchiveRecord } from '../../src/domain/package.ts';

const file = (path: string, size: number) => ({ path, kind: 'file' as const, size });
const dir = (path: string) => ({ path, kind: 'dir' as const, size: 0 });

const entries = [
  dir(''),
  file('.nojekyll', 0),
  file('.well-known/terraform.json', 40),
  dir('registry.terraform.io/hashicorp/aws'),
  file('registry.terraform.io/hashicorp/aws/index.json', 30),
  file('registry.terraform.io/hashicorp/aws/terraform-provider-aws_5.0.0_linux_amd64.zip', 9000),
  file('registry.opentofu.org/hashicorp/null/terraform-provider-null_3.2.1_linux_amd64.zip', 500),
  file('v1/providers/registry.opentofu.org/hashicorp/null/versions', 70),
  file('v1/providers/registry.terraform.io/hashicorp/aws/5.0.0/download/linux/amd64', 300),
  file('registry.terraform.io/hashicorp/dns/terraform-provider-dns_3.0.0_linux_amd64.zip', 2000),
];

describe('Pages size check', () => {
  test('attributes every file to its provider, registry view included, heaviest first', () => {
    const report = measureMirror(entries);
    assert.equal(report.totalBytes, 11_940);
    assert.equal(report.otherBytes, 40);
    assert.deepEqual(report.providers, [
      { provider: 'registry.terraform.io/hashicorp/aws', bytes: 9330 },
      { provider: 'registry.terraform.io/hashicorp/dns', bytes: 2000 },
      { provider: 'registry.opentofu.org/hashicorp/null', bytes: 570 },
    ]);
  });

  test('passes silently up to the warning threshold', () => {
    const limits = { warnBytes: 10_000, failBytes: 20_000 };
    assert.deepEqual(checkPagesSize(10_000, measureMirror(entries), limits), {});
  });

  test('warns over the warning threshold, naming the heaviest providers', () => {
    const { warning } = checkPagesSize(10_001, measureMirror(entries), {
      warnBytes: 10_000,
      failBytes: 20_000,
    });
    assert.match(warning ?? '', /9\.8 KiB, over the 9\.8 KiB GitHub Pages supports/);
    assert.match(
      warning ?? '',
      /Heaviest providers: registry\.terraform\.io\/hashicorp\/aws \(9\.1 KiB\), registry\.terraform\.io\/hashicorp\/dns/,
    );
  });

  test('fails over the hard threshold with PUBLISH, naming the heaviest providers and the way out', () => {
    assert.throws(
      () => checkPagesSize(20_001, measureMirror(entries), { warnBytes: 10_000, failBytes: 20_000 }),
      (err: unknown) => {
        assert.ok(isRepoxyError(err));
        assert.equal(err.code, 'PUBLISH');
        assert.match(err.message, /registry\.terraform\.io\/hashicorp\/aws \(9\.1 KiB\)/);
        assert.match(err.message, /publish: artifact/);
        return true;
      },
    );
  });

  test('over a limit, names what retention costs and how to lower it', () => {
    const retained = { keepDays: 30, versions: 2, bytes: 4096 };
    const limits = { warnBytes: 10_000, failBytes: 20_000 };
    const { warning } = checkPagesSize(10_001, { ...measureMirror(entries), retained }, limits);
    assert.match(
      warning ?? '',
      /Retention keeps 2 version\(s\) no lock file locks now \(4\.0 KiB, keep-days 30\)/,
    );
    assert.match(warning ?? '', /lower keep-days, narrow include\/exclude, or publish to an OCI registry/);
    assert.throws(
      () => checkPagesSize(20_001, { ...measureMirror(entries), retained }, limits),
      /Retention keeps 2 version\(s\)/,
    );
    assert.doesNotMatch(checkPagesSize(10_001, measureMirror(entries), limits).warning ?? '', /Retention/);
  });

  test('counts the kept versions among the archives', () => {
    const address = { hostname: 'registry.terraform.io', namespace: 'hashicorp', type: 'aws' };
    const archive = (version: string, size: number) =>
      ({ ref: { address, version, platform: { os: 'linux', arch: 'amd64' } }, size }) as ArchiveRecord;
    const decisions = [
      { address, version: '5.0.0', lastLocked: '2026-11-01', outcome: 'kept' as const, reason: '' },
    ];
    assert.deepEqual(retentionCost([archive('5.0.0', 700), archive('5.1.0', 900)], decisions, 30), {
      keepDays: 30,
      versions: 1,
      bytes: 700,
    });
  });

  test('defaults to Pages limits: warn over 1 GiB, fail over 10 GiB', () => {
    assert.deepEqual(PAGES_SIZE_LIMITS, { warnBytes: 1024 ** 3, failBytes: 10 * 1024 ** 3 });
    assert.ok(checkPagesSize(1024 ** 3 + 1, measureMirror(entries)).warning);
    assert.throws(() => checkPagesSize(10 * 1024 ** 3 + 1, measureMirror(entries)), /over the 10\.0 GiB/);
  });

  test('formats bytes for people', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(3 * 1024 ** 3), '3.0 GiB');
  });
});
