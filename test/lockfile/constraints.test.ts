import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { constraintsProblem } from '../../src/lockfile/constraints.ts';

describe('constraintsProblem (PROTOCOL.md §3: VersionConstraintsString form)', () => {
  it('accepts every canonical form OpenTofu writes', () => {
    for (const text of [
      '',
      '1.2.0',
      '~> 1.0',
      '~> 1.53.0',
      '>= 3.0.2',
      '> 1.0.0',
      '< 2.0.0',
      '<= 2.0.0',
      '!= 1.5.0',
      '3.0.2-rc07',
      '~> 2.0-beta',
      '>= 1.0.0+build',
      '>= 2.0.0, ~> 2.0',
      '>= 4.9.0, 4.9.0',
      '~> 3.8.0, 3.8.1',
      '~> 4.2.0, ~> 4.2.1',
      '>= 1.4.0, 2.1.0',
      '~> 5.0, ~> 5.27, >= 5.46.0, ~> 5.77',
      '>= 5.0.0, >= 6.0.0, ~> 6.0',
      '> 1.0.0, >= 1.0.0, 1.0.0, ~> 1.0.0, ~> 1.0, <= 1.0.0, < 1.0.0, != 1.0.0',
      '1.0.0-alpha, 1.0.0',
    ]) {
      assert.equal(constraintsProblem(text), undefined, text);
    }
  });

  it('refuses anything OpenTofu would rewrite or cannot parse', () => {
    for (const text of [
      '~>1.0',
      '~> 1',
      '>=1.0.0',
      '>= 1.0',
      '= 1.0.0',
      '1.0',
      'v1.0.0',
      ' ~> 1.0',
      '~> 1.0 ',
      '~>  1.0',
      '~> 1.0,~> 1.1',
      '~> 2.0, ~> 1.0',
      '~> 1.0, ~> 1.0',
      '1.0.0, >= 1.0.0',
      '~> 1.0, ~> 1.0.0',
      '01.0.0',
      '~> 1.2.3.4',
      '^1.0.0',
      '1.0.0 - 2.0.0',
      ',',
    ]) {
      assert.notEqual(constraintsProblem(text), undefined, text);
    }
  });
});
