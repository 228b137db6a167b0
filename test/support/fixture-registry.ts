import type { IncomingMessage, ServerResponse } from 'node:http';
import { generateSigningKey, type SigningKey } from './pgp.ts';
import { generateTestCertificates } from './tls.ts';
import { createCatalog } from './fixture-registry/catalog.ts';
import { createFaultBook } from './fixture-registry/faults.ts';
import { handleRequest, type HandlerContext } from './fixture-registry/handler.ts';
import { listen, type Listener } from './fixture-registry/listen.ts';
import { lockFileText } from './fixture-registry/lock-file.ts';
import { createNetworkShaper } from './fixture-registry/network.ts';
import type { FixtureRegistry, FixtureRegistryOptions, RequestRecord } from './fixture-registry/types.ts';

export { spawnFixtureRegistry } from './fixture-registry/spawn.ts';
export type { FixtureRegistryProcess, FixtureRegistryProcessInfo } from './fixture-registry/spawn.ts';
export { DEFAULT_PROVIDERS, type CliSpec } from './fixture-registry/cli-spec.ts';
export type {
  FaultKind,
  FaultSpec,
  FixtureArchive,
  FixtureProviderSpec,
  FixtureRegistry,
  FixtureRegistryOptions,
  LockFileEntry,
  LockHashes,
  NetworkModel,
  RequestRecord,
} from './fixture-registry/types.ts';

/**
 * Starts a real HTTP(S) server speaking the provider registry protocol (PROTOCOL.md §2) for every
 * host in `options.providers`, each under the path prefix `/HOST/`. Archives, SHA256SUMS and its
 * signature are generated deterministically before it resolves; the signing key is new per
 * registry. The caller must `close()` it.
 */
export async function startFixtureRegistry(options: FixtureRegistryOptions): Promise<FixtureRegistry> {
  const type = options.keyType ?? 'ed25519';
  const signer = await generateSigningKey({ expired: options.keyExpired ?? false, type });
  const decoy = options.signingKeys === 'two' ? await generateSigningKey({ name: 'Decoy', type }) : undefined;
  const certs = options.tls ? await generateTestCertificates() : undefined;
  const catalog = createCatalog(signer, options.archiveCacheDir);
  for (const spec of options.providers) await catalog.add(spec);
  const faults = createFaultBook();
  const requests: RequestRecord[] = [];
  const origins: Origins = { primary: '', second: undefined };
  const listed = listedKeys(options.signingKeys ?? 'one', signer, decoy);
  const ctx: HandlerContext = {
    catalog,
    faults,
    requests,
    tokens: options.tokens ?? {},
    listedKeys: () => listed,
    primaryOrigin: () => origins.primary,
    secondOrigin: () => origins.second,
    network: createNetworkShaper(options.network),
  };
  const serve = (origin: () => string) => (req: IncomingMessage, res: ServerResponse) =>
    void handleRequest(ctx, origin(), req, res).catch(() => res.destroy());
  const host = options.host ?? '127.0.0.1';
  const listeners = [
    await listen(
      serve(() => origins.primary),
      { host, port: options.port ?? 0, certs },
    ),
  ];
  origins.primary = listeners[0]!.origin;
  if (options.secondOrigin) {
    listeners.push(
      await listen(
        serve(() => origins.second ?? ''),
        { host: '127.0.0.2', port: 0, certs },
      ),
    );
    origins.second = listeners[1]!.origin;
  }
  return registryApi({ catalog, faults, requests, origins, listeners, signer, certs });
}

interface Origins {
  primary: string;
  second: string | undefined;
}

/** The keys download documents list (PROTOCOL.md §2.4: tried in order, unknown issuer → next). */
function listedKeys(mode: 'one' | 'none' | 'two', signer: SigningKey, decoy: SigningKey | undefined) {
  const entry = (k: SigningKey) => ({ keyId: k.keyId, armored: k.publicKeyArmored });
  if (mode === 'none') return [];
  return mode === 'two' && decoy ? [entry(decoy), entry(signer)] : [entry(signer)];
}

function registryApi(parts: {
  catalog: ReturnType<typeof createCatalog>;
  faults: ReturnType<typeof createFaultBook>;
  requests: RequestRecord[];
  origins: Origins;
  listeners: Listener[];
  signer: { keyId: string; publicKeyArmored: string };
  certs: { caCertPem: string } | undefined;
}): FixtureRegistry {
  const { catalog, faults, requests, origins } = parts;
  const baseUrl = (hostname: string) => `${origins.primary}/${hostname}/`;
  return {
    origin: origins.primary,
    secondOrigin: origins.second,
    baseUrl,
    providersUrl: (hostname) => `${baseUrl(hostname)}v1/providers/`,
    upstreamArgs: () =>
      catalog
        .hosts()
        .sort()
        .map((h) => `${h}=${baseUrl(h)}`),
    requests,
    resetRequests: () => void requests.splice(0),
    addFault: (f) => {
      if (f.kind === 'redirect-other-host' && !origins.second) {
        throw new Error(
          'fixture registry: redirect-other-host needs startFixtureRegistry({ secondOrigin: true })',
        );
      }
      faults.add(f);
    },
    clearFaults: () => faults.clear(),
    addProvider: (p) => catalog.add(p),
    archive: (address, version, platform) => {
      const a = catalog.find(address, version)?.archives.get(platform);
      if (!a) throw new Error(`fixture registry: no archive for ${address} ${version} ${platform}`);
      return a;
    },
    sums: (address, version) => {
      const v = catalog.find(address, version);
      if (!v) throw new Error(`fixture registry: ${address} ${version} is not served`);
      return v.sums;
    },
    lockFile: (providers, hashes) => lockFileText(catalog, providers, hashes),
    publicKeyArmored: parts.signer.publicKeyArmored,
    keyId: parts.signer.keyId,
    caCertPem: parts.certs?.caCertPem,
    close: async () => void (await Promise.all(parts.listeners.map((l) => l.close()))),
  };
}
