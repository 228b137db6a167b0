/**
 * Hostile upstream metadata (issue 9): download documents that try to steer file names or URLs,
 * documents and bodies that never end, redirect games, and lying lengths. Each is refused with a clear
 * error, or shown harmless, and nothing is written outside the store and the staging area.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, afterEach, before, describe, it } from 'node:test';
import { startFixtureRegistry, type FixtureRegistry } from '../support/fixture-registry.ts';
import { buildZip } from '../support/zip-builder.ts';
import {
  buildOptions,
  createWorkspace,
  failedWith,
  filesOf,
  runBuild,
  snapshotTree,
  succeeded,
  type Workspace,
} from '../engine/support/harness.ts';
import { providerSpec, TF_NULL } from '../engine/support/providers.ts';
import type { BuildOptions } from '../../src/engine.ts';
import { assertNothingPublished, cacheDirOf } from './support/containment.ts';
import { sendBytes, sendEndless, sendRedirect, type PackageSpec } from './support/hostile-registry.ts';
import { hostileSuite } from './support/suite.ts';

const HOST = 'registry.example.com';
const BASE = { host: HOST, namespace: 'acme', type: 'widget', version: '1.0.0', platform: 'linux_amd64' };
const ZIP = buildZip([
  { name: 'terraform-provider-widget_v1.0.0', data: 'binary '.repeat(2000) },
  { name: 'LICENSE', data: 'MIT' },
]);
const GUARD = { timeout: 60_000 };
const DOC_PATH = `/${HOST}/v1/providers/acme/widget/1.0.0/download/linux/amd64`;
const ARCHIVE_PATH = `/${HOST}/files/acme/widget/1.0.0/archive.zip`;

describe('hostile upstream metadata', () => {
  const hostile = hostileSuite();

  /** Publishes the package with `change` applied, and runs the engine on its lock file. */
  function attempt(change: Partial<PackageSpec>, options: Partial<BuildOptions> = {}) {
    return hostile.attempt({ ...BASE, zip: ZIP, ...change }, options);
  }

  const rewrite = (fields: Record<string, unknown>) => (doc: Record<string, unknown>) => ({
    ...doc,
    ...fields,
  });

  describe('file names and URLs in the download document', () => {
    const badNames: [string, string][] = [
      ['parent traversal', '../../../../tmp/terraform-provider-widget.zip'],
      ['an absolute path', '/etc/terraform-provider-widget.zip'],
      ['backslashes', '..\\..\\terraform-provider-widget.zip'],
      ['a NUL byte', 'terraform-provider-widget\u0000.zip'],
      ['a newline', 'terraform-provider-widget\n.zip'],
      ['not an archive name', 'passwd'],
    ];
    for (const [what, filename] of badNames) {
      it(`refuses a filename with ${what}`, GUARD, async () => {
        const { run } = await attempt({ document: rewrite({ filename }) });
        const err = failedWith(run, 'UPSTREAM_BAD_RESPONSE');
        assert.match(err.message, /filename .* is not a plain terraform-provider-\*\.zip file name/);
        assert.ok(err.message.includes(`${HOST}/acme/widget 1.0.0 linux_amd64`), err.message);
        await assertNothingPublished(hostile.ws, ['lock.hcl']);
      });
    }

    it('refuses a linux_amd64 document that hands out the darwin_arm64 archive', GUARD, async () => {
      // Signed SHA256SUMS and lock file both vouch for these bytes: only the platform binding refuses.
      const filename = 'terraform-provider-widget_1.0.0_darwin_arm64.zip';
      const { run } = await attempt({ filename });
      const err = failedWith(run, 'VERIFY_FILENAME');
      assert.ok(err.message.includes(`${HOST}/acme/widget 1.0.0 linux_amd64`), err.message);
      assert.ok(err.message.includes(`names the file "${filename}"`), err.message);
      assert.ok(err.message.includes('expected "terraform-provider-widget_1.0.0_linux_amd64.zip"'));
      await assertNothingPublished(hostile.ws, ['lock.hcl']);
    });

    const badUrls: [string, string, RegExp][] = [
      ['a file: URL', 'file:///etc/passwd', /download_url .* must be an http\(s\) URL/],
      ['an ftp: URL', 'ftp://127.0.0.1/x.zip', /must be an http\(s\) URL/],
      ['plain http to another host', 'http://192.0.2.1/x.zip', /plain http: to a non-loopback host/],
      [
        'backslashes that make another host',
        '\\\\evil.invalid\\share\\x.zip',
        /plain http: to a non-loopback host/,
      ],
      ['an empty string', '', /download_url is empty/],
    ];
    for (const [what, url, says] of badUrls) {
      it(`refuses a download_url with ${what}, without contacting it`, GUARD, async () => {
        const { run } = await attempt({ document: rewrite({ download_url: url }) });
        const err = failedWith(run, 'UPSTREAM_BAD_RESPONSE');
        assert.match(err.message, says);
        await assertNothingPublished(hostile.ws, ['lock.hcl']);
      });
    }

    it('a download_url with ../ is only a URL: local names come from the lock file', GUARD, async () => {
      const { run } = await attempt({
        document: rewrite({ download_url: '../'.repeat(12) + 'etc/passwd' }),
        routes: { '/etc/passwd': (_q, r) => sendBytes(r, ZIP, 'application/zip') },
      });
      succeeded(run);
      assert.ok(hostile.registry.requests.some((r) => r.path === '/etc/passwd'));
      const zips = filesOf(await snapshotTree(hostile.ws.out())).filter((f) => /\.zip$|passwd/i.test(f));
      assert.deepEqual(zips, [`${HOST}/acme/widget/terraform-provider-widget_1.0.0_linux_amd64.zip`]);
    });

    it('refuses a NUL in download_url (sent percent-encoded, then not found)', GUARD, async () => {
      const { run } = await attempt({ document: rewrite({ download_url: `${ARCHIVE_PATH}\u0000.zip` }) });
      failedWith(run, 'UPSTREAM_NOT_FOUND');
      assert.ok(hostile.registry.requests.some((r) => r.path === `${ARCHIVE_PATH}%00.zip`));
      await assertNothingPublished(hostile.ws, ['lock.hcl']);
    });

    const badFields: [string, Record<string, unknown>, RegExp][] = [
      [
        'another platform',
        { os: 'linux', arch: 'arm64' },
        /describes platform linux_arm64, not the requested linux_amd64/,
      ],
      ['a shasum that is not hex', { shasum: 'x'.repeat(64) }, /shasum .* is not 64 hexadecimal digits/],
      ['unsupported protocols', { protocols: ['4.0'] }, /not supported \(need 5\.x or 6\.x\)/],
      ['a non-version protocol', { protocols: ['five'] }, /protocols contains "five"/],
      [
        'signing keys of the wrong shape',
        { signing_keys: { gpg_public_keys: [{ ascii_armor: 7 }] } },
        /ascii_armor must be a string/,
      ],
    ];
    for (const [what, fields, says] of badFields) {
      it(`refuses a download document with ${what}`, GUARD, async () => {
        const { run } = await attempt({ document: rewrite(fields) });
        assert.match(failedWith(run, 'UPSTREAM_BAD_RESPONSE').message, says);
        await assertNothingPublished(hostile.ws, ['lock.hcl']);
      });
    }
  });

  describe('bodies that never end or lie about their length', () => {
    it('refuses a JSON document that never ends at maxJsonBytes', GUARD, async () => {
      const { run } = await attempt(
        { routes: { [DOC_PATH]: (_q, r) => sendEndless(r, 'application/json') } },
        { upstreamOptions: { retries: 0, maxJsonBytes: 256 * 1024 } },
      );
      assert.match(failedWith(run, 'UPSTREAM_TOO_LARGE').message, /sent more than the limit of 262144 bytes/);
      await assertNothingPublished(hostile.ws, ['lock.hcl']);
    });

    it('stops an archive that never ends at the package_size the registry stated', GUARD, async () => {
      const { run } = await attempt({ packagesExtension: true, archive: (_q, r) => sendEndless(r) });
      const err = failedWith(run, 'UPSTREAM_TOO_LARGE');
      assert.match(err.message, new RegExp(`limit of ${ZIP.length} bytes`));
      await assertNothingPublished(hostile.ws, ['lock.hcl']);
    });

    it('stops an archive that never ends at maxArchiveBytes when no size is stated', GUARD, async () => {
      const { run } = await attempt(
        { archive: (_q, r) => sendEndless(r) },
        { upstreamOptions: { maxArchiveBytes: 1024 * 1024, retries: 0 } },
      );
      assert.match(failedWith(run, 'UPSTREAM_TOO_LARGE').message, /limit of 1048576 bytes/);
      await assertNothingPublished(hostile.ws, ['lock.hcl']);
    });

    it(
      'refuses an archive whose Content-Length promises more than arrives (after retries)',
      GUARD,
      async () => {
        const { run } = await attempt(
          {
            archive: (_q, r) => {
              r.writeHead(200, { 'Content-Type': 'application/zip', 'Content-Length': ZIP.length + 1000 });
              r.write(ZIP, () => r.destroy());
            },
          },
          { upstreamOptions: { retries: 1, backoffBaseMs: 10, backoffMaxMs: 20 } },
        );
        const err = failedWith(run, 'UPSTREAM_HTTP');
        assert.match(err.message, new RegExp(`ended after ${ZIP.length} of ${ZIP.length + 1000} bytes`));
        await assertNothingPublished(hostile.ws, ['lock.hcl']);
      },
    );

    it('refuses an archive shorter than the package_size the registry stated', GUARD, async () => {
      const { run } = await attempt({
        packagesExtension: true,
        archive: (_q, r) => sendBytes(r, ZIP.subarray(0, ZIP.length - 10)),
      });
      const err = failedWith(run, 'UPSTREAM_BAD_RESPONSE');
      assert.match(
        err.message,
        new RegExp(`archive is ${ZIP.length - 10} bytes but the registry says package_size ${ZIP.length}`),
      );
      await assertNothingPublished(hostile.ws, ['lock.hcl']);
    });

    it(
      'refuses a short archive that looks complete (no size stated) after one more download',
      GUARD,
      async () => {
        const { run } = await attempt({ archive: (_q, r) => sendBytes(r, ZIP.subarray(0, ZIP.length - 10)) });
        assert.match(failedWith(run, 'VERIFY_SHASUM').message, /archive has incorrect checksum/);
        assert.equal(hostile.registry.requests.filter((r) => r.path.endsWith('/archive.zip')).length, 2);
        await assertNothingPublished(hostile.ws, ['lock.hcl']);
      },
    );
  });

  describe('redirects', () => {
    it('refuses a redirect loop', GUARD, async () => {
      const { run } = await attempt({
        routes: {
          [DOC_PATH]: (req, r) =>
            sendRedirect(r, req.url?.endsWith('?again') ? DOC_PATH : `${DOC_PATH}?again`),
        },
      });
      assert.match(failedWith(run, 'UPSTREAM_REDIRECT').message, /redirect loop back to/);
      await assertNothingPublished(hostile.ws, ['lock.hcl']);
    });

    it('refuses a redirect chain longer than maxRedirects', GUARD, async () => {
      const hops = Object.fromEntries(
        Array.from({ length: 20 }, (_, i) => [
          `/hop/${i}`,
          (_q: unknown, r: ServerResponse) => sendRedirect(r, `/hop/${i + 1}`, 307),
        ]),
      );
      const { run } = await attempt({ archive: (_q, r) => sendRedirect(r, '/hop/0'), routes: hops });
      assert.match(failedWith(run, 'UPSTREAM_REDIRECT').message, /more than 5 redirects/);
      await assertNothingPublished(hostile.ws, ['lock.hcl']);
    });
  });
});

describe('hostile upstream metadata: the fixture registry faults', () => {
  let registry: FixtureRegistry;
  let ws: Workspace;

  before(async () => {
    registry = await startFixtureRegistry({ providers: [providerSpec(TF_NULL, ['linux_amd64'])] });
  });
  afterEach(async () => {
    registry.clearFaults();
    await ws.remove();
  });
  after(() => registry.close());

  async function run() {
    ws = await createWorkspace();
    await ws.writeLock('lock.hcl', registry.lockFile([TF_NULL], 'both'));
    return runBuild(buildOptions(ws, registry.upstreamArgs(), { cacheDir: cacheDirOf(ws) }));
  }

  for (const [where, match, limit] of [
    ['a download document', /\/download\//, 4 * 1024 * 1024],
    ['the discovery document', /well-known/, 1024 * 1024],
  ] as const) {
    it(`refuses 100 MB of JSON as ${where} from its Content-Length, before reading it`, GUARD, async () => {
      registry.addFault({ match, kind: 'huge-json' });
      const err = failedWith(await run(), 'UPSTREAM_TOO_LARGE');
      assert.match(err.message, new RegExp(`declares 104857600 bytes than the limit of ${limit} bytes`));
      await assertNothingPublished(ws, ['lock.hcl']);
    });
  }

  it('refuses a redirect loop on the archive', GUARD, async () => {
    registry.addFault({ match: /\.zip$/, kind: 'redirect-loop' });
    assert.match(failedWith(await run(), 'UPSTREAM_REDIRECT').message, /redirect loop back to/);
    await assertNothingPublished(ws, ['lock.hcl']);
  });
});
