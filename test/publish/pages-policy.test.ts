import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ProviderAddress } from '../../src/domain/address.ts';
import { isRepoxyError } from '../../src/domain/errors.ts';
import { assertPagesPolicy, privateProviders } from '../../src/publish/pages-policy.ts';

const at = (hostname: string, type = 'null'): ProviderAddress => ({ hostname, namespace: 'hashicorp', type });

describe('Pages policy', () => {
  test('publishes providers of registry.terraform.io and registry.opentofu.org', () => {
    assert.doesNotThrow(() =>
      assertPagesPolicy([at('registry.terraform.io'), at('registry.opentofu.org')], false),
    );
  });

  test('refuses any other host, naming each provider once, with PUBLISH', () => {
    const addresses = [
      at('registry.terraform.io'),
      at('tf.corp.example', 'secret'),
      at('tf.corp.example', 'secret'),
      at('registry.terraform.io.evil.example'),
    ];
    assert.throws(
      () => assertPagesPolicy(addresses, false),
      (err: unknown) => {
        assert.ok(isRepoxyError(err));
        assert.equal(err.code, 'PUBLISH');
        assert.match(err.message, /refusing to publish 2 provider\(s\)/);
        assert.match(
          err.message,
          /registry\.terraform\.io\.evil\.example\/hashicorp\/null, tf\.corp\.example\/hashicorp\/secret\./,
        );
        assert.match(err.message, /allow-private-providers: true/);
        return true;
      },
    );
  });

  test('allows other hosts when allow-private-providers is set', () => {
    assert.doesNotThrow(() => assertPagesPolicy([at('tf.corp.example')], true));
  });

  test('compares hosts in their ASCII, lower-case form', () => {
    assert.deepEqual(privateProviders([at('Registry.Terraform.IO'), at('bücher.example')]), [
      'bücher.example/hashicorp/null',
    ]);
  });
});
