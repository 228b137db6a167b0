/** `npm run bench:cache`: only the action's cache-path figures (see lib/cache-bench.ts); needs `npm run build`. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatCacheBench, runCacheBench } from './lib/cache-bench.ts';

const dir = await mkdtemp(path.join(tmpdir(), 'repoxy-cache-bench-'));
try {
  const runs = await runCacheBench(dir, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(
    `Cache path (bundled action, real @actions/cache against Azurite):\n\n${formatCacheBench(runs)}\n`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
