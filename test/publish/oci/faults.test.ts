import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startOciFaultProxy, type OciFaultProxy } from '../../support/oci-fault-proxy.ts';
import { startOciRegistry, type OciRegistry } from '../../support/oci-registry.ts';
import { HASHICORP_NULL, TOFU_RANDOM } from '../mirror-fixture.ts';
import { fetchManifest, fixtureMirror, push, tempRoot } from './oci-world.ts';

const isBlobPut = (m: string, p: string) => m === 'PUT' && p.includes('/blobs/uploads/');
const isTagPut = (m: string, p: string) =>
  m === 'PUT' && /\/manifests\/[^/]+$/.test(p) && !p.includes('sha256:');

describe('push-oci through faults scripted in front of a real registry', () => {
  let registry: OciRegistry;
  let proxy: OciFaultProxy;
  let root: Awaited<ReturnType<typeof tempRoot>>;
  before(async () => {
    registry = await startOciRegistry();
    proxy = await startOciFaultProxy(registry);
    root = await tempRoot();
  });
  after(async () => {
    await proxy?.close();
    await registry?.stop();
    await root?.cleanup();
  });

  it('retries 5xx and 429 (honouring Retry-After) in the middle of a push, and converges', async () => {
    const seen = { blobPuts: 0, tagPuts: 0, posts: 0 };
    proxy.script = (method, path) => {
      if (method === 'POST' && ++seen.posts === 2) return { status: 500 };
      if (isBlobPut(method, path) && ++seen.blobPuts === 2) return { status: 503 };
      if (isTagPut(method, path) && ++seen.tagPuts === 1) return { status: 429, retryAfter: '1' };
      return undefined;
    };
    const mirror = await fixtureMirror(root.dir, 'retry', [HASHICORP_NULL]);
    const started = Date.now();
    const result = await push(registry, mirror, { host: proxy.host });
    assert.ok(Date.now() - started >= 1000, 'waited for the Retry-After of the 429');
    const statuses = proxy.requests.map((r) => r.status);
    for (const status of [500, 503, 429]) assert.ok(statuses.includes(status), `a ${status} was answered`);
    assert.equal(result.blobsUploaded, 3, 'two zips and the config, each once in the end');
    const tag = await fetchManifest(registry, 'tofu/registry.terraform.io/hashicorp/null', '3.2.1');
    assert.equal(tag.status, 200);
    proxy.script = () => undefined;
    const again = await push(registry, mirror, { host: proxy.host });
    assert.equal(again.blobsUploaded + again.manifestsPushed, 0, 'the registry has everything');
  });

  it('retries a reply whose body breaks off (a reset while reading it is transient too)', async () => {
    let posts = 0;
    proxy.script = (method) =>
      method === 'POST' && ++posts === 1 ? { status: 500, cutBody: true } : undefined;
    proxy.requests.length = 0;
    const mirror = await fixtureMirror(root.dir, 'cut-body', [TOFU_RANDOM]);
    // Its own repository: the next test expects random 3.6.0 not to be under tofu/ yet.
    const repositoryTemplate = `${proxy.host}/cut-body/\${hostname}/\${namespace}/\${type}`;
    await push(registry, mirror, { host: proxy.host, repositoryTemplate });
    assert.ok(posts > 1, 'the upload was started again');
    assert.equal(
      (await fetchManifest(registry, 'cut-body/registry.opentofu.org/hashicorp/random', '3.6.0')).status,
      200,
    );
    proxy.script = () => undefined;
  });

  it('leaves no tag when the push is interrupted before the index, and a later push completes it', async () => {
    proxy.script = (method, path) =>
      isBlobPut(method, path) && path.length > 0 ? { status: 503 } : undefined;
    const mirror = await fixtureMirror(root.dir, 'cut', [TOFU_RANDOM]);
    const options = { host: proxy.host, httpOptions: { retries: 1, backoffBaseMs: 1, backoffMaxMs: 5 } };
    await assert.rejects(push(registry, mirror, options), (err: { code?: string; message?: string }) => {
      assert.equal(err.code, 'OCI_REGISTRY');
      assert.match(err.message ?? '', /HTTP 503 \(gave up after 2 attempts\)/);
      return true;
    });
    const repo = 'tofu/registry.opentofu.org/hashicorp/random';
    assert.equal(
      (await fetchManifest(registry, repo, '3.6.0')).status,
      404,
      'no tag for an incomplete version',
    );
    proxy.script = (method, path) => (isTagPut(method, path) ? { status: 503 } : undefined);
    await assert.rejects(
      push(registry, mirror, options),
      (err: { code?: string }) => err.code === 'OCI_REGISTRY',
    );
    assert.equal((await fetchManifest(registry, repo, '3.6.0')).status, 404, 'manifests in, still no tag');
    proxy.script = () => undefined;
    const resumed = await push(registry, mirror, { host: proxy.host });
    assert.equal(resumed.blobsUploaded, 0, 'the blobs of the interrupted push are reused');
    assert.equal(resumed.manifestsPushed, 1, 'only the index is new');
    const index = await fetchManifest(registry, repo, '3.6.0');
    assert.equal((index.json?.['manifests'] as unknown[]).length, 1);
  });
});
