import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePlatform } from '../../src/domain/platform.ts';
import { parseLockFile } from '../../src/lockfile/parse.ts';
import { buildPlan, formatPlanTable } from '../../src/plan/plan.ts';
import { lockFileText } from '../support/lockfile-fixtures.ts';

describe('formatPlanTable', () => {
  it('shows one aligned row per provider version and counts the packages', () => {
    const a = parseLockFile(
      lockFileText([
        {
          address: 'registry.terraform.io/hashicorp/aws',
          version: '5.0.0',
          constraints: '~> 5.0',
          hashes: ['h1:a', 'zh:b', 'zh:c'],
        },
        { address: 'example.com/x/y', version: '1.0.0', hashes: ['test:z'] },
      ]),
      'infra/a.hcl',
    );
    const b = parseLockFile(
      lockFileText([{ address: 'registry.terraform.io/hashicorp/aws', version: '5.0.0', hashes: ['h1:d'] }]),
      'infra/b.hcl',
    );
    const platforms = ['linux_amd64', 'darwin_arm64'].map(parsePlatform);
    const table = formatPlanTable(buildPlan([a, b], { platforms, include: [], exclude: [] }));
    assert.equal(
      table,
      [
        'PROVIDER                             VERSION  CONSTRAINTS  HASHES               LOCKED IN',
        'example.com/x/y                      1.0.0    -            0 h1, 0 zh, 1 other  infra/a.hcl:14',
        'registry.terraform.io/hashicorp/aws  5.0.0    ~> 5.0       2 h1, 2 zh           infra/a.hcl:4 (+1 more)',
        '',
        '2 provider versions × 2 platforms (darwin_arm64, linux_amd64) = 4 packages',
        '',
      ].join('\n'),
    );
  });

  it('renders an empty plan', () => {
    const table = formatPlanTable(
      buildPlan([], { platforms: [parsePlatform('linux_amd64')], include: [], exclude: [] }),
    );
    assert.match(
      table,
      /^PROVIDER {2}VERSION {2}CONSTRAINTS {2}HASHES {2}LOCKED IN\n\n0 provider versions × 1 platform \(linux_amd64\) = 0 packages\n$/,
    );
  });
});
