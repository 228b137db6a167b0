import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRepoxyError } from '../../src/domain/errors.ts';
import { isSelected, matchesPattern, parseProviderPattern } from '../../src/plan/patterns.ts';

const AWS_TF = { hostname: 'registry.terraform.io', namespace: 'hashicorp', type: 'aws' };
const AWS_TOFU = { hostname: 'registry.opentofu.org', namespace: 'hashicorp', type: 'aws' };
const NULL_TOFU = { hostname: 'registry.opentofu.org', namespace: 'hashicorp', type: 'null' };
const GITLAB = { hostname: 'registry.terraform.io', namespace: 'gitlabhq', type: 'gitlab' };
const CUSTOM = { hostname: 'café.example:8443', namespace: 'acme', type: 'thing' };

describe('parseProviderPattern (PROTOCOL.md §1.1)', () => {
  it('parses the accepted shapes, defaulting the host to registry.opentofu.org and normalizing case', () => {
    const parts = (text: string) => {
      const p = parseProviderPattern(text);
      return [p.hostname, p.namespace, p.type];
    };
    assert.deepEqual(parts('*/*/*'), ['*', '*', '*']);
    assert.deepEqual(parts('registry.terraform.io/*/*'), ['registry.terraform.io', '*', '*']);
    assert.deepEqual(parts('Registry.Terraform.IO/HashiCorp/*'), ['registry.terraform.io', 'hashicorp', '*']);
    assert.deepEqual(parts('hashicorp/aws'), ['registry.opentofu.org', 'hashicorp', 'aws']);
    assert.deepEqual(parts('hashicorp/*'), ['registry.opentofu.org', 'hashicorp', '*']);
    assert.deepEqual(parts('CAFÉ.example:8443/acme/thing'), ['café.example:8443', 'acme', 'thing']);
    assert.deepEqual(parts('example.com:443/a/b'), ['example.com', 'a', 'b']);
  });

  it('refuses wildcards that are not right to left, and malformed patterns, naming the pattern', () => {
    for (const bad of [
      'aws',
      'a/b/c/d',
      '',
      '*/hashicorp/aws',
      '*/*/aws',
      '*/hashicorp/*',
      'registry.terraform.io/*/aws',
      '*/aws',
      'hashi_corp/aws',
      'hashicorp/a*',
      'xn--caf-dma.example/a/b',
      'bad host/a/b',
      'hashicorp/',
    ]) {
      assert.throws(
        () => parseProviderPattern(bad),
        (err) => isRepoxyError(err) && err.code === 'INPUT_INVALID' && err.message.includes(`"${bad}"`),
        bad,
      );
    }
  });
});

describe('matchesPattern / isSelected', () => {
  it('matches by host, namespace and type; the host is part of the identity', () => {
    assert.equal(matchesPattern(parseProviderPattern('hashicorp/aws'), AWS_TOFU), true);
    assert.equal(matchesPattern(parseProviderPattern('hashicorp/aws'), AWS_TF), false);
    assert.equal(matchesPattern(parseProviderPattern('registry.terraform.io/hashicorp/*'), AWS_TF), true);
    assert.equal(matchesPattern(parseProviderPattern('registry.terraform.io/hashicorp/*'), GITLAB), false);
    assert.equal(matchesPattern(parseProviderPattern('registry.terraform.io/*/*'), GITLAB), true);
    assert.equal(matchesPattern(parseProviderPattern('*/*/*'), CUSTOM), true);
    assert.equal(matchesPattern(parseProviderPattern('café.example:8443/acme/thing'), CUSTOM), true);
  });

  it('includes everything when include is empty, and lets exclude win', () => {
    const p = parseProviderPattern;
    assert.equal(isSelected(AWS_TF, [], []), true);
    assert.equal(isSelected(AWS_TF, [p('hashicorp/*')], []), false);
    assert.equal(isSelected(NULL_TOFU, [p('hashicorp/*')], []), true);
    assert.equal(isSelected(NULL_TOFU, [p('hashicorp/*')], [p('hashicorp/null')]), false);
    assert.equal(isSelected(NULL_TOFU, [], [p('*/*/*')]), false);
    assert.equal(isSelected(GITLAB, [p('hashicorp/*'), p('registry.terraform.io/gitlabhq/*')], []), true);
  });
});
