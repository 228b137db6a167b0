import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse } from '@cdktf/hcl2json';
import { startFixtureRegistry, type FixtureRegistry } from '../support/fixture-registry.ts';

const TOFU = 'registry.opentofu.org/hashicorp/null';
const PRIVATE = 'registry.example.com/acme/widget';
const PLATFORMS = ['linux_amd64', 'darwin_arm64', 'windows_amd64'];

describe('fixture registry: lockFile()', () => {
  let registry: FixtureRegistry;
  before(async () => {
    registry = await startFixtureRegistry({
      providers: [
        {
          hostname: 'registry.opentofu.org',
          namespace: 'hashicorp',
          type: 'null',
          version: '3.2.3',
          platforms: PLATFORMS,
        },
        {
          hostname: 'registry.example.com',
          namespace: 'acme',
          type: 'widget',
          version: '1.0.0',
          platforms: PLATFORMS,
        },
      ],
    });
  });
  after(() => registry.close());

  const hashesOf = (address: string, version: string, kind: 'h1Unpacked' | 'zh', platforms = PLATFORMS) =>
    platforms.map((p) => registry.archive(address, version, p)[kind]);

  it('writes what tofu init writes: header, sorted blocks, aligned attributes, sorted hashes', () => {
    const text = registry.lockFile(
      [
        { address: TOFU, version: '3.2.3', constraints: '~> 3.2' },
        { address: PRIVATE, version: '1.0.0', platforms: ['linux_amd64'] },
      ],
      'both',
    );
    const privateHashes = [
      registry.archive(PRIVATE, '1.0.0', 'linux_amd64').h1Unpacked,
      ...hashesOf(PRIVATE, '1.0.0', 'zh'),
    ].sort();
    const tofuHashes = [...hashesOf(TOFU, '3.2.3', 'h1Unpacked'), ...hashesOf(TOFU, '3.2.3', 'zh')].sort();
    const expected = [
      '# This file is maintained automatically by "tofu init".',
      '# Manual edits may be lost in future updates.',
      '',
      `provider "${PRIVATE}" {`,
      '  version = "1.0.0"',
      '  hashes = [',
      ...privateHashes.map((h) => `    "${h}",`),
      '  ]',
      '}',
      '',
      `provider "${TOFU}" {`,
      '  version     = "3.2.3"',
      '  constraints = "~> 3.2"',
      '  hashes = [',
      ...tofuHashes.map((h) => `    "${h}",`),
      '  ]',
      '}',
      '',
    ].join('\n');
    assert.equal(text, expected);
  });

  it('selects the hash sets asked for', async () => {
    const listed = ['darwin_arm64'];
    const entry = { address: PRIVATE, version: '1.0.0', platforms: listed };
    const cases = {
      h1: hashesOf(PRIVATE, '1.0.0', 'h1Unpacked', listed),
      zh: hashesOf(PRIVATE, '1.0.0', 'zh', listed),
      'all-platforms-zh': hashesOf(PRIVATE, '1.0.0', 'zh'),
      both: [...hashesOf(PRIVATE, '1.0.0', 'h1Unpacked', listed), ...hashesOf(PRIVATE, '1.0.0', 'zh')],
    } as const;
    for (const [kind, hashes] of Object.entries(cases)) {
      const parsed = (await parse(
        '.terraform.lock.hcl',
        registry.lockFile([entry], kind as keyof typeof cases),
      )) as {
        provider: Record<string, { version: string; hashes?: string[] }[]>;
      };
      assert.deepEqual(parsed.provider[PRIVATE], [{ version: '1.0.0', hashes: [...hashes].sort() }], kind);
    }
    const none = registry.lockFile([entry], 'none');
    assert.doesNotMatch(none, /hashes/);
    assert.deepEqual(await parse('x.hcl', none), { provider: { [PRIVATE]: [{ version: '1.0.0' }] } });
  });

  it('lists every platform of the version when no platforms are given', () => {
    const text = registry.lockFile([{ address: PRIVATE, version: '1.0.0' }], 'h1');
    for (const h of hashesOf(PRIVATE, '1.0.0', 'h1Unpacked')) assert.ok(text.includes(`"${h}",`), h);
  });

  it('refuses providers, versions and platforms it does not serve', () => {
    assert.throws(() => registry.lockFile([{ address: PRIVATE, version: '9.9.9' }], 'zh'), /does not serve/);
    assert.throws(
      () => registry.lockFile([{ address: 'x.example/a/b', version: '1.0.0' }], 'zh'),
      /does not serve/,
    );
    assert.throws(
      () => registry.lockFile([{ address: PRIVATE, version: '1.0.0', platforms: ['linux_s390x'] }], 'zh'),
      /has no linux_s390x/,
    );
  });
});
