/**
 * `npm run bench:plan [-- --json] [-- --runs N] [-- --no-cli]`: plans 500 lock files holding 1000
 * provider blocks (a synthetic monorepo written to a temp dir) and prints how long it takes:
 * readLockFiles + buildPlan in process (median of N runs), and the bundled CLI as a child process.
 * With --json, the last stdout line is one JSON object.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatPlanBench, runPlanBench } from './lib/plan-bench.ts';

const CLI = path.resolve(import.meta.dirname, '../dist/cli.js');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean' },
      runs: { type: 'string' },
      files: { type: 'string' },
      blocks: { type: 'string' },
      'no-cli': { type: 'boolean' },
    },
  });
  const runs = Number(values.runs ?? 7);
  const files = Number(values.files ?? 500);
  const blocks = Number(values.blocks ?? 1000);
  for (const [flag, n] of Object.entries({ runs, files, blocks })) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a whole number >= 1`);
  }
  const cli = values['no-cli'] || !existsSync(CLI) ? undefined : CLI;
  const result = await runPlanBench({ files, blocks: Math.max(blocks, files), runs, cli });
  process.stdout.write(`Planning benchmark (node ${process.version})\n\n${formatPlanBench(result)}\n`);
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:plan: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
