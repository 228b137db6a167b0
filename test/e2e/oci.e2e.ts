import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startOciRegistry, type OciRegistry } from '../support/oci-registry.ts';
import { fetchManifest } from '../publish/oci/oci-world.ts';
import { DIST_CLI, requireBundle } from './support/build.ts';
import { assertInstalledEverything, assertLockKept, oneLine } from './support/checks.ts';
import { selectClients, TOFU } from './support/client.ts';
import { readLock, zhHashes } from './support/lock.ts';
import { describe as output, runProcess, type ProcessResult } from './support/process.ts';
import { publishMirror } from './support/published.ts';
import {
  HOST_PLATFORM,
  initWith,
  SELECTED,
  startWorld,
  writeClientFiles,
  type World,
} from './support/world.ts';

const USER = { username: 'tofu-ci', password: 'e2e-Pa55-word' };

/**
 * Issue 14: the mirror the bundled CLI built is pushed with `dist/cli.js push-oci` to a real
 * Distribution 2.8 (TLS from a test CA, htpasswd auth), and the real OpenTofu installs every selected
 * provider from it through `oci_mirror`, its lock file's `zh:` being the pushed blob digests.
 */
// Terraform has no oci_mirror: the scenario runs with OpenTofu, when E2E_CLIENTS selects it.
for (const kind of selectClients().filter((k) => k.name === TOFU.name)) {
  describe(`${kind.name} init from an OCI registry that push-oci filled`, () => {
    let world: World;
    let registry: OciRegistry;
    let mirrorDir: string;
    let template: string;
    before(async () => {
      world = await startWorld(kind);
      registry = await startOciRegistry({ kind: 'htpasswd', ...USER });
      mirrorDir = await publishMirror(world);
      template = `${registry.host}/mirror/\${hostname}/\${namespace}/\${type}`;
    });
    after(async () => {
      await registry?.stop();
      await world?.close();
    });

    async function pushOci(password: string | undefined): Promise<ProcessResult> {
      const caFile = path.join(await world.tempDir('oci-ca'), 'ca.pem');
      await writeFile(caFile, registry.caCertPem);
      const args = [
        requireBundle(DIST_CLI),
        'push-oci',
        '--mirror',
        mirrorDir,
        '--repository-template',
        template,
      ];
      const env: Record<string, string | undefined> = {
        ...process.env,
        NODE_EXTRA_CA_CERTS: caFile,
        HOME: await world.tempDir('home'),
      };
      if (password !== undefined) Object.assign(env, { REPOXY_OCI_PASSWORD: password });
      const creds = password !== undefined ? ['--username', USER.username] : [];
      return runProcess(process.execPath, [...args, ...creds, '--json'], { cwd: world.root, env });
    }

    async function clientConfig(withCredentials: boolean): Promise<string> {
      const pushed = await pushOci(USER.password);
      const block = (JSON.parse(pushed.stdout) as { cliConfig: string }).cliConfig;
      const creds = `oci_credentials ${JSON.stringify(registry.host)} {\n  username = ${JSON.stringify(USER.username)}\n  password = ${JSON.stringify(USER.password)}\n}\n`;
      return withCredentials ? `${block}\n${creds}` : block;
    }

    it('push-oci fails clearly without credentials (exit 1), then pushes with them; a second push uploads nothing', async () => {
      const denied = await pushOci(undefined);
      assert.equal(denied.code, 1, output(denied));
      assert.match(oneLine(denied.stderr), /requires authentication credentials/);
      const first = await pushOci(USER.password);
      assert.equal(first.code, 0, output(first));
      assert.ok((JSON.parse(first.stdout) as { blobsUploaded: number }).blobsUploaded > 0);
      const second = await pushOci(USER.password);
      assert.equal(second.code, 0, output(second));
      const again = JSON.parse(second.stdout) as { blobsUploaded: number; manifestsPushed: number };
      assert.deepEqual([again.blobsUploaded, again.manifestsPushed], [0, 0]);
    });

    it('installs every selected provider with no lock file, locking zh: = the blob it downloaded', async () => {
      const files = await writeClientFiles(world, await clientConfig(true), [registry.caCertPem]);
      const init = await initWith(world, files, { lockText: undefined });
      await assertInstalledEverything(world, init);
      const locked = readLock(init.lockAfter ?? '');
      const auth = `Basic ${Buffer.from(`${USER.username}:${USER.password}`).toString('base64')}`;
      for (const [address, version] of SELECTED) {
        const blob = await layerDigest(address, version, auth);
        assert.deepEqual(zhHashes(locked.get(address)!), [`zh:${blob.slice('sha256:'.length)}`], address);
        assert.equal(
          `zh:${blob.slice(7)}`,
          await mirrorZh(address, version),
          'the blob is the mirror archive',
        );
      }
    });

    it('installs with the lock file the repository has and keeps it', async () => {
      const files = await writeClientFiles(world, await clientConfig(true), [registry.caCertPem]);
      const init = await initWith(world, files, { lockText: world.lockText });
      await assertInstalledEverything(world, init);
      assertLockKept(world.lockText, init.lockAfter);
    });

    it('fails clearly when the client has no credentials for the private registry', async () => {
      const files = await writeClientFiles(world, await clientConfig(false), [registry.caCertPem]);
      const init = await initWith(world, files, { lockText: world.lockText });
      assert.notEqual(init.run.code, 0, output(init.run));
      assert.match(oneLine(init.run.stderr), /basic credential not found/);
    });

    /** The `archive/zip` layer digest of the HOST_PLATFORM manifest under the version's tag. */
    async function layerDigest(address: string, version: string, auth: string): Promise<string> {
      const repo = `mirror/${address}`;
      const index = await fetchManifest(registry, repo, version.replaceAll('+', '_'), auth);
      const [os, arch] = HOST_PLATFORM.split('_');
      const entry = (
        index.json?.['manifests'] as { digest: string; platform: { os: string; architecture: string } }[]
      ).find((m) => m.platform.os === os && m.platform.architecture === arch)!;
      const image = await fetchManifest(registry, repo, entry.digest, auth);
      return (image.json?.['layers'] as { digest: string }[])[0]!.digest;
    }

    async function mirrorZh(address: string, version: string): Promise<string | undefined> {
      const doc = JSON.parse(await readFile(path.join(mirrorDir, address, `${version}.json`), 'utf8')) as {
        archives: Record<string, { hashes: string[] }>;
      };
      return doc.archives[HOST_PLATFORM]?.hashes.find((h) => h.startsWith('zh:'));
    }
  });
}
