import { readdir } from 'node:fs/promises';
import { runClient, type Client } from './client.ts';
import { describe } from './process.ts';

/** The peer the benchmark compares against: the client's own `NAME providers mirror`. */
export interface PeerMirrorOptions {
  readonly client: Client;
  /** A root module directory (with its lock file: the peer then mirrors exactly the locked versions). */
  readonly configDir: string;
  /** `os_arch` platforms, each passed as `-platform=`. */
  readonly platforms: readonly string[];
  /** The output directory; must be new or empty, so every archive is downloaded. */
  readonly outDir: string;
  /** The client's whole environment (see clientEnv): CLI configuration, trusted roots, HOME. */
  readonly env: Record<string, string>;
  readonly timeoutMs?: number;
}

/**
 * Runs `NAME providers mirror -platform=... OUT` in `configDir` and returns its wall-clock time.
 * The client always queries the origin registries there (PROTOCOL.md §5.2), so point it at them
 * with `host` blocks in the CLI configuration. Throws with the client's output when it fails, or
 * when `outDir` is not empty beforehand.
 */
export async function runProvidersMirror(options: PeerMirrorOptions): Promise<{ seconds: number }> {
  const existing = await readdir(options.outDir).catch(() => []);
  if (existing.length > 0) throw new Error(`runProvidersMirror: ${options.outDir} is not empty`);
  const args = [
    'providers',
    'mirror',
    '-no-color',
    ...options.platforms.map((p) => `-platform=${p}`),
    options.outDir,
  ];
  const run = await runClient(options.client, args, {
    cwd: options.configDir,
    env: options.env,
    timeoutMs: options.timeoutMs ?? 600_000,
  });
  if (run.code !== 0) {
    throw new Error(`${options.client.name} ${args.join(' ')} failed (exit ${run.code}):\n${describe(run)}`);
  }
  return { seconds: run.seconds };
}
