/**
 * Retention when the store is gone: the previous build is read from the mirror.json of the published
 * mirror (served over HTTPS), every kept version is fetched again from upstream and verified, and a
 * kept version whose upstream bytes changed fails the build without touching the output.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startMirrorServer, type MirrorServer } from '../../src/serve/https-server.ts';
import { collectChildOutput, type ChildOutput } from '../support/child-output.ts';
import { startFixtureRegistry, type FixtureRegistry } from '../support/fixture-registry.ts';
import { generateTestCertificates } from '../support/tls.ts';
import { createWorkspace, listDir, type Workspace } from '../engine/support/harness.ts';
import { cliEnvironment, REPO_ROOT } from '../engine/support/processes.ts';
import { providerSpec, type ProviderVersion } from '../engine/support/providers.ts';

const A: ProviderVersion = { address: 'registry.terraform.io/hashicorp/null', version: '3.2.3' };
const B: ProviderVersion = { address: 'registry.terraform.io/hashicorp/null', version: '3.2.4' };
const NULL_DIR = 'registry.terraform.io/hashicorp/null';

/** The CLI from source (`node --import tsx src/cli/index.ts`), trusting `caFile` for HTTPS. */
function cli(args: string[], cwd: string, caFile: string): Promise<ChildOutput> {
  const child = spawn(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), path.join(REPO_ROOT, 'src/cli/index.ts'), ...args],
    { cwd, env: cliEnvironment({ NODE_EXTRA_CA_CERTS: caFile }), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return collectChildOutput(child, { timeoutMs: 60_000, label: 'cli' });
}

async function indexVersions(dir: string): Promise<string[]> {
  const text = await readFile(path.join(dir, NULL_DIR, 'index.json'), 'utf8');
  return Object.keys((JSON.parse(text) as { versions: object }).versions).sort();
}

describe('CLI: --keep-days with --mirror-url when the store is gone', () => {
  let registry: FixtureRegistry;
  let changed: FixtureRegistry;
  let ws: Workspace;
  let site: MirrorServer;
  let caFile: string;

  before(async () => {
    const specs = (size: number) => [A, B].map((p) => providerSpec(p, ['linux_amd64'], { size }));
    registry = await startFixtureRegistry({ providers: specs(64 << 10) });
    // The same versions, other bytes, validly signed (by this registry's own key).
    changed = await startFixtureRegistry({ providers: specs(80 << 10) });
    ws = await createWorkspace();
    await ws.writeLock('a/.terraform.lock.hcl', registry.lockFile([A], 'both'));
    await ws.writeLock('b/.terraform.lock.hcl', registry.lockFile([B], 'both'));
    const certs = await generateTestCertificates();
    caFile = path.join(ws.root, 'ca.pem');
    await writeFile(caFile, certs.caCertPem);
    const run1 = await mirror(registry, 'a', 'run1', []);
    assert.equal(run1.code, 0, run1.stderr);
    site = await startMirrorServer(ws.out('run1'), certs);
  });
  after(async () => {
    await site?.close();
    await registry.close();
    await changed.close();
    await ws.remove();
  });

  const mirror = (from: FixtureRegistry, lock: string, out: string, extra: string[]) =>
    cli(
      [
        'mirror',
        ...['--lockfile', `${lock}/.terraform.lock.hcl`, '--out', `site/${out}`],
        ...from.upstreamArgs().flatMap((u) => ['--upstream', u]),
        ...extra,
      ],
      ws.root,
      caFile,
    );

  it('keeps A, read from the published mirror.json and fetched again from upstream', async () => {
    registry.resetRequests();
    const r = await mirror(registry, 'b', 'run2', ['--keep-days', '30', '--mirror-url', site.url]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await indexVersions(ws.out('run2')), ['3.2.3', '3.2.4']);
    assert.match(
      r.stderr,
      /kept {4}registry\.terraform\.io\/hashicorp\/null 3\.2\.3: last locked .* \(from https:\/\/127\.0\.0\.1:\d+\/mirror\.json\)/,
    );
    assert.ok(
      registry.requests.some((q) => q.path.endsWith('terraform-provider-null_3.2.3_linux_amd64.zip')),
    );
  });

  it('keep-days 0 publishes only B', async () => {
    const r = await mirror(registry, 'b', 'run2-zero', ['--keep-days', '0', '--mirror-url', site.url]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await indexVersions(ws.out('run2-zero')), ['3.2.4']);
    assert.match(r.stderr, /dropped registry\.terraform\.io\/hashicorp\/null 3\.2\.3: keep-days is 0/);
  });

  it('fails closed when upstream now serves other (validly signed) bytes for a kept version', async () => {
    await ws.writeLock('b2/.terraform.lock.hcl', changed.lockFile([B], 'both'));
    const r = await mirror(changed, 'b2', 'run2-changed', ['--keep-days', '30', '--mirror-url', site.url]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /kept archive\(s\) changed upstream since the mirror published them/);
    assert.match(
      r.stderr,
      new RegExp(`published before as ${registry.archive(A.address, A.version, 'linux_amd64').zh}`),
    );
    assert.deepEqual(await listDir(ws.site), ['run1', 'run2', 'run2-zero']);
  });
});
