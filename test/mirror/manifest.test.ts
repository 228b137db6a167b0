/**
 * mirror.json walked the way a client or auditor would: every record leads to a VERSION.json that lists
 * the same hashes and to bytes that hash to them; and the serve action's check catches a record that lies.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyMirrorDir } from '../../src/publish/verify-mirror.ts';
import {
  buildOptions,
  createWorkspace,
  runBuild,
  succeeded,
  type Workspace,
} from '../engine/support/harness.ts';
import { startTwoHostRegistry, TF_NULL, TOFU_RANDOM } from '../engine/support/providers.ts';
import type { FixtureRegistry } from '../support/fixture-registry.ts';

interface Record {
  address: string;
  version: string;
  platform: string;
  path: string;
  size: number;
  h1: string;
  zh: string;
  downloadUrl: string;
  signingKeyIds: string[];
  lockfiles: string[];
  verification: { checks: { check: string; outcome: string }[] };
}

describe('mirror.json', () => {
  let registry: FixtureRegistry;
  let ws: Workspace;
  let out: string;

  before(async () => {
    registry = await startTwoHostRegistry();
    ws = await createWorkspace();
    await ws.writeLock('main.hcl', registry.lockFile([TF_NULL, TOFU_RANDOM], 'both'));
    out = ws.out();
    succeeded(
      await runBuild(
        buildOptions(ws, registry.upstreamArgs(), { platforms: ['linux_amd64', 'darwin_arm64'] }),
      ),
    );
  });
  after(async () => {
    await registry.close();
    await ws.remove();
  });

  const manifest = async () =>
    JSON.parse(await readFile(path.join(out, 'mirror.json'), 'utf8')) as {
      schemaVersion: number;
      archives: Record[];
    };

  it('agrees with every VERSION.json and with the bytes, record by record', async () => {
    const m = await manifest();
    assert.equal(m.schemaVersion, 1);
    assert.equal(m.archives.length, 4);
    for (const a of m.archives) {
      const dir = path.posix.dirname(a.path);
      const doc = JSON.parse(await readFile(path.join(out, dir, `${a.version}.json`), 'utf8')) as {
        archives: { [p: string]: { url: string; hashes: string[] } };
      };
      const listed = doc.archives[a.platform]!;
      assert.equal(listed.url, path.posix.basename(a.path));
      assert.deepEqual(listed.hashes, [a.h1, a.zh].sort());
      const bytes = await readFile(path.join(out, a.path));
      assert.equal(`zh:${createHash('sha256').update(bytes).digest('hex')}`, a.zh);
      assert.equal(bytes.length, a.size);
      const served = registry.archive(a.address, a.version, a.platform);
      assert.equal(a.h1, served.h1);
      assert.match(a.downloadUrl, new RegExp(`${served.filename}$`));
      assert.deepEqual(a.signingKeyIds, [registry.keyId]);
      assert.match(a.lockfiles[0] ?? '', /^main\.hcl:\d+$/);
      assert.ok(a.verification.checks.some((c) => c.check === 'signature' && c.outcome === 'passed'));
    }
    const versionDocs = m.archives.map((a) => `${a.address} ${a.version} ${a.platform}`);
    assert.deepEqual(versionDocs, [...versionDocs].sort(), 'records are sorted');
  });

  it('passes the serve check as written, and fails it when a record lies about its hash', async () => {
    assert.deepEqual((await verifyMirrorDir(out)).problems, []);
    const text = await readFile(path.join(out, 'mirror.json'), 'utf8');
    const m = await manifest();
    const lie = text.replace(`"zh": "${m.archives[0]!.zh}"`, `"zh": "zh:${'0'.repeat(64)}"`);
    assert.notEqual(lie, text);
    await writeFile(path.join(out, 'mirror.json'), lie);
    const problems = (await verifyMirrorDir(out)).problems;
    assert.deepEqual(
      problems.map((p) => p.path),
      ['mirror.json'],
    );
    assert.match(problems[0]!.message, /zh:0{64} is not in its VERSION\.json/);
    await writeFile(path.join(out, 'mirror.json'), text);
  });
});
