import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startFixtureRegistry, type FixtureRegistry } from '../support/fixture-registry.ts';

const HOST = 'registry.opentofu.org';
const BINARY_BYTES = 2 * 1024 * 1024;
const LATENCY_MS = 120;
const BYTES_PER_SECOND = 2 * 1024 * 1024;
const providers = [
  {
    hostname: HOST,
    namespace: 'hashicorp',
    type: 'null',
    version: '3.2.3',
    platforms: ['linux_amd64'],
    size: BINARY_BYTES,
  },
];

describe('fixture registry: network model', () => {
  let shaped: FixtureRegistry;
  before(async () => {
    shaped = await startFixtureRegistry({
      providers,
      network: { latencyMs: LATENCY_MS, bytesPerSecond: BYTES_PER_SECOND },
    });
  });
  after(() => shaped.close());

  const archiveUrl = () =>
    `${shaped.origin}/${HOST}/files/hashicorp/null/3.2.3/terraform-provider-null_3.2.3_linux_amd64.zip`;

  it('delays every response by at least latencyMs', async () => {
    const started = performance.now();
    const res = await fetch(`${shaped.baseUrl(HOST)}.well-known/terraform.json`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { 'providers.v1': `/${HOST}/v1/providers/` });
    assert.ok(performance.now() - started >= LATENCY_MS - 1, 'answered before the modelled latency');
  });

  it('paces a body to bytesPerSecond and delivers it intact', async () => {
    const archive = shaped.archive(`${HOST}/hashicorp/null`, '3.2.3', 'linux_amd64');
    const started = performance.now();
    const res = await fetch(archiveUrl());
    const body = Buffer.from(await res.arrayBuffer());
    const seconds = (performance.now() - started) / 1000;
    assert.equal(body.length, archive.size);
    assert.equal(createHash('sha256').update(body).digest('hex'), archive.sha256);
    // Pacing starts after the first slice (64 KiB) went out; the rest follows at the modelled rate.
    const floor = (archive.size - 64 * 1024) / BYTES_PER_SECOND + LATENCY_MS / 1000;
    assert.ok(seconds >= floor * 0.98, `took ${seconds.toFixed(3)} s, the model needs ${floor.toFixed(3)} s`);
  });

  it('refuses a model that makes no sense', async () => {
    await assert.rejects(
      startFixtureRegistry({ providers, network: { latencyMs: -1, bytesPerSecond: 1000 } }),
      /network needs latencyMs >= 0/,
    );
  });
});
