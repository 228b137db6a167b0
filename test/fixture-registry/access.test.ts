import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch as undiciFetch } from 'undici';
import { startFixtureRegistry, type FixtureRegistry } from '../support/fixture-registry.ts';

const HOST = 'registry.example.com';
const OPEN = 'registry.opentofu.org';
const providers = [
  { hostname: HOST, namespace: 'acme', type: 'widget', version: '1.0.0', platforms: ['linux_amd64'] },
  { hostname: OPEN, namespace: 'hashicorp', type: 'null', version: '3.2.3', platforms: ['linux_amd64'] },
];

describe('fixture registry: tokens', () => {
  let registry: FixtureRegistry;
  before(async () => {
    registry = await startFixtureRegistry({ providers, tokens: { [HOST]: 's3cret' } });
  });
  after(() => registry.close());

  const status = async (url: string, authorization?: string) => {
    const res = await fetch(url, authorization ? { headers: { Authorization: authorization } } : {});
    await res.arrayBuffer();
    return res.status;
  };

  it('requires the Bearer token on every metadata endpoint of that host: 401 without, 403 wrong', async () => {
    const p = registry.providersUrl(HOST);
    for (const url of [
      `${registry.baseUrl(HOST)}.well-known/terraform.json`,
      `${p}acme/widget/versions`,
      `${p}acme/widget/1.0.0/download/linux/amd64`,
    ]) {
      assert.equal(await status(url), 401, url);
      assert.equal(await status(url, 'Bearer wrong'), 403, url);
      assert.equal(await status(url, 's3cret'), 403, url);
      assert.equal(await status(url, 'Bearer s3cret'), 200, url);
    }
  });

  it('serves archives, SHA256SUMS and the signature without credentials', async () => {
    const files = `${registry.origin}/${HOST}/files/acme/widget/1.0.0/`;
    for (const name of [
      'terraform-provider-widget_1.0.0_linux_amd64.zip',
      'terraform-provider-widget_1.0.0_SHA256SUMS',
      'terraform-provider-widget_1.0.0_SHA256SUMS.sig',
    ]) {
      assert.equal(await status(files + name), 200, name);
    }
  });

  it('leaves hosts without a token open', async () => {
    assert.equal(await status(`${registry.providersUrl(OPEN)}hashicorp/null/versions`), 200);
  });
});

describe('fixture registry: TLS', () => {
  let registry: FixtureRegistry;
  let trusting: Agent;
  before(async () => {
    registry = await startFixtureRegistry({ providers, tls: true, secondOrigin: true });
    trusting = new Agent({ connect: { ca: registry.caCertPem } });
  });
  after(async () => {
    await trusting.close();
    await registry.close();
  });

  it('serves https that verifies with the CA alone', async () => {
    assert.match(registry.origin, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(registry.caCertPem ?? '', /^-----BEGIN CERTIFICATE-----/);
    const res = await undiciFetch(`${registry.baseUrl(HOST)}.well-known/terraform.json`, {
      dispatcher: trusting,
    });
    assert.deepEqual(await res.json(), { 'providers.v1': `/${HOST}/v1/providers/` });
    const zip = registry.archive(`${HOST}/acme/widget`, '1.0.0', 'linux_amd64');
    const archive = await undiciFetch(`${registry.origin}/${HOST}/files/acme/widget/1.0.0/${zip.filename}`, {
      dispatcher: trusting,
    });
    assert.deepEqual(Buffer.from(await archive.arrayBuffer()), zip.bytes);
  });

  it('is refused by a client that does not trust the CA', async () => {
    const strict = new Agent();
    try {
      await assert.rejects(
        undiciFetch(`${registry.baseUrl(HOST)}.well-known/terraform.json`, { dispatcher: strict }),
        (err: Error & { cause?: { code?: string } }) =>
          /CERT|SIGNATURE|SELF_SIGNED/.test(err.cause?.code ?? ''),
      );
    } finally {
      await strict.close();
    }
  });

  it('covers the second origin (127.0.0.2) with the same certificate', async () => {
    registry.addFault({ match: '/versions', kind: 'redirect-other-host', times: 1 });
    const res = await undiciFetch(`${registry.providersUrl(HOST)}acme/widget/versions`, {
      dispatcher: trusting,
    });
    assert.equal(res.status, 200);
    assert.ok(res.url.startsWith('https://127.0.0.2:'), res.url);
  });

  it("still breaks the connection for 'reset' over TLS", async () => {
    registry.addFault({ match: '.zip', kind: 'reset', times: 1 });
    const zip = registry.archive(`${HOST}/acme/widget`, '1.0.0', 'linux_amd64');
    const res = await undiciFetch(`${registry.origin}/${HOST}/files/acme/widget/1.0.0/${zip.filename}`, {
      dispatcher: trusting,
    });
    await assert.rejects(res.arrayBuffer());
  });
});
