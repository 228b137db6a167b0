import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registryViewConfig } from '../../src/mirror/client-config.ts';
import type { TestCertificates } from '../support/tls.ts';
import { assertInstalledEverything, escape, oneLine, shortName } from './support/checks.ts';
import { readLock } from './support/lock.ts';
import { servePublishedMirror } from './support/published.ts';
import type { StaticSite } from './support/static-site.ts';
import { selectClients } from './support/client.ts';
import { describe as output } from './support/process.ts';
import {
  HOSTS,
  PLATFORMS,
  PROVIDERS,
  SELECTED,
  initWith,
  startWorld,
  writeClientFiles,
  type InitOutcome,
  type World,
} from './support/world.ts';

/**
 * Issue 7, step 4: through the registry-protocol view (CLI `host` blocks → `<mirror>v1/providers/HOST/`)
 * the client verifies the upstream signature itself and locks every platform's `zh:`.
 */
for (const kind of selectClients()) {
  describe(`${kind.id} init through the registry-protocol view of the mirror`, () => {
    let world: World;
    let certs: TestCertificates;
    let site: StaticSite;
    before(async () => {
      world = await startWorld(kind);
      ({ certs, site } = await servePublishedMirror(world));
    });
    after(async () => {
      await site?.close();
      await world?.close();
    });

    /** `NAME init` with only the host blocks our generator writes, trusting only the site's CA. */
    async function initThroughView(lockText: string | undefined): Promise<InitOutcome> {
      const config = registryViewConfig(site.url, HOSTS);
      for (const h of HOSTS) assert.ok(config.includes(`"${site.url}v1/providers/${h}/"`), config);
      const client = await writeClientFiles(world, config, [certs.caCertPem]);
      site.requests.length = 0;
      world.registry.resetRequests();
      const init = await initWith(world, client, { lockText });
      await assertInstalledEverything(world, init);
      assert.deepEqual(world.registry.requests, [], 'the client reached the upstream registry');
      return init;
    }

    /**
     * Every provider was installed with a signature the client checked itself, by the registry's key
     * (OpenTofu says "signed", Terraform "self-signed" for a key without a HashiCorp trust signature).
     */
    function assertSigned(init: InitOutcome): void {
      for (const [address, version] of SELECTED) {
        const line = new RegExp(
          `Installed ${escape(shortName(kind, address))} v${escape(version)} \\((self-)?signed, key ID ${world.registry.keyId}\\)`,
        );
        assert.match(oneLine(init.run.stdout), line, output(init.run));
      }
    }

    /** The new lock file holds the `zh:` of every archive in SHA256SUMS: both requested platforms and more. */
    function assertEveryPlatformLocked(lockAfter: string | undefined): void {
      assert.ok(lockAfter, 'no lock file was written');
      const locked = readLock(lockAfter);
      for (const [address, version] of SELECTED) {
        const entry = locked.get(address);
        assert.equal(entry?.version, version, `${address} in\n${lockAfter}`);
        const served = PROVIDERS.find(
          (p) => `${p.hostname}/${p.namespace}/${p.type}` === address && p.version === version,
        )!;
        for (const platform of served.platforms) {
          const zh = world.registry.archive(address, version, platform).zh;
          assert.ok(entry!.hashes.includes(zh), `${address} ${platform} ${zh} missing from\n${lockAfter}`);
        }
      }
    }

    it('without a lock file: signed installs, and zh: for every platform in the new lock file', async () => {
      const init = await initThroughView(undefined);
      assertSigned(init);
      assertEveryPlatformLocked(init.lockAfter);
      const paths = site.requests.map((r) => r.path);
      for (const [address, version] of SELECTED) {
        const [host, ns, type] = address.split('/');
        const base = `/my-repo/v1/providers/${host}/${ns}/${type}`;
        const zip = `/my-repo/${address}/${world.registry.archive(address, version, 'linux_amd64').filename}`;
        const expected = [
          `${base}/versions`,
          `${base}/${version}/download/linux/amd64`,
          `${base}/${version}/SHA256SUMS`,
          `${base}/${version}/SHA256SUMS.sig`,
          zip,
        ];
        for (const p of expected) {
          assert.ok(paths.includes(p), `${p} not requested:\n${paths.join('\n')}`);
        }
      }
      assert.deepEqual(
        site.requests.filter((r) => r.status !== 200),
        [],
        'every request was answered',
      );
    });

    it('from a lock file without hashes: the lock gains zh: for both requested platforms', async () => {
      const bare = world.lockText.replace(/^ {2}hashes = \[\n[\s\S]*?^ {2}\]\n/gm, '');
      assert.ok(!bare.includes('zh:') && !bare.includes('h1:'), bare);
      const init = await initThroughView(bare);
      assertSigned(init);
      assertEveryPlatformLocked(init.lockAfter);
      const locked = readLock(init.lockAfter!);
      for (const [address, version] of SELECTED) {
        for (const platform of PLATFORMS) {
          assert.ok(
            locked.get(address)!.hashes.includes(world.registry.archive(address, version, platform).zh),
          );
        }
      }
    });
  });
}
