import { existsSync } from 'node:fs';
import path from 'node:path';
import { actionsEnv, readOutputs } from '../../support/actions-env.ts';
import { childEnvironment } from '../../support/actions-harness.ts';
import { runProcess, type ProcessResult } from './process.ts';
import { PLATFORMS, type World } from './world.ts';

/** Builds the mirror with what users run: the bundled CLI (dist/cli.js) and action (dist/index.js). */

const repoRoot = path.resolve(import.meta.dirname, '../../..');
export const DIST_CLI = path.join(repoRoot, 'dist/cli.js');
export const DIST_ACTION = path.join(repoRoot, 'dist/index.js');
export const DIST_SERVE_ACTION = path.join(repoRoot, 'dist/serve/index.js');

/** Throws when a bundle is missing, naming the command that makes it. */
export function requireBundle(file: string): string {
  if (!existsSync(file)) {
    throw new Error(`${path.relative(repoRoot, file)} is missing: run \`npm run build\` first`);
  }
  return file;
}

/** `node dist/cli.js mirror` for PLATFORMS against the fixture registry (its CA trusted by Node). */
export function mirrorWithCli(
  world: World,
  options: { lockfiles: readonly string[]; out: string; cacheDir?: string; extraArgs?: readonly string[] },
): Promise<ProcessResult> {
  const args = [
    requireBundle(DIST_CLI),
    'mirror',
    ...options.lockfiles.flatMap((l) => ['--lockfile', l]),
    '--out',
    options.out,
    ...PLATFORMS.flatMap((p) => ['--platform', p]),
    ...world.registry.upstreamArgs().flatMap((u) => ['--upstream', u]),
    ...(options.cacheDir ? ['--cache-dir', options.cacheDir] : []),
    ...(options.extraArgs ?? []),
  ];
  return runProcess(process.execPath, args, {
    cwd: world.root,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: world.registryCaFile },
  });
}

export interface ActionRun {
  readonly run: ProcessResult;
  readonly outputs: Record<string, string>;
}

/**
 * Runs a bundled action step (`node BUNDLE`, as the runner does) in `env`'s workspace, with
 * runner variables of this process dropped and loopback kept off any proxy.
 */
export function runActionBundle(bundle: string, env: Record<string, string>): Promise<ProcessResult> {
  return runProcess(process.execPath, [requireBundle(bundle)], {
    cwd: env['GITHUB_WORKSPACE'] ?? repoRoot,
    env: childEnvironment(env),
  });
}

/**
 * `node dist/index.js` as a runner starts it, with INPUT_* for PLATFORMS, the fixture registry as
 * upstream, no cache and no publishing. `lockfiles` and `output` are relative to `workspace`.
 */
export async function mirrorWithAction(
  world: World,
  options: { workspace: string; lockfiles: string; output: string },
): Promise<ActionRun> {
  const env = {
    ...actionsEnv({
      results: { url: 'http://127.0.0.1:9' },
      workspace: options.workspace,
      temp: path.join(options.workspace, '..', `${path.basename(options.workspace)}-runner-temp`),
    }),
    INPUT_LOCKFILES: options.lockfiles,
    INPUT_PLATFORMS: PLATFORMS.join('\n'),
    INPUT_OUTPUT: options.output,
    INPUT_UPSTREAMS: world.registry.upstreamArgs().join('\n'),
    INPUT_CACHE: 'false',
    INPUT_PUBLISH: 'none',
    NODE_EXTRA_CA_CERTS: world.registryCaFile,
  };
  const run = await runActionBundle(DIST_ACTION, env);
  return { run, outputs: readOutputs(env) };
}
