import path from 'node:path';
import { parseArgs } from 'node:util';
import { nodeArgsFor } from './ours.ts';

/** The flags of `npm run bench`. */
export interface BenchArgs {
  readonly quick: boolean;
  readonly json: boolean;
  /** Network model: delay before every response, milliseconds. */
  readonly latencyMs: number;
  /** Network model: throughput of one connection, megabytes (10^6 bytes) per second. */
  readonly mbps: number;
  /** Limit and cold-build repetitions (median reported). */
  readonly runs: number;
  readonly peer: boolean;
  readonly raw: boolean;
  /** The CLI script to measure (default: the bundled dist/cli.js). */
  readonly cli: string;
  /** `node` flags before the script: `--import tsx` when the script is TypeScript. */
  readonly nodeArgs: readonly string[];
  readonly concurrency: number | undefined;
}

const REPO = path.resolve(import.meta.dirname, '../..');

/** Parses argv; throws with a message naming the flag. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values: v } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean' },
      json: { type: 'boolean' },
      'latency-ms': { type: 'string' },
      mbps: { type: 'string' },
      runs: { type: 'string' },
      'no-peer': { type: 'boolean' },
      'no-raw': { type: 'boolean' },
      cli: { type: 'string' },
      concurrency: { type: 'string' },
    },
  });
  const quick = v.quick === true;
  const cli = path.resolve(REPO, v.cli ?? 'dist/cli.js');
  return {
    quick,
    json: v.json === true,
    latencyMs: numberFlag('--latency-ms', v['latency-ms'] ?? '50', 0),
    mbps: numberFlag('--mbps', v.mbps ?? '30', 0.001),
    runs: Math.round(numberFlag('--runs', v.runs ?? (quick ? '1' : '3'), 1)),
    peer: v['no-peer'] !== true,
    raw: v['no-raw'] !== true,
    cli,
    nodeArgs: nodeArgsFor(cli),
    concurrency:
      v.concurrency === undefined ? undefined : Math.round(numberFlag('--concurrency', v.concurrency, 1)),
  };
}

function numberFlag(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min) throw new Error(`${flag} must be a number >= ${min}, got "${text}"`);
  return n;
}
