import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  startFixtureRegistry,
  type FixtureProviderSpec,
  type FixtureRegistry,
} from '../../support/fixture-registry.ts';
import { clientEnv, clientOk, resolveClient, runClient, type Client, type ClientKind } from './client.ts';
import type { ProcessResult } from './process.ts';

/**
 * The scene every end-to-end test plays in, once per client: the fixture registry over loopback
 * TLS serving two providers on two hosts (one a prerelease), signed with a key that client reads,
 * the real client reaching it only through CLI `host` blocks, a root module that requires both by
 * fully-qualified address, and the lock file the client itself wrote for two platforms with
 * `NAME providers lock`.
 */

export const PLATFORMS = ['linux_amd64', 'darwin_arm64'] as const;
/** The platform `init` installs for on this machine (CI and the dev box are x86-64 Linux). */
export const HOST_PLATFORM = 'linux_amd64';
const ARCHIVE_BYTES = 256 * 1024;

export const RANDOM = 'registry.opentofu.org/hashicorp/random';
export const WIDGET = 'registry.terraform.io/acme/widget';
export const WIDGET_PRERELEASE = '6.4.0-beta.1';

/** What the registry serves: more platforms and versions than the configuration asks for. */
export const PROVIDERS: FixtureProviderSpec[] = [
  spec('registry.opentofu.org', 'hashicorp', 'random', '3.6.2', [...PLATFORMS, 'windows_amd64']),
  spec('registry.terraform.io', 'acme', 'widget', '6.3.0', [...PLATFORMS]),
  spec('registry.terraform.io', 'acme', 'widget', WIDGET_PRERELEASE, [...PLATFORMS]),
];

/** Every provider host served, sorted. */
export const HOSTS: readonly string[] = [...new Set(PROVIDERS.map((p) => p.hostname))].sort();

/** Address → the version the configuration selects (the prerelease only through an exact `=`). */
export const SELECTED: ReadonlyMap<string, string> = new Map([
  [RANDOM, '3.6.2'],
  [WIDGET, WIDGET_PRERELEASE],
]);

const ROOT_MODULE = `terraform {
  required_providers {
    random = {
      source  = "registry.opentofu.org/hashicorp/random"
      version = "~> 3.6"
    }
    widget = {
      source  = "registry.terraform.io/acme/widget"
      version = "= ${WIDGET_PRERELEASE}"
    }
  }
}
`;

function spec(hostname: string, namespace: string, type: string, version: string, platforms: string[]) {
  return { hostname, namespace, type, version, platforms, size: ARCHIVE_BYTES };
}

export interface World {
  readonly client: Client;
  readonly registry: FixtureRegistry;
  /** Temp root of everything this world wrote; removed by close(). */
  readonly root: string;
  /** The registry's CA certificate file (for SSL_CERT_FILE and NODE_EXTRA_CA_CERTS). */
  readonly registryCaFile: string;
  /** `host` blocks sending every provider host to the fixture registry (never the real one). */
  readonly hostBlocks: string;
  /** The root module directory holding main.tf and the lock file `NAME providers lock` wrote. */
  readonly configDir: string;
  readonly lockFile: string;
  readonly lockText: string;
  /** A new empty directory under root. */
  tempDir(name: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts the registry, writes the root module and locks it with the real `kind` client for PLATFORMS. */
export async function startWorld(kind: ClientKind): Promise<World> {
  const client = await resolveClient(kind);
  const root = await mkdtemp(path.join(tmpdir(), `repoxy-e2e-${kind.id}-`));
  let registry: FixtureRegistry | undefined;
  try {
    registry = await startFixtureRegistry({ providers: PROVIDERS, tls: true, keyType: kind.keyType });
    const registryCaFile = path.join(root, 'registry-ca.pem');
    await writeFile(registryCaFile, registry.caCertPem ?? '');
    const hostBlocks = hostBlocksFor(registry);
    const configDir = await writeRootModule(path.join(root, 'config'));
    let n = 0;
    const tempDir = async (name: string) => {
      const dir = path.join(root, `${name}-${++n}`);
      await mkdir(dir, { recursive: true });
      return dir;
    };
    const lock = await lockWithClient(client, { configDir, hostBlocks, caFile: registryCaFile, tempDir });
    const reg = registry;
    return {
      client,
      registry: reg,
      root,
      registryCaFile,
      hostBlocks,
      configDir,
      lockFile: path.join(configDir, '.terraform.lock.hcl'),
      lockText: lock,
      tempDir,
      close: async () => {
        await reg.close();
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await registry?.close();
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}

function hostBlocksFor(registry: FixtureRegistry): string {
  return HOSTS.map(
    (h) =>
      `host ${JSON.stringify(h)} {\n  services = {\n    "providers.v1" = ${JSON.stringify(registry.providersUrl(h))}\n  }\n}\n`,
  ).join('\n');
}

/** Writes main.tf (the two required providers) into `dir`; returns `dir`. */
export async function writeRootModule(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'main.tf'), ROOT_MODULE);
  return dir;
}

async function lockWithClient(
  client: Client,
  w: { configDir: string; hostBlocks: string; caFile: string; tempDir: (n: string) => Promise<string> },
): Promise<string> {
  const cliConfigFile = path.join(await w.tempDir('cli-config'), 'registry.tfrc');
  await writeFile(cliConfigFile, w.hostBlocks);
  const env = clientEnv({ home: await w.tempDir('home'), cliConfigFile, caFile: w.caFile });
  const platforms = PLATFORMS.map((p) => `-platform=${p}`);
  await clientOk(client, ['providers', 'lock', '-no-color', ...platforms], { cwd: w.configDir, env });
  return readFile(path.join(w.configDir, '.terraform.lock.hcl'), 'utf8');
}

/** One `NAME init` in a fresh copy of the root module. */
export interface InitOutcome {
  readonly run: ProcessResult;
  readonly dir: string;
  /** The lock file after init, or undefined when there is none. */
  readonly lockAfter: string | undefined;
}

/** The two files a client run is pointed at: TF_CLI_CONFIG_FILE and SSL_CERT_FILE. */
export interface ClientFiles {
  readonly cliConfigFile: string;
  /** Unset: the client gets no SSL_CERT_FILE at all. */
  readonly caFile?: string;
}

/** Writes `cliConfig` and the concatenated `caPems` (the only roots the client trusts) to new files. */
export async function writeClientFiles(
  world: World,
  cliConfig: string,
  caPems: readonly string[],
): Promise<ClientFiles> {
  const dir = await world.tempDir('client');
  const cliConfigFile = path.join(dir, 'cli.tfrc');
  await writeFile(cliConfigFile, cliConfig);
  const caFile = path.join(dir, 'roots.pem');
  await writeFile(caFile, caPems.join('\n'));
  return { cliConfigFile, caFile };
}

/**
 * Copies the root module (with `lockText`, or without a lock file when undefined) into a new
 * directory and runs `NAME init` there with a fresh HOME and only `client`'s configuration and
 * roots. Resolves whatever the exit status.
 */
export async function initWith(
  world: World,
  client: ClientFiles,
  options: { lockText: string | undefined; extraEnv?: Record<string, string> },
): Promise<InitOutcome> {
  const dir = await writeRootModule(await world.tempDir('init'));
  const lockFile = path.join(dir, '.terraform.lock.hcl');
  if (options.lockText !== undefined) await writeFile(lockFile, options.lockText);
  const home = await world.tempDir('home');
  const env = clientEnv({ home, ...client, extra: options.extraEnv });
  const run = await runClient(world.client, ['init', '-input=false', '-no-color'], { cwd: dir, env });
  const lockAfter = await readFile(lockFile, 'utf8').catch(() => undefined);
  return { run, dir, lockAfter };
}
