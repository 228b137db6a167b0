/**
 * The set-up of tests that publish one package on a hostile registry and run the engine on its lock
 * file: one registry and signing key for the describe block, a fresh workspace for every attempt.
 */
import { after, afterEach, before } from 'node:test';
import type { BuildOptions } from '../../../src/engine.ts';
import {
  buildOptions,
  createWorkspace,
  FAST_UPSTREAM,
  runBuild,
  type BuildRun,
  type Workspace,
} from '../../engine/support/harness.ts';
import { generateSigningKey, type SigningKey } from '../../support/pgp.ts';
import { cacheDirOf } from './containment.ts';
import {
  publishPackage,
  startHostileRegistry,
  type HostileRegistry,
  type PackageSpec,
  type PublishedPackage,
} from './hostile-registry.ts';

export interface HostileSuite {
  readonly registry: HostileRegistry;
  /** The workspace of the test's attempt. */
  readonly ws: Workspace;
  /**
   * Publishes `spec` and runs the engine on its lock file (`lock.hcl` in a new workspace), with the
   * store in the workspace (cacheDirOf) and FAST_UPSTREAM under `options.upstreamOptions`.
   */
  attempt(
    spec: PackageSpec,
    options?: Partial<BuildOptions>,
  ): Promise<{ run: BuildRun; published: PublishedPackage }>;
}

/**
 * Registers the hooks of the current describe block: the registry and a signing key start before its
 * tests, each test's routes, requests and workspace go after it, and the registry closes at the end.
 */
export function hostileSuite(): HostileSuite {
  let registry: HostileRegistry;
  let signer: SigningKey;
  let ws: Workspace;

  before(async () => {
    registry = await startHostileRegistry();
    signer = await generateSigningKey();
  });
  afterEach(async () => {
    registry.reset();
    await ws.remove();
  });
  after(() => registry.close());

  return {
    get registry() {
      return registry;
    },
    get ws() {
      return ws;
    },
    async attempt(spec, options = {}) {
      const published = await publishPackage(registry, signer, spec);
      ws = await createWorkspace();
      await ws.writeLock('lock.hcl', published.lockFile);
      const run = await runBuild(
        buildOptions(ws, [registry.upstreamArg(spec.host)], {
          cacheDir: cacheDirOf(ws),
          ...options,
          upstreamOptions: { ...FAST_UPSTREAM, ...options.upstreamOptions },
        }),
      );
      return { run, published };
    },
  };
}
