import path from 'node:path';
import { assertOk, runMeasured } from './proc.ts';

/** One `repoxy mirror --json` run as a child process. */
export interface OurRun {
  /** Wall time of the process, start-up included. */
  readonly seconds: number;
  /** What the CLI itself reported (`seconds` in its JSON). */
  readonly internalSeconds: number;
  readonly upstreamRequests: number;
  readonly bytes: number;
  readonly archives: number;
  readonly fetched: number;
  readonly reused: number;
  readonly peakRssMb: number | null;
  /** User + system CPU seconds of the build process. */
  readonly cpuSeconds: number | null;
  /** Seconds after spawn when the CLI printed its first / last archive line (fetched or reused). */
  readonly firstArchiveAt: number | null;
  readonly lastArchiveAt: number | null;
}

export interface OurRunOptions {
  /** The bundled CLI (dist/cli.js) or any script `node` can run with the same flags. */
  readonly cli: string;
  /** Extra `node` flags before the script (e.g. `--import tsx` for a TypeScript entry). */
  readonly nodeArgs: readonly string[];
  readonly lockfiles: readonly string[];
  readonly platforms: readonly string[];
  readonly upstreams: readonly string[];
  readonly out: string;
  readonly cacheDir: string;
  /** The registry's CA (NODE_EXTRA_CA_CERTS). */
  readonly caFile: string;
  readonly concurrency?: number;
  readonly timeoutMs: number;
}

/** Runs our mirror build under `/usr/bin/time -v` and returns its figures; throws when it fails. */
export async function runOurs(o: OurRunOptions): Promise<OurRun> {
  const args = [
    ...o.nodeArgs,
    o.cli,
    'mirror',
    ...o.lockfiles.flatMap((f) => ['--lockfile', f]),
    ...o.platforms.flatMap((p) => ['--platform', p]),
    ...o.upstreams.flatMap((u) => ['--upstream', u]),
    '--out',
    o.out,
    '--cache-dir',
    o.cacheDir,
    ...(o.concurrency ? ['--concurrency', String(o.concurrency)] : []),
    '--json',
  ];
  const archiveLines: number[] = [];
  const run = await runMeasured(process.execPath, args, {
    cwd: path.dirname(o.out),
    env: cleanEnv({ NODE_EXTRA_CA_CERTS: o.caFile }),
    timeoutMs: o.timeoutMs,
    measureRss: true,
    onStderrLine: (line, at) => {
      if (/^(fetched|reused) /.test(line)) archiveLines.push(at);
    },
  });
  assertOk('repoxy mirror', run);
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  const doc = JSON.parse(last) as Record<string, number>;
  return {
    seconds: run.seconds,
    internalSeconds: doc['seconds']!,
    upstreamRequests: doc['upstreamRequests']!,
    bytes: doc['bytes']!,
    archives: doc['archives']!,
    fetched: doc['fetched']!,
    reused: doc['reused']!,
    peakRssMb: run.peakRssMb,
    cpuSeconds: run.cpuSeconds,
    firstArchiveAt: archiveLines[0] ?? null,
    lastArchiveAt: archiveLines.at(-1) ?? null,
  };
}

/** `node` flags to run `cli`: tsx's loader (resolved from here, any cwd) for a TypeScript entry. */
export function nodeArgsFor(cli: string): string[] {
  return cli.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
}

/** This process's environment without proxies or tokens, plus `extra`. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const dropped = /^(TF_TOKEN_|HTTPS?_PROXY$|NO_PROXY$|ALL_PROXY$|NODE_TEST_CONTEXT$)/i;
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!dropped.test(k)) env[k] = v;
  return { ...env, ...extra };
}
