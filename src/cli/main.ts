import { INPUT_ERROR_CODES, RepoxyError, isRepoxyError } from '../domain/errors.ts';
import { formatDiagnostic } from '../domain/diagnostic.ts';
import { buildMirror, planFromLockFiles, type BuildOptions } from '../engine.ts';
import { silentReporter } from '../events.ts';
import { formatPlanTable, planToJSON } from '../plan/plan.ts';
import { listTokens, redactMessage } from '../upstream/tokens.ts';
import { mirrorBaseUrl, networkMirrorConfig } from '../mirror/client-config.ts';
import { HELP, parseCliArgs, type CliArgs } from './args.ts';
import { runLock } from './lock.ts';
import { formatBytes, stderrReporter } from './render.ts';
import { VERSION } from './version.ts';
import { runPushOci } from './push-oci.ts';

/** Runs the CLI; returns the exit code (0 ok, 1 upstream/verification failure, 2 invalid input). */
export async function main(argv: readonly string[]): Promise<number> {
  const secrets = listTokens(process.env);
  try {
    if (argv[0] === 'push-oci') return await runPushOci(argv.slice(1));
    if (argv[0] === 'lock') return await runLock(argv.slice(1));
    const args = parseCliArgs(argv);
    if (args.command === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
    if (args.command === 'version') {
      process.stdout.write(`repoxy ${VERSION}\n`);
      return 0;
    }
    if (args.lockfiles.length === 0)
      throw new RepoxyError('INPUT_INVALID', 'at least one --lockfile is required');
    return args.command === 'plan' ? await runPlan(args) : await runMirror(args);
  } catch (err) {
    return reportError(err, [...secrets, process.env['REPOXY_OCI_PASSWORD'] ?? '']);
  }
}

function optionsOf(args: CliArgs): BuildOptions {
  return {
    lockfiles: args.lockfiles,
    cwd: process.cwd(),
    platforms: args.platforms,
    include: args.include,
    exclude: args.exclude,
    out: args.out ?? '',
    upstreams: args.upstreams,
    cacheDir: args.cacheDir,
    concurrency: args.concurrency,
    requireAllPlatforms: args.requireAllPlatforms,
    requireSignatures: args.requireSignatures,
    registryView: args.registryView,
    keepDays: args.keepDays,
    ...(args.mirrorUrl ? { previousMirrorUrl: mirrorBaseUrl(args.mirrorUrl) } : {}),
    env: process.env,
  };
}

async function runPlan(args: CliArgs): Promise<number> {
  const plan = await planFromLockFiles(optionsOf(args), args.json ? silentWarnings() : stderrReporter());
  if (plan.providers.length === 0 && (args.include.length > 0 || args.exclude.length > 0)) {
    // The same refusal as `mirror`: an empty selection is a mistake in the patterns, not a plan.
    throw new RepoxyError(
      'PLAN_EMPTY',
      'no provider of the lock files is left after --include/--exclude: check the patterns',
    );
  }
  process.stdout.write(args.json ? `${JSON.stringify(planToJSON(plan))}\n` : formatPlanTable(plan));
  return 0;
}

async function runMirror(args: CliArgs): Promise<number> {
  if (!args.out) throw new RepoxyError('INPUT_INVALID', 'mirror needs --out DIR');
  // Checked before anything is fetched: a bad URL must not cost a build.
  const config = args.mirrorUrl === undefined ? undefined : networkMirrorConfig(args.mirrorUrl);
  if (args.keepDays > 0 && !args.cacheDir && !args.mirrorUrl)
    process.stderr.write(
      'warning: --keep-days needs --cache-dir or --mirror-url to know what a previous build published\n',
    );
  const result = await buildMirror(optionsOf(args), stderrReporter());
  const summary =
    `mirror: ${result.plan.providers.length} provider version(s), ${result.archives.length} archive(s) ` +
    `(${result.fetched} fetched, ${result.reused} reused), ${formatBytes(result.bytes)}, ` +
    `${result.upstreamRequests} upstream request(s), ${result.seconds.toFixed(1)} s → ${result.out}`;
  process.stderr.write(`${summary}\n`);
  if (args.json) {
    const out = {
      out: result.out,
      providers: result.plan.providers.length,
      archives: result.archives.length,
      fetched: result.fetched,
      reused: result.reused,
      bytes: result.bytes,
      upstreamRequests: result.upstreamRequests,
      missing: result.missing.length,
      seconds: result.seconds,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } else {
    const shown =
      config ??
      `# PLACEHOLDER URL: replace it with where you publish ${args.out} (or pass --mirror-url URL)\n` +
        networkMirrorConfig(PLACEHOLDER_MIRROR_URL);
    process.stdout.write(`\nUse it from Terraform or OpenTofu (CLI configuration):\n\n${shown}\n`);
  }
  return 0;
}

/** Printed when no --mirror-url was given; `.invalid` (RFC 2606) can never resolve. */
const PLACEHOLDER_MIRROR_URL = 'https://mirror-url.invalid/replace-me/';

/** With --json, stdout is one document: warnings still go to stderr, the rest is quiet. */
function silentWarnings() {
  const r = stderrReporter();
  return (e: Parameters<typeof r>[0]) =>
    e.type === 'diagnostic' || e.type === 'warning' ? r(e) : silentReporter(e);
}

function reportError(err: unknown, secrets: readonly string[]): number {
  if (isRepoxyError(err)) {
    const lines = err.diagnostics.length
      ? err.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)
      : [`error: ${err.message}`];
    if (err.diagnostics.length) lines.push(`error: ${err.message}`);
    process.stderr.write(`${redactMessage(lines.join('\n'), secrets)}\n`);
    // An --out that is not ours to replace is a problem with the input, not with upstream.
    return INPUT_ERROR_CODES.has(err.code) || err.code === 'OUTPUT_CONFLICT' ? 2 : 1;
  }
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`internal error (please report it): ${redactMessage(text, secrets)}\n`);
  return 1;
}
