import { mkdtemp, rm } from 'node:fs/promises';
import { after, before } from 'node:test';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import type { OciRequestEvent } from '../../../src/publish/oci/distribution.ts';
import { pushMirrorToOci, type OciPushOptions, type OciPushResult } from '../../../src/publish/oci/push.ts';
import { startOciRegistry, type OciRegistry, type OciRegistryAuth } from '../../support/oci-registry.ts';
import { buildFixtureMirror, type FixtureProvider } from '../mirror-fixture.ts';

/** Temp dirs for the OCI tests, removed by `cleanup()`. */
export async function tempRoot(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'repoxy-oci-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * A Distribution 2.8 with `auth` and a temp dir for the suite it is called in (started in `before`,
 * stopped by PID and removed in `after`); read them through the getters once the suite runs.
 */
export function suiteRegistry(auth?: OciRegistryAuth): {
  readonly registry: OciRegistry;
  readonly dir: string;
} {
  let registry: OciRegistry | undefined;
  let root: Awaited<ReturnType<typeof tempRoot>> | undefined;
  before(async () => {
    registry = await startOciRegistry(auth);
    root = await tempRoot();
  });
  after(async () => {
    await registry?.stop();
    await root?.cleanup();
  });
  return {
    get registry() {
      return registry!;
    },
    get dir() {
      return root!.dir;
    },
  };
}

/** A mirror written by the real mirror writer for `providers`, at `dir/name`. */
export async function fixtureMirror(
  dir: string,
  name: string,
  providers: FixtureProvider[],
): Promise<string> {
  const out = path.join(dir, name);
  await buildFixtureMirror(out, path.join(dir, `${name}-zips`), providers);
  return out;
}

/** Pushes `mirror` to `host` (trusting `registry`'s CA) with every request recorded. */
export async function push(
  registry: OciRegistry,
  mirror: string,
  extra: Partial<OciPushOptions> & { host?: string } = {},
): Promise<OciPushResult & { requests: OciRequestEvent[] }> {
  const requests: OciRequestEvent[] = [];
  const result = await pushMirrorToOci({
    mirror,
    repositoryTemplate: `${extra.host ?? registry.host}/tofu/\${hostname}/\${namespace}/\${type}`,
    ca: registry.caCertPem,
    env: { HOME: '/nonexistent' },
    httpOptions: { backoffBaseMs: 10, backoffMaxMs: 50 },
    onRequest: (e) => requests.push(e),
    ...extra,
  });
  return { ...result, requests };
}

/** GET a manifest straight from the registry (anonymous unless `authorization`), with its Docker-Content-Digest. */
export async function fetchManifest(
  registry: OciRegistry,
  repo: string,
  reference: string,
  authorization?: string,
): Promise<{ status: number; digest: string | undefined; json: Record<string, unknown> | undefined }> {
  const dispatcher = new Agent({ connect: { ca: registry.caCertPem } });
  try {
    const res = await request(`https://${registry.host}/v2/${repo}/manifests/${reference}`, {
      dispatcher,
      headers: {
        ...(authorization ? { authorization } : {}),
        accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json',
      },
    });
    const text = await res.body.text();
    const digest = res.headers['docker-content-digest'];
    return {
      status: res.statusCode,
      digest: typeof digest === 'string' ? digest : undefined,
      json: res.statusCode === 200 ? (JSON.parse(text) as Record<string, unknown>) : undefined,
    };
  } finally {
    await dispatcher.close();
  }
}
