import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch as undiciFetch } from 'undici';
import { DEFAULT_PROVIDERS, spawnFixtureRegistry, type CliSpec } from '../support/fixture-registry.ts';

describe('fixture-registry-main: the registry as its own process', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'fixture-registry-main-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('serves the built-in set without a spec and stops on SIGTERM', async () => {
    const proc = await spawnFixtureRegistry();
    try {
      assert.equal(proc.pid, proc.child.pid);
      assert.match(proc.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(proc.caCertFile, null);
      const hosts = [...new Set(DEFAULT_PROVIDERS.map((p) => p.hostname))].sort();
      assert.deepEqual(
        proc.upstreams,
        hosts.map((h) => `${h}=${proc.origin}/${h}/`),
      );
      const res = await fetch(`${proc.origin}/registry.opentofu.org/v1/providers/hashicorp/null/versions`);
      const body = (await res.json()) as { versions: { version: string }[] };
      assert.deepEqual(
        body.versions.map((v) => v.version),
        ['3.2.3', '3.2.4'],
      );
    } finally {
      await proc.stop();
    }
    assert.equal(proc.child.exitCode, 0);
    await assert.rejects(fetch(`${proc.origin}/registry.opentofu.org/.well-known/terraform.json`));
  });

  it('follows a spec: TLS with a CA file, faults and lock files written before it is ready', async () => {
    const lockPath = path.join(dir, 'stack', '.terraform.lock.hcl');
    const spec: CliSpec = {
      tls: true,
      providers: [
        {
          hostname: 'registry.example.com',
          namespace: 'acme',
          type: 'widget',
          version: '1.0.0',
          platforms: ['linux_amd64'],
        },
      ],
      faults: [{ match: '/v1/providers/.*/versions$', regex: true, kind: '503', times: 1, retryAfter: 3 }],
      lockFiles: [
        {
          path: lockPath,
          providers: [{ address: 'registry.example.com/acme/widget', version: '1.0.0' }],
          hashes: 'zh',
        },
      ],
    };
    const specPath = path.join(dir, 'spec.json');
    await writeFile(specPath, JSON.stringify(spec));
    const proc = await spawnFixtureRegistry(specPath);
    const agent = new Agent({ connect: { ca: await readFile(proc.caCertFile!, 'utf8') } });
    try {
      assert.match(proc.origin, /^https:/);
      assert.deepEqual(proc.lockFiles, [lockPath]);
      assert.match(
        await readFile(lockPath, 'utf8'),
        /provider "registry\.example\.com\/acme\/widget"[\s\S]*"zh:[0-9a-f]{64}",/,
      );
      const url = `${proc.origin}/registry.example.com/v1/providers/acme/widget/versions`;
      const first = await undiciFetch(url, { dispatcher: agent });
      assert.equal(first.status, 503);
      assert.equal(first.headers.get('retry-after'), '3');
      assert.equal((await undiciFetch(url, { dispatcher: agent })).status, 200);
    } finally {
      await agent.close();
      await proc.stop();
    }
    assert.equal(existsSync(proc.caCertFile!), false, 'the CA file is removed on exit');
  });

  it('fails with the reason when the spec is unusable', async () => {
    const specPath = path.join(dir, 'bad.json');
    await writeFile(
      specPath,
      JSON.stringify({
        providers: [{ hostname: 'h', namespace: 'a', type: 'b', version: '1.0.0', platforms: ['linux'] }],
      }),
    );
    await assert.rejects(spawnFixtureRegistry(specPath), /invalid platform "linux"/);
  });
});
