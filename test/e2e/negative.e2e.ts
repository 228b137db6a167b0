import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { networkMirrorConfig, registryViewConfig } from '../../src/mirror/client-config.ts';
import { generateTestCertificates, type TestCertificates } from '../support/tls.ts';
import { publishMirror } from './support/published.ts';
import { escape, oneLine, shortName } from './support/checks.ts';
import { startStaticSite, type StaticSite } from './support/static-site.ts';
import { selectClients, type ClientKind } from './support/client.ts';
import { describe as output } from './support/process.ts';
import {
  initWith,
  HOSTS,
  RANDOM,
  startWorld,
  WIDGET,
  WIDGET_PRERELEASE,
  writeClientFiles,
  type World,
} from './support/world.ts';

/** How each client words a signature over SHA256SUMS that does not verify. */
const BAD_SIGNATURE: Record<ClientKind['name'], RegExp> = {
  tofu: /not signed with a valid signing key/,
  terraform: /error checking signature: openpgp: invalid signature/,
};

/** Issue 7, step 5: what must fail does fail, with the real client. */
for (const kind of selectClients()) {
  describe(`${kind.id}: the real client refuses what it must refuse`, () => {
    let world: World;
    let mirrorDir: string;
    let certs: TestCertificates;
    const sites: StaticSite[] = [];
    before(async () => {
      world = await startWorld(kind);
      mirrorDir = await publishMirror(world);
      certs = await generateTestCertificates();
    });
    after(async () => {
      for (const site of sites) await site.close();
      await world?.close();
    });

    /** A copy of the published mirror, changed by `alter`, served under /my-repo/. */
    async function alteredSite(alter: (dir: string) => Promise<void>): Promise<StaticSite> {
      const dir = path.join(await world.tempDir('altered'), 'mirror');
      await cp(mirrorDir, dir, { recursive: true });
      await alter(dir);
      const site = await startStaticSite({ root: dir, prefix: 'my-repo', tls: certs });
      sites.push(site);
      return site;
    }

    const widgetZip = (platform: string) =>
      `${WIDGET}/${world.registry.archive(WIDGET, WIDGET_PRERELEASE, platform).filename}`;

    /** Replaces the linux_amd64 widget archive by the darwin_arm64 one: a valid zip, the wrong bytes. */
    const swapWidgetArchive = async (dir: string) =>
      writeFile(
        path.join(dir, widgetZip('linux_amd64')),
        await readFile(path.join(dir, widgetZip('darwin_arm64'))),
      );

    async function initThroughNetworkMirror(site: StaticSite, lockText: string | undefined) {
      const client = await writeClientFiles(world, networkMirrorConfig(site.url), [certs.caCertPem]);
      return initWith(world, client, { lockText });
    }

    it('an archive altered after publishing fails init (network mirror, with the lock file)', async () => {
      const site = await alteredSite(swapWidgetArchive);
      const init = await initThroughNetworkMirror(site, world.lockText);
      assert.notEqual(init.run.code, 0, output(init.run));
      assert.match(oneLine(init.run.stderr), new RegExp(escape(shortName(kind, WIDGET))));
      assert.match(oneLine(init.run.stderr), /doesn't match .*checksum/);
      assert.ok(
        site.requests.some((r) => r.path === `/my-repo/${widgetZip('linux_amd64')}`),
        'the archive was fetched',
      );
    });

    it('an archive altered after publishing fails init (network mirror, no lock file: the mirror hashes)', async () => {
      const site = await alteredSite(swapWidgetArchive);
      const init = await initThroughNetworkMirror(site, undefined);
      assert.notEqual(init.run.code, 0, output(init.run));
      assert.match(oneLine(init.run.stderr), /widget/);
      assert.match(oneLine(init.run.stderr), /doesn't match .*checksum/);
    });

    it('an archive altered after publishing fails init through the registry view, even with SHA256SUMS and the download document forged to match', async () => {
      const site = await alteredSite(async (dir) => {
        const zip = path.join(
          dir,
          `${RANDOM}/${world.registry.archive(RANDOM, '3.6.2', 'linux_amd64').filename}`,
        );
        const forged = Buffer.from(await readFile(zip));
        const middle = Math.floor(forged.length / 2);
        forged.writeUInt8(forged.readUInt8(middle) ^ 0xff, middle);
        await writeFile(zip, forged);
        const sha = createHash('sha256').update(forged).digest('hex');
        const original = world.registry.archive(RANDOM, '3.6.2', 'linux_amd64').sha256;
        const base = path.join(dir, 'v1/providers', RANDOM, '3.6.2');
        for (const file of ['SHA256SUMS', 'download/linux/amd64']) {
          const text = await readFile(path.join(base, file), 'utf8');
          assert.ok(text.includes(original), `${file} names the original sha256`);
          await writeFile(path.join(base, file), text.replaceAll(original, sha));
        }
      });
      const client = await writeClientFiles(world, registryViewConfig(site.url, HOSTS), [certs.caCertPem]);
      const init = await initWith(world, client, { lockText: undefined });
      assert.notEqual(init.run.code, 0, output(init.run));
      assert.match(oneLine(init.run.stderr), /hashicorp\/random/);
      assert.match(oneLine(init.run.stderr), BAD_SIGNATURE[kind.name]);
    });

    it('a base URL without the trailing / really breaks the client (it drops the last path segment)', async () => {
      const site = await alteredSite(async () => undefined);
      const noSlash = site.url.slice(0, -1);
      const config = `provider_installation {\n  network_mirror {\n    url = "${noSlash}"\n  }\n}\n`;
      const client = await writeClientFiles(world, config, [certs.caCertPem]);
      const init = await initWith(world, client, { lockText: world.lockText });
      assert.notEqual(init.run.code, 0, output(init.run));
      const paths = site.requests.map((r) => `${r.status} ${r.path}`);
      assert.ok(paths.includes('404 /registry.opentofu.org/hashicorp/random/index.json'), paths.join('\n'));
      assert.ok(!paths.some((p) => p.includes('/my-repo/')), paths.join('\n'));
    });
  });
}

describe('the configuration we generate for the client', () => {
  it('our generated configuration always ends the mirror URL with /', () => {
    for (const [given, expected] of [
      ['https://127.0.0.1:8443/my-repo', 'https://127.0.0.1:8443/my-repo/'],
      ['https://org.github.io/repo', 'https://org.github.io/repo/'],
      ['https://org.github.io/a/b', 'https://org.github.io/a/b/'],
      ['https://mirror.example.com', 'https://mirror.example.com/'],
      ['https://org.github.io/repo/', 'https://org.github.io/repo/'],
    ] as const) {
      assert.ok(
        networkMirrorConfig(given).includes(`url = "${expected}"`),
        `${given}:\n${networkMirrorConfig(given)}`,
      );
      const view = registryViewConfig(given, ['registry.terraform.io']);
      assert.ok(view.includes(`"providers.v1" = "${expected}v1/providers/registry.terraform.io/"`), view);
    }
  });
});
