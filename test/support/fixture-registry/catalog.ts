import type { SigningKey } from '../pgp.ts';
import { buildArchive } from './archive-build.ts';
import type { FixtureArchive, FixtureProviderSpec } from './types.ts';

/** Everything served for one provider version, computed once when it is added. */
export interface VersionEntry {
  readonly address: string;
  readonly spec: FixtureProviderSpec;
  readonly protocols: readonly string[];
  /** By platform `os_arch`, in the order the spec lists them. */
  readonly archives: ReadonlyMap<string, FixtureArchive>;
  /** `terraform-provider-TYPE_VERSION_SHA256SUMS` content (PROTOCOL.md §2.4 step 2). */
  readonly sums: Buffer;
  readonly sumsFilename: string;
  /** Binary detached signature over `sums` by the registry key. */
  readonly signature: Buffer;
  /** The same key's signature over other bytes: served by the 'bad-signature' fault. */
  readonly badSignature: Buffer;
}

const DEFAULT_SIZE = 64 * 1024;
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const PLATFORM = /^[a-z0-9]+_[a-z0-9]+$/;

/** The providers a registry serves: host → `ns/type` → versions in the order added. */
export interface Catalog {
  add(spec: FixtureProviderSpec): Promise<void>;
  hosts(): string[];
  versionsOf(host: string, namespace: string, type: string): VersionEntry[] | undefined;
  find(address: string, version: string): VersionEntry | undefined;
}

/** An empty catalog whose SHA256SUMS are signed by `signer`; big archives cached in `cacheDir`. */
export function createCatalog(signer: SigningKey, cacheDir: string | undefined): Catalog {
  const byHost = new Map<string, Map<string, VersionEntry[]>>();
  const pending = new Set<string>();
  return {
    add: async (spec) => {
      validateSpec(spec);
      const address = `${spec.hostname}/${spec.namespace}/${spec.type}`;
      const key = `${address}@${spec.version}`;
      if (pending.has(key)) throw new Error(`fixture registry: ${key} is already served`);
      pending.add(key);
      const entry = await buildVersion(address, spec, signer, cacheDir);
      const providers = byHost.get(spec.hostname) ?? new Map<string, VersionEntry[]>();
      byHost.set(spec.hostname, providers);
      const name = `${spec.namespace}/${spec.type}`;
      providers.set(name, [...(providers.get(name) ?? []), entry]);
    },
    hosts: () => [...byHost.keys()],
    versionsOf: (host, namespace, type) => byHost.get(host)?.get(`${namespace}/${type}`),
    find: (address, version) => {
      const [host = '', namespace = '', type = ''] = address.split('/');
      return byHost
        .get(host)
        ?.get(`${namespace}/${type}`)
        ?.find((v) => v.spec.version === version);
    },
  };
}

function validateSpec(spec: FixtureProviderSpec): void {
  for (const [field, value] of Object.entries({
    namespace: spec.namespace,
    type: spec.type,
    version: spec.version,
  })) {
    if (!SEGMENT.test(value)) throw new Error(`fixture registry: invalid ${field} ${JSON.stringify(value)}`);
  }
  if (!/^[a-z0-9.-]+(:[0-9]+)?$/i.test(spec.hostname)) {
    throw new Error(`fixture registry: invalid hostname ${JSON.stringify(spec.hostname)}`);
  }
  if (spec.platforms.length === 0) throw new Error(`fixture registry: ${spec.type} has no platforms`);
  for (const p of spec.platforms) {
    if (!PLATFORM.test(p)) throw new Error(`fixture registry: invalid platform ${JSON.stringify(p)}`);
  }
}

async function buildVersion(
  address: string,
  spec: FixtureProviderSpec,
  signer: SigningKey,
  cacheDir: string | undefined,
): Promise<VersionEntry> {
  const built = await Promise.all(
    spec.platforms.map((platform) =>
      buildArchive({
        address,
        type: spec.type,
        version: spec.version,
        platform,
        size: spec.sizes?.[platform] ?? spec.size ?? DEFAULT_SIZE,
        cacheDir,
      }),
    ),
  );
  const archives = new Map(spec.platforms.map((p, i) => [p, built[i]!] as const));
  const sums = sumsFile([...archives.values()]);
  return {
    address,
    spec,
    protocols: spec.protocols ?? ['5.0'],
    archives,
    sums,
    sumsFilename: `terraform-provider-${spec.type}_${spec.version}_SHA256SUMS`,
    signature: await signer.signDetached(sums),
    badSignature: await signer.signDetached(Buffer.concat([sums, Buffer.from('# tampered\n')])),
  };
}

/** `<hex>  <filename>\n` per archive, sorted by filename (as goreleaser writes them). */
function sumsFile(archives: readonly FixtureArchive[]): Buffer {
  const lines = archives
    .map((a) => `${a.sha256}  ${a.filename}\n`)
    .sort((x, y) => (x.slice(66) < y.slice(66) ? -1 : 1));
  return Buffer.from(lines.join(''));
}
