/**
 * `npm run bench:oci [-- --quick] [-- --json] [-- --concurrency N]`
 *
 * Builds the benchmark set's mirror with the bundled CLI from the fixture registry, then pushes it with
 * `dist/cli.js push-oci` to a fresh Distribution 2.8 on loopback (TLS), next to the limit: the same
 * blobs uploaded with plain streaming PUTs at the same concurrency to another fresh registry. Then a
 * second push of the same mirror (nothing to upload). With --json the last stdout line is one object.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startOciRegistry, type OciRegistry } from '../test/support/oci-registry.ts';
import { mirrorBlobs, uploadBlobsPlainly } from './lib/oci-limit.ts';
import { cleanEnv, runOurs } from './lib/ours.ts';
import { assertOk, runMeasured, type Measured } from './lib/proc.ts';
import { startBenchRegistry } from './lib/registry.ts';
import { describeMachine, loadAverages } from './lib/report.ts';
import { formatTable, mb, ratio, secs } from './lib/table.ts';
import { PLATFORMS, workload } from './lib/workload.ts';

const CLI = path.resolve(import.meta.dirname, '../dist/cli.js');
const log = (line: string) => process.stderr.write(`${line}\n`);

interface PushFigures {
  readonly run: Measured;
  readonly blobsUploaded: number;
  readonly manifestsPushed: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { quick: { type: 'boolean' }, json: { type: 'boolean' }, concurrency: { type: 'string' } },
  });
  if (!existsSync(CLI)) throw new Error(`${CLI} does not exist: run \`npm run build\` first`);
  const concurrency = Number(values.concurrency ?? '8');
  const machine = describeMachine();
  const dir = await mkdtemp(path.join(tmpdir(), 'repoxy-bench-oci-'));
  const registries: OciRegistry[] = [];
  try {
    const mirror = await buildMirror(values.quick === true, dir);
    const blobs = await mirrorBlobs(mirror);
    const bytes = blobs.reduce((n, b) => n + b.size, 0);
    log(`mirror: ${blobs.length} archives, ${mb(bytes)}; concurrency ${concurrency}`);
    const limitRegistry = await startOciRegistry();
    registries.push(limitRegistry);
    const limit = await uploadBlobsPlainly(limitRegistry.host, limitRegistry.caCertPem, blobs, concurrency);
    log(`limit (plain streaming PUTs): ${secs(limit)}`);
    const ours = await startOciRegistry();
    registries.push(ours);
    const caFile = path.join(dir, 'oci-ca.pem');
    await writeFile(caFile, ours.caCertPem);
    const first = await pushOci(mirror, ours.host, caFile, concurrency, dir);
    log(`push-oci: ${secs(first.run.seconds)} (${first.blobsUploaded} blobs uploaded)`);
    const second = await pushOci(mirror, ours.host, caFile, concurrency, dir);
    log(`second push-oci: ${secs(second.run.seconds)} (${second.blobsUploaded} blobs uploaded)`);
    report(values.json === true, {
      machine,
      archives: blobs.length,
      bytes,
      concurrency,
      limit,
      first,
      second,
    });
  } finally {
    for (const r of registries) await r.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The cold set mirrored by the bundled CLI from the fixture registry (raw, no network model). */
async function buildMirror(quick: boolean, dir: string): Promise<string> {
  const load = workload(quick);
  const registry = await startBenchRegistry(load, path.join(dir, 'registry'), undefined);
  try {
    const out = path.join(dir, 'mirror');
    log('building the mirror of the benchmark set');
    await runOurs({
      cli: CLI,
      nodeArgs: [],
      lockfiles: [registry.coldLock],
      platforms: [...PLATFORMS],
      upstreams: registry.upstreams,
      out,
      cacheDir: path.join(dir, 'store'),
      caFile: registry.caFile,
      timeoutMs: 600_000,
    });
    return out;
  } finally {
    await registry.stop();
  }
}

async function pushOci(
  mirror: string,
  host: string,
  caFile: string,
  concurrency: number,
  dir: string,
): Promise<PushFigures> {
  const template = `${host}/bench/\${hostname}/\${namespace}/\${type}`;
  const args = [
    CLI,
    'push-oci',
    '--mirror',
    mirror,
    '--repository-template',
    template,
    '--concurrency',
    String(concurrency),
    '--json',
  ];
  const run = await runMeasured(process.execPath, args, {
    cwd: dir,
    env: cleanEnv({ NODE_EXTRA_CA_CERTS: caFile, HOME: dir }),
    timeoutMs: 600_000,
    measureRss: true,
  });
  assertOk('repoxy push-oci', run);
  const doc = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, number>;
  return { run, blobsUploaded: doc['blobsUploaded']!, manifestsPushed: doc['manifestsPushed']! };
}

function report(
  json: boolean,
  f: {
    machine: ReturnType<typeof describeMachine>;
    archives: number;
    bytes: number;
    concurrency: number;
    limit: number;
    first: PushFigures;
    second: PushFigures;
  },
): void {
  const vsLimit = f.first.run.seconds / f.limit;
  const rows = [
    ['limit: plain streaming PUTs', secs(f.limit), '1.00×', String(f.archives), 'n/a'],
    [
      'push-oci (cold registry)',
      secs(f.first.run.seconds),
      ratio(vsLimit),
      String(f.first.blobsUploaded),
      rss(f.first.run.peakRssMb),
    ],
    [
      'push-oci again (unchanged)',
      secs(f.second.run.seconds),
      'n/a',
      String(f.second.blobsUploaded),
      rss(f.second.run.peakRssMb),
    ],
  ];
  process.stdout.write(`${formatTable(['run', 'wall', 'vs limit', 'blob uploads', 'peak RSS'], rows)}\n`);
  process.stdout.write(
    `${f.archives} archives, ${mb(f.bytes)}, concurrency ${f.concurrency}; ${f.machine.cpu}, ${f.machine.cores} cores, ` +
      `load before ${f.machine.load_before.join(' ')}, after ${loadAverages().join(' ')}\n`,
  );
  if (json) {
    const summary = {
      archives: f.archives,
      bytes: f.bytes,
      concurrency: f.concurrency,
      limit_seconds: f.limit,
      push_seconds: f.first.run.seconds,
      push_vs_limit: vsLimit,
      push_cpu_seconds: f.first.run.cpuSeconds,
      second_push_seconds: f.second.run.seconds,
      second_push_blob_uploads: f.second.blobsUploaded,
      second_push_manifests: f.second.manifestsPushed,
      machine: f.machine,
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});

function rss(mib: number | null): string {
  return mib === null ? 'n/a' : `${Math.round(mib)} MiB`;
}
