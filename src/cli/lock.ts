/**
 * `repoxy lock`: completes lock files for every requested platform (src/lock.ts). Its own flags, so
 * the mirror commands' parsing stays as it is.
 */
import { parseArgs } from 'node:util';
import { RepoxyError } from '../domain/errors.ts';
import { lockFiles, type LockResult } from '../lock.ts';
import type { FileUpdate } from '../lockfile/update.ts';
import { stderrReporter } from './render.ts';
import { SOURCE_FLAGS } from './flags.ts';

export const LOCK_HELP = `  repoxy lock   --lockfile <path-or-glob>... --platform os_arch... [--upstream HOST=URL]...
                [--cache-dir DIR] [--include p]... [--exclude p]... [--check] [--json]
`;

export const LOCK_COMMAND_HELP = `  lock      Add to every provider block the h1: of each --platform and every signed zh:, as
            'tofu providers lock -platform=...' does, fetching each archive once for all lock files.
            --check writes nothing and exits 1 listing each path:line that lacks a platform.
`;

export interface LockArgs {
  readonly lockfiles: string[];
  readonly platforms: string[];
  readonly include: string[];
  readonly exclude: string[];
  readonly upstreams: string[];
  readonly cacheDir: string | undefined;
  readonly check: boolean;
  readonly json: boolean;
}

/** Parses the flags after `lock`; throws INPUT_INVALID naming the flag. */
export function parseLockArgs(argv: readonly string[]): LockArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        ...SOURCE_FLAGS,
        check: { type: 'boolean' },
        json: { type: 'boolean' },
      },
    });
  } catch (e) {
    throw new RepoxyError('INPUT_INVALID', `lock: ${(e as Error).message}; see 'repoxy --help'`);
  }
  const v = parsed.values;
  if (!v.lockfile?.length)
    throw new RepoxyError('INPUT_INVALID', 'lock: at least one --lockfile is required');
  if (!v.platform?.length)
    throw new RepoxyError('INPUT_INVALID', 'lock: at least one --platform is required');
  return {
    lockfiles: v.lockfile,
    platforms: v.platform,
    include: v.include ?? [],
    exclude: v.exclude ?? [],
    upstreams: v.upstream ?? [],
    cacheDir: v['cache-dir'],
    check: v.check === true,
    json: v.json === true,
  };
}

/** Runs `repoxy lock`; returns the exit code (1 when --check finds a block lacking something). */
export async function runLock(argv: readonly string[]): Promise<number> {
  const args = parseLockArgs(argv);
  const { check, json, ...rest } = args;
  const result = await lockFiles({ ...rest, cwd: process.cwd(), env: process.env }, check, stderrReporter());
  const incomplete = result.files.filter((f) => f.changes.length > 0);
  if (json) process.stdout.write(`${JSON.stringify(lockJSON(result, check))}\n`);
  else process.stdout.write(check ? checkText(incomplete) : writeText(result));
  process.stderr.write(
    `lock: ${result.files.length} lock file(s), ${result.fetched} archive(s) fetched, ${result.reused} reused, ` +
      `${result.upstreamRequests} upstream request(s), ${result.seconds.toFixed(1)} s\n`,
  );
  return check && incomplete.length > 0 ? 1 : 0;
}

function checkText(incomplete: readonly FileUpdate[]): string {
  const lines = incomplete.flatMap((f) => f.changes.map(describeChange));
  return lines.length ? `${lines.join('\n')}\n` : 'every lock file holds every requested platform\n';
}

function describeChange(c: FileUpdate['changes'][number]): string {
  const what = c.missingPlatforms.length
    ? `lacks ${c.missingPlatforms.join(', ')}`
    : `lacks ${c.added.length} hash(es)`;
  return `${c.path}:${c.line}: ${c.address} ${c.version} ${what}`;
}

function writeText(result: LockResult): string {
  if (result.written.length === 0) return 'every lock file already holds every requested platform\n';
  return `${result.written.map((p) => `updated ${p}`).join('\n')}\n`;
}

function lockJSON(result: LockResult, check: boolean): unknown {
  return {
    check,
    changed: result.files.filter((f) => f.changes.length > 0).map((f) => f.path),
    written: result.written,
    files: result.files.map((f) => ({
      path: f.path,
      changed: f.changes.length > 0,
      blocks: f.changes.map((c) => ({
        line: c.line,
        address: c.address,
        version: c.version,
        missingPlatforms: c.missingPlatforms,
        added: c.added,
      })),
    })),
    fetched: result.fetched,
    reused: result.reused,
    upstreamRequests: result.upstreamRequests,
  };
}
