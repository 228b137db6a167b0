import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  filesystemMirrorConfig,
  mirrorBaseUrl,
  networkMirrorConfig,
  registryViewConfig,
} from '../../src/mirror/client-config.ts';

describe('CLI configuration for the mirror', () => {
  it('always gives the network mirror URL its trailing slash (PROTOCOL.md §1.2)', () => {
    assert.equal(mirrorBaseUrl('https://org.github.io/repo'), 'https://org.github.io/repo/');
    assert.equal(mirrorBaseUrl('https://org.github.io/repo/'), 'https://org.github.io/repo/');
    assert.match(
      networkMirrorConfig('https://org.github.io/repo'),
      /url = "https:\/\/org\.github\.io\/repo\/"/,
    );
  });

  it('refuses a mirror URL clients would refuse or mangle', () => {
    for (const bad of ['http://org.github.io/repo/', 'not a url', 'https://x/a/?q=1', 'https://x/a/#f']) {
      assert.throws(() => mirrorBaseUrl(bad), { code: 'INPUT_INVALID' }, bad);
    }
  });

  it('writes a network_mirror limited to the mirrored providers, with direct for the rest when allowed', () => {
    assert.equal(
      networkMirrorConfig('https://m.example/', {
        include: ['registry.terraform.io/hashicorp/aws'],
        allowDirect: true,
      }),
      'provider_installation {\n' +
        '  network_mirror {\n' +
        '    url = "https://m.example/"\n' +
        '    include = ["registry.terraform.io/hashicorp/aws"]\n' +
        '  }\n' +
        '  direct {\n' +
        '    exclude = ["registry.terraform.io/hashicorp/aws"]\n' +
        '  }\n' +
        '}\n',
    );
  });

  it('writes a filesystem_mirror with no direct block by default', () => {
    assert.equal(
      filesystemMirrorConfig('/tmp/my "mirror"'),
      'provider_installation {\n  filesystem_mirror {\n    path = "/tmp/my \\"mirror\\""\n  }\n}\n',
    );
  });

  it('refuses values HCL1 would read as a template', () => {
    assert.throws(() => filesystemMirrorConfig('/tmp/${HOME}'), { code: 'INPUT_INVALID' });
  });

  it('points each registry host at its subtree of the registry view, keeping modules upstream', () => {
    const text = registryViewConfig('https://org.github.io/repo', ['registry.terraform.io']);
    assert.match(text, /host "registry\.terraform\.io" \{/);
    assert.match(
      text,
      /"providers\.v1" = "https:\/\/org\.github\.io\/repo\/v1\/providers\/registry\.terraform\.io\/"/,
    );
    assert.match(text, /"modules\.v1"\s+= "https:\/\/registry\.terraform\.io\/v1\/modules\/"/);
  });
});
