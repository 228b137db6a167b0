/**
 * Registry view consistency (issue 13): a version's SHA256SUMS and signature come from one
 * deterministic choice, not from whichever platform finished first; platforms that were served
 * different SHA256SUMS fail the view, in either order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProviderAddress } from '../../src/domain/address.ts';
import type { ArchiveRecord } from '../../src/domain/package.ts';
import { parsePlatform } from '../../src/domain/platform.ts';
import type { MirrorFile } from '../../src/mirror/network-mirror.ts';
import { registryViewFiles, type ViewEntry } from '../../src/mirror/registry-view.ts';

const ADDRESS: ProviderAddress = { hostname: 'registry.terraform.io', namespace: 'hashicorp', type: 'null' };
const BASE = 'v1/providers/registry.terraform.io/hashicorp/null/3.2.0';

/** A view entry for `platform` whose upstream served `sums` (and a signature derived from it). */
function entry(platform: string, sums: string): ViewEntry {
  const ref = { address: ADDRESS, version: '3.2.0', platform: parsePlatform(platform) };
  const filename = `terraform-provider-null_3.2.0_${platform}.zip`;
  const record = { ref, filename } as unknown as ArchiveRecord;
  const document = { protocols: ['5.0'], os: ref.platform.os, arch: ref.platform.arch, filename };
  const meta = {
    ref,
    protocols: ['5.0'],
    filename,
    shasumsUrl: `https://releases.example/${sums}/SHA256SUMS`,
    document,
  } as unknown as ViewEntry['meta'];
  return { record, meta, sums: { sums: Buffer.from(sums), signature: Buffer.from(`sig of ${sums}`) } };
}

function sumsFiles(files: readonly MirrorFile[]): string[] {
  return files
    .filter((f) => f.path.startsWith(`${BASE}/SHA256SUMS`))
    .map((f) => `${f.path.slice(BASE.length + 1)}=${f.kind === 'bytes' ? f.bytes.toString() : ''}`);
}

describe('registry view: one SHA256SUMS per version', () => {
  it('writes the same SHA256SUMS whichever platform finished first', () => {
    const a = entry('linux_amd64', 'sums');
    const b = entry('darwin_arm64', 'sums');
    const forward = registryViewFiles([a, b]);
    const backward = registryViewFiles([b, a]);
    assert.deepEqual(sumsFiles(forward), ['SHA256SUMS=sums', 'SHA256SUMS.sig=sig of sums']);
    assert.deepEqual(sumsFiles(backward), sumsFiles(forward));
  });

  for (const order of ['linux first', 'darwin first']) {
    it(`fails when platforms were served different SHA256SUMS (${order})`, () => {
      const linux = entry('linux_amd64', 'sums-one');
      const darwin = entry('darwin_arm64', 'sums-two');
      const entries = order === 'linux first' ? [linux, darwin] : [darwin, linux];
      assert.throws(() => registryViewFiles(entries), {
        code: 'UPSTREAM_BAD_RESPONSE',
        message:
          'registry.terraform.io/hashicorp/null 3.2.0: the registry served different SHA256SUMS or ' +
          'signatures for darwin_arm64 and linux_amd64; the registry-protocol view serves one SHA256SUMS ' +
          'per version, so it cannot be written (mirror without the view: --no-registry-view / registry-view: false)',
      });
    });
  }

  it('fails when only the signatures differ', () => {
    const linux = entry('linux_amd64', 'sums');
    const darwin = {
      ...entry('darwin_arm64', 'sums'),
      sums: { sums: Buffer.from('sums'), signature: Buffer.from('other') },
    };
    assert.throws(() => registryViewFiles([linux, darwin]), { code: 'UPSTREAM_BAD_RESPONSE' });
  });
});
