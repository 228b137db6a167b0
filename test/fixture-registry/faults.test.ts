import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { startFixtureRegistry, type FixtureRegistry } from '../support/fixture-registry.ts';
import { verifyDetachedSignature } from '../support/pgp.ts';

const HOST = 'registry.example.com';
const ADDRESS = `${HOST}/acme/widget`;
const FILES = `/${HOST}/files/acme/widget/1.0.0/`;
const ZIP = 'terraform-provider-widget_1.0.0_linux_amd64.zip';
const SUMS = 'terraform-provider-widget_1.0.0_SHA256SUMS';

describe('fixture registry: scripted faults', () => {
  let registry: FixtureRegistry;
  let archiveUrl: string;
  let docUrl: string;
  let versionsUrl: string;
  before(async () => {
    registry = await startFixtureRegistry({
      providers: [
        { hostname: HOST, namespace: 'acme', type: 'widget', version: '1.0.0', platforms: ['linux_amd64'] },
      ],
      secondOrigin: true,
    });
    archiveUrl = `${registry.origin}${FILES}${ZIP}`;
    docUrl = `${registry.providersUrl(HOST)}acme/widget/1.0.0/download/linux/amd64`;
    versionsUrl = `${registry.providersUrl(HOST)}acme/widget/versions`;
  });
  afterEach(() => {
    registry.clearFaults();
    registry.resetRequests();
  });
  after(() => registry.close());

  const expected = () => registry.archive(ADDRESS, '1.0.0', 'linux_amd64');

  it('answers 429 with Retry-After, then recovers once `times` is used up', async () => {
    registry.addFault({ match: '/versions', kind: '429', times: 2, retryAfter: 7 });
    for (let i = 0; i < 2; i++) {
      const res = await fetch(versionsUrl);
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), '7');
      assert.deepEqual(await res.json(), { errors: ['fixture fault 429'] });
    }
    assert.equal((await fetch(versionsUrl)).status, 200);
    assert.deepEqual(
      registry.requests.map((r) => [r.status, r.fault]),
      [
        [429, '429'],
        [429, '429'],
        [200, undefined],
      ],
    );
  });

  it('answers 500, 503 and 404 where scripted, and leaves other paths alone', async () => {
    registry.addFault({ match: /\/download\//, kind: '500', times: 1 });
    registry.addFault({ match: /\/download\//, kind: '503', times: 1 });
    registry.addFault({ match: /\/download\//, kind: 'not-found', times: 1 });
    assert.equal((await fetch(versionsUrl)).status, 200);
    const first = await fetch(docUrl);
    assert.equal(first.status, 500);
    const second = await fetch(docUrl);
    assert.equal(second.status, 503);
    assert.equal(second.headers.get('retry-after'), null);
    assert.equal((await fetch(docUrl)).status, 404);
    assert.equal((await fetch(docUrl)).status, 200);
  });

  it("'reset' sends headers and half the body, then resets the connection", async () => {
    registry.addFault({ match: ZIP, kind: 'reset', times: 1 });
    const res = await fetch(archiveUrl);
    assert.equal(res.status, 200);
    assert.equal(Number(res.headers.get('content-length')), expected().size);
    await assert.rejects(res.arrayBuffer());
    assert.deepEqual(Buffer.from(await (await fetch(archiveUrl)).arrayBuffer()), expected().bytes);
  });

  it("'truncate' announces the full length, sends half and closes", async () => {
    registry.addFault({ match: ZIP, kind: 'truncate', times: 1 });
    const res = await fetch(archiveUrl);
    assert.equal(Number(res.headers.get('content-length')), expected().size);
    await assert.rejects(res.arrayBuffer());
  });

  it("'wrong-length' announces and sends only half: a short body that looks complete", async () => {
    registry.addFault({ match: ZIP, kind: 'wrong-length', times: 1 });
    const res = await fetch(archiveUrl);
    const body = Buffer.from(await res.arrayBuffer());
    const half = Math.floor(expected().size / 2);
    assert.equal(Number(res.headers.get('content-length')), half);
    assert.deepEqual(body, expected().bytes.subarray(0, half));
  });

  it("'stall' sends headers, then nothing until the client gives up", async () => {
    registry.addFault({ match: ZIP, kind: 'stall', times: 1 });
    const started = Date.now();
    const res = await fetch(archiveUrl, { signal: AbortSignal.timeout(300) });
    assert.equal(res.status, 200);
    await assert.rejects(res.arrayBuffer(), (err: Error) => err.name === 'TimeoutError');
    assert.ok(Date.now() - started >= 250, 'the body did not arrive before the client gave up');
  });

  it("'corrupt' flips one byte of the archive, keeping its length", async () => {
    registry.addFault({ match: ZIP, kind: 'corrupt', times: 1 });
    const body = Buffer.from(await (await fetch(archiveUrl)).arrayBuffer());
    assert.equal(body.length, expected().size);
    const differing = [...body].filter((b, i) => b !== expected().bytes[i]).length;
    assert.equal(differing, 1);
    assert.notEqual(createHash('sha256').update(body).digest('hex'), expected().sha256);
  });

  it("'bad-signature' serves a signature that does not verify SHA256SUMS", async () => {
    registry.addFault({ match: HOST, kind: 'bad-signature', times: 1 });
    const sums = Buffer.from(await (await fetch(`${registry.origin}${FILES}${SUMS}`)).arrayBuffer());
    const bad = Buffer.from(await (await fetch(`${registry.origin}${FILES}${SUMS}.sig`)).arrayBuffer());
    await assert.rejects(verifyDetachedSignature(sums, bad, [registry.publicKeyArmored]));
    const good = Buffer.from(await (await fetch(`${registry.origin}${FILES}${SUMS}.sig`)).arrayBuffer());
    assert.equal(await verifyDetachedSignature(sums, good, [registry.publicKeyArmored]), registry.keyId);
    assert.deepEqual(
      registry.requests.map((r) => r.fault),
      [undefined, 'bad-signature', undefined],
    );
  });

  it("'wrong-shasum' changes only the download document's shasum", async () => {
    registry.addFault({ match: HOST, kind: 'wrong-shasum', times: 1 });
    assert.equal((await fetch(versionsUrl)).status, 200);
    const doc = (await (await fetch(docUrl)).json()) as { shasum: string };
    assert.match(doc.shasum, /^[0-9a-f]{64}$/);
    assert.notEqual(doc.shasum, expected().sha256);
    const again = (await (await fetch(docUrl)).json()) as { shasum: string };
    assert.equal(again.shasum, expected().sha256);
  });

  it("'redirect-other-host' sends the client to the second origin, which records what arrived", async () => {
    registry.addFault({ match: ZIP, kind: 'redirect-other-host' });
    const manual = await fetch(archiveUrl, { redirect: 'manual' });
    assert.equal(manual.status, 302);
    assert.equal(manual.headers.get('location'), `${registry.secondOrigin}${FILES}${ZIP}`);
    assert.match(registry.secondOrigin ?? '', /^http:\/\/127\.0\.0\.2:\d+$/);
    const followed = await fetch(archiveUrl, { headers: { Authorization: 'Bearer secret' } });
    assert.deepEqual(Buffer.from(await followed.arrayBuffer()), expected().bytes);
    const there = registry.requests.filter((r) => r.origin === registry.secondOrigin);
    assert.equal(there.length, 1);
    assert.equal(there[0]!.status, 200);
    assert.equal(there[0]!.authorization, undefined, 'fetch drops Authorization on a cross-origin redirect');
    await fetch(`${registry.secondOrigin}${FILES}${ZIP}`, { headers: { Authorization: 'Bearer direct' } });
    assert.equal(registry.requests.at(-1)!.authorization, 'Bearer direct');
  });

  it("'redirect-loop' redirects a path to itself", async () => {
    registry.addFault({ match: '/versions', kind: 'redirect-loop' });
    const manual = await fetch(versionsUrl, { redirect: 'manual' });
    assert.equal(manual.status, 302);
    assert.equal(manual.headers.get('location'), `/${HOST}/v1/providers/acme/widget/versions`);
    await assert.rejects(fetch(versionsUrl), TypeError);
  });

  it("'huge-json' streams a valid 100 MiB JSON document", async () => {
    registry.addFault({ match: '/versions', kind: 'huge-json', times: 1 });
    const res = await fetch(versionsUrl);
    assert.equal(Number(res.headers.get('content-length')), 100 * 1024 * 1024);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const text = await res.text();
    assert.equal(text.length, 100 * 1024 * 1024);
    const normal = await (await fetch(versionsUrl)).json();
    assert.deepEqual(JSON.parse(text), normal);
  });

  it('refuses redirect-other-host without a second origin', async () => {
    const plain = await startFixtureRegistry({ providers: [] });
    try {
      assert.throws(() => plain.addFault({ match: 'x', kind: 'redirect-other-host' }), /secondOrigin/);
    } finally {
      await plain.close();
    }
  });
});
