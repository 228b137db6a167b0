/** The mirror as the tests publish it: built by the bundled CLI from the world's lock file, and served. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { generateTestCertificates, type TestCertificates } from '../../support/tls.ts';
import { mirrorWithCli } from './build.ts';
import { describe as output } from './process.ts';
import { startStaticSite, type StaticSite } from './static-site.ts';
import type { World } from './world.ts';

/** Builds the mirror into a new `published/mirror` directory of the world; asserts the CLI succeeded. */
export async function publishMirror(world: World): Promise<string> {
  const mirrorDir = path.join(await world.tempDir('published'), 'mirror');
  const built = await mirrorWithCli(world, { lockfiles: [world.lockFile], out: mirrorDir });
  assert.equal(built.code, 0, output(built));
  return mirrorDir;
}

export interface PublishedSite {
  readonly mirrorDir: string;
  /** The site's CA and certificate: clients must trust `caCertPem`. */
  readonly certs: TestCertificates;
  /** The mirror under `/my-repo/`, as GitHub Pages serves a project site. The caller must close() it. */
  readonly site: StaticSite;
}

/** Builds the mirror (publishMirror) and serves it over HTTPS with a new CA's certificate. */
export async function servePublishedMirror(world: World): Promise<PublishedSite> {
  const mirrorDir = await publishMirror(world);
  const certs = await generateTestCertificates();
  const site = await startStaticSite({ root: mirrorDir, prefix: 'my-repo', tls: certs });
  return { mirrorDir, certs, site };
}
