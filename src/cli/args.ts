import { parseArgs } from 'node:util';
import { RepoxyError } from '../domain/errors.ts';
import { SOURCE_FLAGS } from './flags.ts';
import { PUSH_OCI_HELP, PUSH_OCI_USAGE } from './push-oci.ts';
import { LOCK_COMMAND_HELP, LOCK_HELP } from './lock.ts';

export const HELP = `repoxy: turn .terraform.lock.hcl files into a verified provider network mirror

Usage:
  repoxy plan   --lockfile <path-or-glob>... [--platform os_arch]... [--include p]... [--exclude p]... [--json]
  repoxy mirror --lockfile <path-or-glob>... --out DIR [--platform os_arch]... [--upstream HOST=URL]...
                [--include p]... [--exclude p]... [--concurrency N] [--cache-dir DIR]
                [--require-all-platforms] [--require-signatures] [--no-registry-view] [--keep-days N]
                [--mirror-url URL] [--json]
${LOCK_HELP}${PUSH_OCI_USAGE}
  repoxy help
  repoxy --version

Commands:
  plan      Read lock files and print what would be mirrored (no network).
  mirror    Fetch, verify and write the mirror to --out, atomically.
${LOCK_COMMAND_HELP}${PUSH_OCI_HELP}

Flags:
  --lockfile P        A lock file path or glob (repeatable). '**/.terraform.lock.hcl' searches a monorepo,
                      skipping node_modules, .terraform and .git directories.
  --platform OS_ARCH  Target platform (repeatable; default linux_amd64), e.g. darwin_arm64.
  --include P         Only mirror providers matching P (repeatable): HOST/NS/TYPE or NS/TYPE, with '*'
                      wildcards right to left (e.g. registry.terraform.io/hashicorp/*).
  --exclude P         Skip providers matching P (repeatable; wins over --include).
  --out DIR           Output directory (mirror): replaced whole, only if empty or a previous mirror.
  --upstream HOST=URL Look up HOST's /.well-known/terraform.json under URL instead of https://HOST/
                      (repeatable; plain http only for loopback addresses).
  --concurrency N     Archives processed at once (default 8).
  --cache-dir DIR     Keep upstream metadata (refs/) and archives (packages/) here across runs: a run whose
                      lock files did not change makes zero upstream requests.
  --require-all-platforms  Fail when a provider lacks a requested platform upstream (default: warn).
  --require-signatures  Fail when a provider version's SHA256SUMS cannot be signature-checked (OpenTofu's
                      registry serving no keys; default: warn, as OpenTofu does). Same as
                      OPENTOFU_ENFORCE_GPG_VALIDATION=true, which is also respected.
  --no-registry-view  Do not write the registry-protocol view (.well-known/, v1/providers/).
  --keep-days N       Keep publishing a version a previous build published for N days after the last
                      build whose lock files asked for it (default 0: only what the lock files lock).
                      The previous build is read from --cache-dir, else from --mirror-url.
  --mirror-url URL    Where --out is (or will be) published (https, e.g. https://OWNER.github.io/REPO/): the
                      CLI configuration printed at the end uses it (without it, a marked placeholder), and
                      with --keep-days its mirror.json says what the last build published.
  --json              Print one JSON document on stdout.
  -h, --help          Show this help.
  -V, --version       Print repoxy's version.

Environment:
  TF_TOKEN_<host>     Bearer token for a registry host (OpenTofu's encoding: '.' as '_', '-' as '__').
                      Sent only to that host.
  HTTPS_PROXY, HTTP_PROXY, NO_PROXY   Respected for upstream requests.

Checks (mirror): each archive line ends with "N checks passed", e.g.
  fetched registry.terraform.io/hashicorp/null 3.2.3 linux_amd64 (2.1 MB, 5 checks passed)
  fetched registry.opentofu.org/hashicorp/random 3.6.3 linux_amd64 (2.2 MB, 4 of 5 checks passed;
    skipped: registry-packages)
Every archive goes through five checks, in OpenTofu's order:
  registry-packages   the registry's per-platform package list agrees on size and sha256 (only when the
                      registry sends that list: skipped otherwise)
  sums-line           SHA256SUMS has a line for the archive's file name with the registry's shasum
  shasum              the downloaded bytes hash to that shasum
  signature           SHA256SUMS is signed by a key the registry published for the provider (skipped
                      only where OpenTofu skips it: a registry that sends no keys)
  lock-hash           the archive matches an h1: or zh: hash recorded in the lock files (skipped when
                      they record none for that version)
A failing check stops the archive and the run (exit 1); nothing unverified is written.

Exit status: 0 success; 1 upstream or verification failure; 2 invalid input.
`;

export interface CliArgs {
  readonly command: 'plan' | 'mirror' | 'help' | 'version';
  readonly lockfiles: string[];
  readonly platforms: string[];
  readonly include: string[];
  readonly exclude: string[];
  readonly upstreams: string[];
  readonly out: string | undefined;
  readonly cacheDir: string | undefined;
  readonly concurrency: number | undefined;
  readonly requireAllPlatforms: boolean;
  readonly requireSignatures: boolean;
  readonly registryView: boolean;
  readonly keepDays: number;
  readonly json: boolean;
  /** --mirror-url, as given (checked by the mirror command before it builds). */
  readonly mirrorUrl: string | undefined;
}

/** Parses argv; throws INPUT_INVALID with a message naming the flag. */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        ...SOURCE_FLAGS,
        out: { type: 'string' },
        concurrency: { type: 'string' },
        'require-all-platforms': { type: 'boolean' },
        'require-signatures': { type: 'boolean' },
        'no-registry-view': { type: 'boolean' },
        'keep-days': { type: 'string' },
        json: { type: 'boolean' },
        'mirror-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
    });
  } catch (e) {
    throw new RepoxyError('INPUT_INVALID', `${(e as Error).message}; see 'repoxy --help'`);
  }
  const { values: v, positionals } = parsed;
  const command = v.version === true && v.help !== true ? 'version' : commandOf(positionals, v.help === true);
  return {
    command,
    lockfiles: v.lockfile ?? [],
    platforms: v.platform ?? [],
    include: v.include ?? [],
    exclude: v.exclude ?? [],
    upstreams: v.upstream ?? [],
    out: v.out,
    cacheDir: v['cache-dir'],
    concurrency: v.concurrency === undefined ? undefined : positiveInt('--concurrency', v.concurrency),
    requireAllPlatforms: v['require-all-platforms'] === true,
    requireSignatures: v['require-signatures'] === true,
    registryView: v['no-registry-view'] !== true,
    keepDays: v['keep-days'] === undefined ? 0 : wholeDays('--keep-days', v['keep-days']),
    json: v.json === true,
    mirrorUrl: v['mirror-url'],
  };
}

function commandOf(positionals: string[], help: boolean): CliArgs['command'] {
  if (help || positionals.length === 0) return 'help';
  const [cmd, ...rest] = positionals;
  if (rest.length)
    throw new RepoxyError('INPUT_INVALID', `unexpected argument "${rest[0]}"; see 'repoxy --help'`);
  if (cmd === 'plan' || cmd === 'mirror' || cmd === 'help') return cmd;
  throw new RepoxyError(
    'INPUT_INVALID',
    `unknown command "${cmd}": expected plan, mirror, lock or push-oci; see 'repoxy --help'`,
  );
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new RepoxyError('INPUT_INVALID', `${flag} must be a whole number from 1 to 256, got "${text}"`);
  }
  return n;
}

/** Days, 0 to 3650 (ten years: anything longer is a typo). */
export function wholeDays(flag: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 0 || n > 3650) {
    throw new RepoxyError(
      'INPUT_INVALID',
      `${flag} must be a whole number of days from 0 to 3650, got "${text}"`,
    );
  }
  return n;
}
