import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAddress } from '../../src/domain/address.ts';
import { isRepoxyError } from '../../src/domain/errors.ts';
import { parsePlatform } from '../../src/domain/platform.ts';
import { parseLockFile, type LockFile } from '../../src/lockfile/parse.ts';
import { buildPlan, packagesOf, planToJSON, unmatchedIncludes } from '../../src/plan/plan.ts';
import { fakeHash, lockFileText, type FixtureProvider } from '../support/lockfile-fixtures.ts';

const TF_AWS = 'registry.terraform.io/hashicorp/aws';
const TOFU_AWS = 'registry.opentofu.org/hashicorp/aws';
const TOFU_NULL = 'registry.opentofu.org/hashicorp/null';
const LINUX = [parsePlatform('linux_amd64')];

function file(path: string, providers: FixtureProvider[]): LockFile {
  const parsed = parseLockFile(lockFileText(providers), path);
  assert.deepEqual(parsed.diagnostics, [], `fixture ${path} must be valid`);
  return parsed;
}

function plan(files: LockFile[], include: string[] = [], exclude: string[] = []) {
  return buildPlan(files, { platforms: LINUX, include, exclude });
}

describe('buildPlan', () => {
  it('dedupes (address, version) across files, unions hashes and lists every path:line', () => {
    const [h1a, h1b, zh1, zh2] = [
      fakeHash('h1', 'a'),
      fakeHash('h1', 'b'),
      fakeHash('zh', '1'),
      fakeHash('zh', '2'),
    ];
    const files = [
      file('a/.terraform.lock.hcl', [{ address: TF_AWS, version: '5.0.0', hashes: [zh2, h1a, zh1] }]),
      file('b/.terraform.lock.hcl', [
        { address: TOFU_NULL, version: '3.2.0' },
        { address: TF_AWS, version: '5.0.0', hashes: [h1b, zh1, zh2] },
      ]),
    ];
    const result = plan(files);
    assert.equal(result.providers.length, 2);
    const aws = result.providers.find((p) => formatAddress(p.address) === TF_AWS)!;
    assert.deepEqual(aws.hashes, [h1a, h1b, zh1, zh2].sort());
    assert.deepEqual(aws.lockfiles, ['a/.terraform.lock.hcl:4', 'b/.terraform.lock.hcl:8']);
  });

  it('keeps the first non-null constraints seen, in file order', () => {
    const files = [
      file('1.hcl', [{ address: TOFU_NULL, version: '3.2.0' }]),
      file('2.hcl', [{ address: TOFU_NULL, version: '3.2.0', constraints: '~> 3.0' }]),
      file('3.hcl', [{ address: TOFU_NULL, version: '3.2.0', constraints: '>= 3.2.0' }]),
    ];
    assert.equal(plan(files).providers[0]!.constraints, '~> 3.0');
    assert.equal(plan([files[0]!]).providers[0]!.constraints, null);
  });

  it('treats registry.terraform.io and registry.opentofu.org as different providers', () => {
    const files = [
      file('x.hcl', [
        { address: TF_AWS, version: '5.0.0', hashes: [fakeHash('zh', 'tf')] },
        { address: TOFU_AWS, version: '5.0.0', hashes: [fakeHash('zh', 'tofu')] },
      ]),
    ];
    const result = plan(files);
    assert.deepEqual(
      result.providers.map((p) => [formatAddress(p.address), p.hashes]),
      [
        [TOFU_AWS, [fakeHash('zh', 'tofu')]],
        [TF_AWS, [fakeHash('zh', 'tf')]],
      ],
    );
  });

  it('sorts providers by host, namespace, type, then semantic version', () => {
    const files = [
      file('1.hcl', [
        { address: 'registry.terraform.io/hashicorp/null', version: '3.10.0' },
        { address: 'registry.opentofu.org/z/a', version: '1.0.0' },
        { address: 'example.com/a/b', version: '1.0.0' },
        { address: 'registry.opentofu.org/a/z', version: '1.0.0' },
      ]),
      file('2.hcl', [{ address: 'registry.terraform.io/hashicorp/null', version: '3.9.0' }]),
      file('3.hcl', [{ address: 'registry.terraform.io/hashicorp/null', version: '3.10.0-rc1' }]),
      file('4.hcl', [{ address: 'registry.terraform.io/hashicorp/null', version: '3.2.0' }]),
    ];
    assert.deepEqual(
      plan(files).providers.map((p) => `${formatAddress(p.address)}@${p.version}`),
      [
        'example.com/a/b@1.0.0',
        'registry.opentofu.org/a/z@1.0.0',
        'registry.opentofu.org/z/a@1.0.0',
        'registry.terraform.io/hashicorp/null@3.2.0',
        'registry.terraform.io/hashicorp/null@3.9.0',
        'registry.terraform.io/hashicorp/null@3.10.0-rc1',
        'registry.terraform.io/hashicorp/null@3.10.0',
      ],
    );
  });

  it('applies include and exclude patterns, exclusion winning', () => {
    const files = [
      file('x.hcl', [
        { address: TF_AWS, version: '5.0.0' },
        { address: TOFU_AWS, version: '5.0.0' },
        { address: TOFU_NULL, version: '3.2.0' },
        { address: 'registry.terraform.io/gitlabhq/gitlab', version: '17.0.0' },
      ]),
    ];
    const names = (include: string[], exclude: string[]) =>
      plan(files, include, exclude).providers.map((p) => formatAddress(p.address));
    assert.deepEqual(names(['hashicorp/*'], []), [TOFU_AWS, TOFU_NULL]);
    assert.deepEqual(names(['registry.terraform.io/*/*'], ['registry.terraform.io/gitlabhq/*']), [TF_AWS]);
    assert.deepEqual(names([], ['hashicorp/null']), [
      TOFU_AWS,
      'registry.terraform.io/gitlabhq/gitlab',
      TF_AWS,
    ]);
    assert.deepEqual(names(['*/*/*'], ['*/*/*']), []);
  });

  it('refuses an invalid pattern with INPUT_INVALID naming it', () => {
    assert.throws(
      () => plan([], ['*/hashicorp/aws']),
      (err) =>
        isRepoxyError(err) && err.code === 'INPUT_INVALID' && err.message.includes('"*/hashicorp/aws"'),
    );
  });

  it('dedupes and sorts platforms, and requires at least one', () => {
    const platforms = ['linux_arm64', 'darwin_arm64', 'linux_amd64', 'linux_arm64'].map(parsePlatform);
    const result = buildPlan([], { platforms, include: [], exclude: [] });
    assert.deepEqual(result.platforms, [
      { os: 'darwin', arch: 'arm64' },
      { os: 'linux', arch: 'amd64' },
      { os: 'linux', arch: 'arm64' },
    ]);
    assert.throws(
      () => buildPlan([], { platforms: [], include: [], exclude: [] }),
      (err) => isRepoxyError(err) && err.code === 'INPUT_INVALID',
    );
  });

  it('throws LOCK_INVALID with every error of every file, ignoring warnings', () => {
    const bad1 = parseLockFile('provider "hashicorp/null" {\n}\nfoo {}\n', 'one.hcl');
    const bad2 = parseLockFile(`provider "${TOFU_NULL}" {\n  version = "v1"\n}\n`, 'two.hcl');
    const warnOnly = parseLockFile(
      `module "m" {}\n${lockFileText([{ address: TF_AWS, version: '5.0.0' }])}`,
      'w.hcl',
    );
    assert.equal(plan([warnOnly]).providers.length, 1);
    assert.throws(
      () => plan([bad1, warnOnly, bad2]),
      (err) => {
        assert.ok(isRepoxyError(err));
        assert.equal(err.code, 'LOCK_INVALID');
        assert.equal(err.message, '3 problems in lock files');
        assert.deepEqual(
          err.diagnostics.map((d) => `${d.path}:${d.line}:${d.code}`),
          ['one.hcl:1:LOCK_BAD_ADDRESS', 'one.hcl:3:LOCK_UNKNOWN_BLOCK', 'two.hcl:2:LOCK_BAD_VERSION'],
        );
        assert.match(err.detail ?? '', /^one\.hcl:1:10: Non-normalized provider source address/);
        return true;
      },
    );
  });

  it('lists packages as provider × platform, in plan order', () => {
    const files = [
      file('x.hcl', [
        { address: TOFU_NULL, version: '3.2.0' },
        { address: TF_AWS, version: '5.0.0' },
      ]),
    ];
    const platforms = ['linux_amd64', 'darwin_arm64'].map(parsePlatform);
    const packages = packagesOf(buildPlan(files, { platforms, include: [], exclude: [] }));
    assert.deepEqual(
      packages.map((p) => `${p.address.type}@${p.version}/${p.platform.os}_${p.platform.arch}`),
      [
        'null@3.2.0/darwin_arm64',
        'null@3.2.0/linux_amd64',
        'aws@5.0.0/darwin_arm64',
        'aws@5.0.0/linux_amd64',
      ],
    );
  });
});

describe('planToJSON', () => {
  it('has exactly the documented shape and key order', () => {
    const files = [
      file('a.hcl', [{ address: TF_AWS, version: '5.0.0', constraints: '~> 5.0', hashes: ['zh:b', 'h1:a'] }]),
      file('b.hcl', [{ address: TOFU_NULL, version: '3.2.0' }]),
    ];
    const platforms = ['linux_amd64', 'darwin_arm64'].map(parsePlatform);
    const json = JSON.stringify(planToJSON(buildPlan(files, { platforms, include: [], exclude: [] })));
    assert.equal(
      json,
      JSON.stringify({
        platforms: ['darwin_arm64', 'linux_amd64'],
        providers: [
          {
            address: TOFU_NULL,
            version: '3.2.0',
            constraints: null,
            hashes: [],
            lockfiles: ['b.hcl:4'],
          },
          {
            address: TF_AWS,
            version: '5.0.0',
            constraints: '~> 5.0',
            hashes: ['h1:a', 'zh:b'],
            lockfiles: ['a.hcl:4'],
          },
        ],
      }),
    );
  });
});

describe('unmatchedIncludes', () => {
  it('names each include pattern that selects no locked provider, whatever the excludes', () => {
    const files = [
      file('a/.terraform.lock.hcl', [{ address: TF_AWS, version: '5.0.0' }]),
      file('b/.terraform.lock.hcl', [{ address: TOFU_NULL, version: '3.2.0' }]),
    ];
    assert.deepEqual(unmatchedIncludes(files, []), []);
    assert.deepEqual(unmatchedIncludes(files, ['hashicorp/null', 'registry.terraform.io/*/*']), []);
    // NS/TYPE means registry.opentofu.org: the Terraform registry's aws is not selected by it.
    assert.deepEqual(unmatchedIncludes(files, ['hashicorp/null', 'hashicorp/aws', 'example.com/*/*']), [
      'hashicorp/aws',
      'example.com/*/*',
    ]);
  });
});
