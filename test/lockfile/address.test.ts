import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkLockLabel, normalizeHostname, normalizeProviderPart } from '../../src/lockfile/address.ts';

const INVALID = 'Invalid provider source address';
const NON_NORMALIZED = 'Non-normalized provider source address';

/** [summary, canonical form named in the detail] for a refused label; 'ok' for an accepted one. */
function verdict(label: string): string | [string, string | undefined] {
  const check = checkLockLabel(label);
  if (check.ok) return 'ok';
  return [check.summary, /written as "([^"]+)"/.exec(check.detail)?.[1]];
}

describe('checkLockLabel (PROTOCOL.md §3)', () => {
  it('accepts fully-qualified, normalized addresses on any host', () => {
    for (const label of [
      'registry.opentofu.org/hashicorp/null',
      'registry.terraform.io/hashicorp/aws',
      'registry.terraform.io/terraform-provider-openstack/openstack',
      'registry.terraform.io/hashicorp/google-beta',
      'example.com/exampleprovider/kubevirt',
      'terraform.local/local/x1',
      'example.com:8443/acme/thing',
      'café.example/acme/thing',
      '127.0.0.1/a/b',
    ]) {
      assert.equal(verdict(label), 'ok', label);
    }
    const ok = checkLockLabel('café.example/acme/thing');
    assert.deepEqual(ok.ok && ok.address, { hostname: 'café.example', namespace: 'acme', type: 'thing' });
  });

  it('names the normalized form of a label that is valid but not written normalized', () => {
    const cases: [string, string][] = [
      ['hashicorp/null', 'registry.opentofu.org/hashicorp/null'],
      ['null', 'registry.opentofu.org/hashicorp/null'],
      ['Registry.OpenTofu.org/hashicorp/null', 'registry.opentofu.org/hashicorp/null'],
      ['registry.opentofu.org/HashiCorp/null', 'registry.opentofu.org/hashicorp/null'],
      ['registry.opentofu.org/hashicorp/Null', 'registry.opentofu.org/hashicorp/null'],
      ['example.com:443/a/b', 'example.com/a/b'],
      ['example.com:0080/a/b', 'example.com:80/a/b'],
      ['CAFÉ.example/a/b', 'café.example/a/b'],
      ['xn--caf-dma.example/a/b', 'café.example/a/b'],
    ];
    for (const [label, canonical] of cases)
      assert.deepEqual(verdict(label), [NON_NORMALIZED, canonical], label);
  });

  it('refuses labels that are not provider addresses, or not lockable', () => {
    for (const label of [
      '',
      'too/many/parts/here',
      'a//b',
      'registry.opentofu.org/hashi_corp/null',
      'registry.opentofu.org/hashi--corp/null',
      'registry.opentofu.org/-hashicorp/null',
      'registry.opentofu.org/hashicorp/null-',
      'registry.opentofu.org/hashi.corp/null',
      'registry.opentofu.org/hashicorp/terraform-provider-null',
      'registry.opentofu.org/hashicorp/opentofu-null',
      'registry.opentofu.org/-/null',
      'registry.terraform.io/-/null',
      'terraform.io/builtin/terraform',
      'opentofu.org/builtin/foo',
      'terraform',
      'exa mple.com/a/b',
      'example..com/a/b',
      'example.com./a/b',
      'under_score.com/a/b',
      'example.com:99999/a/b',
      'example.com:port/a/b',
      'https://example.com/a',
    ]) {
      const v = verdict(label);
      assert.ok(Array.isArray(v) && v[0] === INVALID, `${label}: ${JSON.stringify(v)}`);
    }
  });
});

describe('normalizeProviderPart / normalizeHostname', () => {
  it('case-folds parts like DNS labels, including non-ASCII letters', () => {
    assert.deepEqual(normalizeProviderPart('AWS'), { ok: true, value: 'aws' });
    assert.deepEqual(normalizeProviderPart('Żółw'), { ok: true, value: 'żółw' });
    assert.deepEqual(normalizeProviderPart('123'), { ok: true, value: '123' });
    assert.equal(normalizeProviderPart('a_b').ok, false);
    assert.equal(normalizeProviderPart('').ok, false);
  });

  it('keeps hostnames in Unicode display form, drops :443, refuses punycode', () => {
    assert.deepEqual(normalizeHostname('MÜNCHEN.example'), { ok: true, value: 'münchen.example' });
    assert.deepEqual(normalizeHostname('example.com:443'), { ok: true, value: 'example.com' });
    assert.deepEqual(normalizeHostname('example.com:8443'), { ok: true, value: 'example.com:8443' });
    assert.equal(normalizeHostname('xn--mnchen-3ya.example').ok, false);
    assert.equal(normalizeHostname('').ok, false);
  });
});
