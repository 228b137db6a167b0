import { accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, runProcess, type ProcessResult } from './process.ts';

/**
 * The real clients of the end-to-end suite, each built from the Go module proxy and cached outside the
 * repository, one directory per version: OpenTofu (TOFU_BIN or scripts/build-tofu.sh), Terraform 1.5.7,
 * its last MPL-licensed release (TERRAFORM_BIN or scripts/build-terraform.sh), and Terraform 1.8.5, the
 * newest that `go install` can build (TERRAFORM_1_8_BIN or TERRAFORM_VERSION=v1.8.5
 * scripts/build-terraform.sh). A newer version drops in as one more entry of ALL_CLIENTS. Never skipped:
 * when a client cannot be found or built, resolving it throws and the suite fails, under CI=true as
 * anywhere.
 */

const repoRoot = path.resolve(import.meta.dirname, '../../..');
/** Building from source takes minutes on 2 cores; the cached binary answers at once. */
const BUILD_TIMEOUT_MS = 20 * 60_000;
/** A closed loopback port: any request that would leave the machine fails fast through it. */
const DEAD_PROXY = 'http://127.0.0.1:9';

/** What differs between the clients, as far as the suite is concerned. */
export interface ClientKind {
  /**
   * Unique per client and version ("tofu", "terraform", "terraform-1.8"): the prefix of every
   * scenario's name (for --test-name-pattern) and what E2E_CLIENTS names.
   */
  readonly id: string;
  /** The command name (what `NAME init` writes into a lock file's header). */
  readonly name: 'tofu' | 'terraform';
  /** The first word of `NAME version`. */
  readonly product: 'OpenTofu' | 'Terraform';
  /** The release tag the build script builds, e.g. "v1.8.5"; `NAME version` must print exactly it. */
  readonly tag: string;
  /** The variable naming a built binary; when unset, `buildScript` builds (or finds) it. */
  readonly binVariable: string;
  /** Relative to the repository root. */
  readonly buildScript: string;
  /** The environment the build script takes (the version it builds). */
  readonly buildEnv: Readonly<Record<string, string>>;
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

/** OpenTofu at TOFU_VERSION (default v1.12.6, the newest the Go module proxy serves here). */
export const TOFU: ClientKind = openTofu(process.env['TOFU_VERSION'] ?? 'v1.12.6');

/** Terraform 1.5.7: the last MPL-licensed release; it cannot read ed25519 OpenPGP keys. */
export const TERRAFORM: ClientKind = terraform('terraform', 'v1.5.7', 'TERRAFORM_BIN', 'rsa');

/**
 * Terraform 1.8.5: the newest release `go install` builds (from 1.9 on, its go.mod replaces nested
 * modules that the module zip does not contain). It reads ed25519 keys, so it gets the same as OpenTofu.
 */
export const TERRAFORM_1_8: ClientKind = terraform('terraform-1.8', 'v1.8.5', 'TERRAFORM_1_8_BIN', 'ed25519');

/** Every client the suite knows; every scenario runs with each one that supports it. */
export const ALL_CLIENTS: readonly ClientKind[] = [TOFU, TERRAFORM, TERRAFORM_1_8];

function openTofu(tag: string): ClientKind {
  return {
    id: 'tofu',
    name: 'tofu',
    product: 'OpenTofu',
    tag,
    binVariable: 'TOFU_BIN',
    buildScript: 'scripts/build-tofu.sh',
    buildEnv: { TOFU_VERSION: tag },
    defaultHost: 'registry.opentofu.org',
    keyType: 'ed25519',
  };
}

function terraform(id: string, tag: string, binVariable: string, keyType: ClientKind['keyType']): ClientKind {
  return {
    id,
    name: 'terraform',
    product: 'Terraform',
    tag,
    binVariable,
    buildScript: 'scripts/build-terraform.sh',
    buildEnv: { TERRAFORM_VERSION: tag },
    defaultHost: 'registry.terraform.io',
    keyType,
  };
}

/**
 * The clients each scenario runs with: all of them, or (while developing) those E2E_CLIENTS names,
 * comma-separated, by id ("terraform-1.8") or by command ("terraform": every Terraform version). Under
 * CI=true every client runs: a narrower E2E_CLIENTS throws instead of skipping.
 */
export function selectClients(
  env: NodeJS.ProcessEnv = process.env,
  all: readonly ClientKind[] = ALL_CLIENTS,
): readonly ClientKind[] {
  const wanted = env['E2E_CLIENTS']
    ?.split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  if (!wanted?.length) return all;
  const unknown = wanted.filter((n) => !all.some((c) => c.id === n || c.name === n));
  if (unknown.length > 0) {
    const known = [...new Set(all.flatMap((c) => [c.id, c.name]))].join(', ');
    throw new Error(`E2E_CLIENTS names unknown clients (${unknown.join(', ')}); use ${known}`);
  }
  const selected = all.filter((c) => wanted.includes(c.id) || wanted.includes(c.name));
  if (env['CI'] === 'true' && selected.length < all.length) {
    throw new Error(`E2E_CLIENTS=${env['E2E_CLIENTS']} under CI=true: CI runs every client; unset it`);
  }
  return selected;
}

const resolved = new Map<string, Promise<Client>>();

/** The client (once per process): its *_BIN when set, else its build script. Throws when neither works. */
export function resolveClient(kind: ClientKind): Promise<Client> {
  let client = resolved.get(kind.id);
  if (!client) {
    client = locate(kind);
    resolved.set(kind.id, client);
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
  const expected = `${kind.product} ${kind.tag}`;
  if (version !== expected) {
    throw new Error(
      `${bin} (${fromEnv ? `from ${kind.binVariable}` : `from ${kind.buildScript}`}) reports "${version}", ` +
        `expected "${expected}" for the ${kind.id} client`,
    );
  }
  process.stdout.write(`real client ${kind.id}: ${version} (${bin})\n`);
  return { ...kind, bin, version };
}

async function buildWithScript(kind: ClientKind): Promise<string> {
  const run = await runProcess('bash', [path.join(repoRoot, kind.buildScript)], {
    cwd: repoRoot,
    env: { ...process.env, ...kind.buildEnv },
    timeoutMs: BUILD_TIMEOUT_MS,
    stderrTo: process.stderr,
  });
  const bin = run.stdout.trim().split('\n').at(-1) ?? '';
  if (run.code !== 0 || bin === '') {
    throw new Error(
      `cannot build the ${kind.product} ${kind.tag} client with ${kind.buildScript} (exit ${run.code}); the end-to-end ` +
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
