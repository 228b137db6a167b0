import { accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, runProcess, type ProcessResult } from './process.ts';

/**
 * The real clients of the end-to-end suite: OpenTofu (TOFU_BIN or scripts/build-tofu.sh) and
 * Terraform 1.5.7, its last MPL-licensed release (TERRAFORM_BIN or scripts/build-terraform.sh), both
 * built from the Go module proxy and cached outside the repository. Never skipped: when a client
 * cannot be found or built, resolving it throws and the suite fails, under CI=true as anywhere.
 */

const repoRoot = path.resolve(import.meta.dirname, '../../..');
/** Building from source takes minutes on 2 cores; the cached binary answers at once. */
const BUILD_TIMEOUT_MS = 20 * 60_000;
/** A closed loopback port: any request that would leave the machine fails fast through it. */
const DEAD_PROXY = 'http://127.0.0.1:9';

/** What differs between the two clients, as far as the suite is concerned. */
export interface ClientKind {
  /** The command name, also the prefix of every scenario's name (for --test-name-pattern). */
  readonly name: 'tofu' | 'terraform';
  /** The first word of `NAME version`. */
  readonly product: 'OpenTofu' | 'Terraform';
  /** The variable naming a built binary; when unset, `buildScript` builds (or finds) it. */
  readonly binVariable: 'TOFU_BIN' | 'TERRAFORM_BIN';
  /** Relative to the repository root. */
  readonly buildScript: string;
  /** The host a bare `ns/type` source means: the client prints addresses there without it. */
  readonly defaultHost: string;
  /** A fixture registry signing key this client can read (Terraform 1.5.7 cannot read EdDSA keys). */
  readonly keyType: 'ed25519' | 'rsa';
}

/** A resolved client: its kind, the binary and the first line of `NAME version`. */
export interface Client extends ClientKind {
  /** Absolute path of the binary. */
  readonly bin: string;
  /** The first line of `NAME version`, e.g. "OpenTofu v1.12.6" or "Terraform v1.5.7". */
  readonly version: string;
}

export const TOFU: ClientKind = {
  name: 'tofu',
  product: 'OpenTofu',
  binVariable: 'TOFU_BIN',
  buildScript: 'scripts/build-tofu.sh',
  defaultHost: 'registry.opentofu.org',
  keyType: 'ed25519',
};

export const TERRAFORM: ClientKind = {
  name: 'terraform',
  product: 'Terraform',
  binVariable: 'TERRAFORM_BIN',
  buildScript: 'scripts/build-terraform.sh',
  defaultHost: 'registry.terraform.io',
  keyType: 'rsa',
};

/** Every client the suite knows. */
export const ALL_CLIENTS: readonly ClientKind[] = [TOFU, TERRAFORM];

/**
 * The clients each scenario runs with: all of them, or (while developing) those E2E_CLIENTS names,
 * comma-separated. Under CI=true every client runs: a narrower E2E_CLIENTS throws instead of skipping.
 */
export function selectClients(env: NodeJS.ProcessEnv = process.env): readonly ClientKind[] {
  const wanted = env['E2E_CLIENTS']
    ?.split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  if (!wanted?.length) return ALL_CLIENTS;
  const unknown = wanted.filter((n) => !ALL_CLIENTS.some((c) => c.name === n));
  if (unknown.length > 0) {
    throw new Error(`E2E_CLIENTS names unknown clients (${unknown.join(', ')}); use tofu, terraform`);
  }
  const selected = ALL_CLIENTS.filter((c) => wanted.includes(c.name));
  if (env['CI'] === 'true' && selected.length < ALL_CLIENTS.length) {
    throw new Error(`E2E_CLIENTS=${env['E2E_CLIENTS']} under CI=true: CI runs every client; unset it`);
  }
  return selected;
}

const resolved = new Map<ClientKind['name'], Promise<Client>>();

/** The client (once per process): its *_BIN when set, else its build script. Throws when neither works. */
export function resolveClient(kind: ClientKind): Promise<Client> {
  let client = resolved.get(kind.name);
  if (!client) {
    client = locate(kind);
    resolved.set(kind.name, client);
  }
  return client;
}

async function locate(kind: ClientKind): Promise<Client> {
  const fromEnv = process.env[kind.binVariable];
  const bin = fromEnv ? path.resolve(fromEnv) : await buildWithScript(kind);
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    throw new Error(
      `the ${kind.product} binary ${bin} (${fromEnv ? `from ${kind.binVariable}` : `from ${kind.buildScript}`}) ` +
        `is not an executable file; unset ${kind.binVariable} or run \`bash ${kind.buildScript}\``,
    );
  }
  const env = clientEnv({ home: tmpdir(), cliConfigFile: '/dev/null' });
  const run = await runProcess(bin, ['version'], { cwd: repoRoot, env });
  const version = run.stdout.split('\n')[0]?.trim() ?? '';
  if (run.code !== 0 || run.stderr.trim() !== '' || !version.startsWith(`${kind.product} v`)) {
    throw new Error(`\`${bin} version\` failed (exit ${run.code}):\n${run.stdout}${run.stderr}`);
  }
  process.stdout.write(`real client: ${version} (${bin})\n`);
  return { ...kind, bin, version };
}

async function buildWithScript(kind: ClientKind): Promise<string> {
  const run = await runProcess('bash', [path.join(repoRoot, kind.buildScript)], {
    cwd: repoRoot,
    env: process.env,
    timeoutMs: BUILD_TIMEOUT_MS,
    stderrTo: process.stderr,
  });
  const bin = run.stdout.trim().split('\n').at(-1) ?? '';
  if (run.code !== 0 || bin === '') {
    throw new Error(
      `cannot build the ${kind.product} client with ${kind.buildScript} (exit ${run.code}); the end-to-end ` +
        `suite needs it (set ${kind.binVariable} to a built binary to skip the build):\n${run.stderr.slice(-4000)}`,
    );
  }
  return bin;
}

/** What a client child gets: an isolated HOME and CLI configuration, loopback only. */
export interface ClientEnvOptions {
  /** A throw-away HOME (no ~/.terraformrc, ~/.terraform.d). */
  readonly home: string;
  /** TF_CLI_CONFIG_FILE (the same format for both clients). */
  readonly cliConfigFile: string;
  /** SSL_CERT_FILE: the roots Go trusts (on Linux it replaces the system bundle file). */
  readonly caFile?: string;
  readonly extra?: Readonly<Record<string, string>>;
}

/**
 * The environment for a client: this process's minus every TF_*, proxy and TLS setting, then
 * HOME, TF_CLI_CONFIG_FILE, SSL_CERT_FILE, CHECKPOINT_DISABLE=1, TF_IN_AUTOMATION=1, and a dead
 * proxy for everything but loopback, so nothing can reach the Internet even by mistake.
 */
export function clientEnv(options: ClientEnvOptions): Record<string, string> {
  const dropped = /^(TF_|CHECKPOINT_|OPENTOFU_|SSL_CERT_|HTTPS?_PROXY$|NO_PROXY$|ALL_PROXY$)/i;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !dropped.test(name) && name !== 'NODE_TEST_CONTEXT') env[name] = value;
  }
  return {
    ...env,
    HOME: options.home,
    TF_CLI_CONFIG_FILE: options.cliConfigFile,
    CHECKPOINT_DISABLE: '1',
    TF_IN_AUTOMATION: '1',
    HTTPS_PROXY: DEAD_PROXY,
    HTTP_PROXY: DEAD_PROXY,
    NO_PROXY: '127.0.0.1,127.0.0.2,localhost',
    ...(options.caFile ? { SSL_CERT_FILE: options.caFile } : {}),
    ...options.extra,
  };
}

/** Runs `NAME ARGS` in `cwd`; resolves with its output whatever the exit status. */
export function runClient(
  client: Client,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs?: number },
): Promise<ProcessResult> {
  return runProcess(client.bin, args, options);
}

/** Like runClient, but throws with the client's output when it exits non-zero. */
export async function clientOk(
  client: Client,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs?: number },
): Promise<ProcessResult> {
  const run = await runClient(client, args, options);
  if (run.code !== 0) {
    throw new Error(`${client.name} ${args.join(' ')} failed (exit ${run.code}):\n${describe(run)}`);
  }
  return run;
}
