import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { TOFU_RANDOM } from '../mirror-fixture.ts';
import { fetchManifest, fixtureMirror, push, suiteRegistry } from './oci-world.ts';

const PROVIDER_DIR = 'registry.opentofu.org/hashicorp/random';
const ZIP = 'terraform-provider-random_3.6.0_linux_amd64.zip';
const REPO = 'tofu/registry.opentofu.org/hashicorp/random';

// The anchor of push-oci is the mirror repoxy wrote from verified bytes; these mirrors lie about it.
describe('push-oci verifies every archive again before pushing it', () => {
  const suite = suiteRegistry();

  async function refused(mirror: string, pattern: RegExp, codes = ['VERIFY_SHASUM']): Promise<void> {
    await assert.rejects(push(suite.registry, mirror), (err: { code?: string; message?: string }) => {
      assert.ok(codes.includes(err.code ?? ''), `${err.code}: ${err.message}`);
      assert.match(err.message ?? '', pattern);
      return true;
    });
    assert.equal((await fetchManifest(suite.registry, REPO, '3.6.0')).status, 404, 'nothing was tagged');
  }

  /** The push succeeds; the tag's linux_amd64 manifest has one layer, the zip's own sha256. */
  async function pushedUnchanged(mirror: string): Promise<void> {
    await push(suite.registry, mirror);
    const index = await fetchManifest(suite.registry, REPO, '3.6.0');
    assert.equal(index.status, 200);
    const manifests = (index.json!['manifests'] as { digest: string; platform: { os: string } }[]).filter(
      (m) => m.platform.os === 'linux',
    );
    assert.equal(manifests.length, 1);
    const target = await fetchManifest(suite.registry, REPO, manifests[0]!.digest);
    const layers = target.json!['layers'] as { digest: string }[];
    const zip = await readFile(path.join(mirror, PROVIDER_DIR, ZIP));
    assert.deepEqual(
      layers.map((l) => l.digest),
      [`sha256:${createHash('sha256').update(zip).digest('hex')}`],
    );
  }

  it('refuses a zip whose bytes no longer match its zh:', async () => {
    const mirror = await fixtureMirror(suite.dir, 'bytes', [TOFU_RANDOM]);
    const zip = path.join(mirror, PROVIDER_DIR, ZIP);
    const bytes = await readFile(zip);
    const at = 40; // inside the stored entry: the zip still opens, its CRC and sha256 no longer match
    bytes[at] = bytes[at]! ^ 0xff;
    await writeFile(zip, bytes);
    await refused(
      mirror,
      /is zh:[0-9a-f]{64}, but its VERSION\.json lists zh:[0-9a-f]{64}: the archive or its VERSION\.json was altered/,
    );
  });

  it('a VERSION.json whose h1: alone was altered does not stop the push (only the zh: digest reaches OCI)', async () => {
    // As the serve action verifies an artifact: an archive with a zh: is checked by its sha256. The h1:
    // is not pushed anywhere (OpenTofu checks the lock file's zh: against the blob digest).
    const mirror = await fixtureMirror(suite.dir, 'h1', [TOFU_RANDOM]);
    const doc = path.join(mirror, PROVIDER_DIR, '3.6.0.json');
    const text = await readFile(doc, 'utf8');
    const h1 = /"(h1:[^"]+)"/.exec(text)![1]!;
    await writeFile(doc, text.replace(h1, 'h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='));
    await pushedUnchanged(mirror);
  });
});
