/**
 * Runs a fixture registry as its own process (for the benchmark, the demo and e2e tests):
 *   node --import tsx test/support/fixture-registry-main.ts [spec.json]
 * The spec is a CliSpec (fixture-registry/cli-spec.ts); without one it serves DEFAULT_PROVIDERS.
 * Prints one JSON line when ready:
 *   {"origin","pid","upstreams":["HOST=URL",...],"caCertFile":path|null,"secondOrigin","keyId","lockFiles"}
 * and runs until SIGTERM or SIGINT, then closes the servers and removes its temp files.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFixtureRegistry } from './fixture-registry.ts';
import { applyCliSpec, registryOptions, type CliSpec } from './fixture-registry/cli-spec.ts';

async function main(specPath: string | undefined): Promise<void> {
  const spec = specPath ? (JSON.parse(await readFile(specPath, 'utf8')) as CliSpec) : {};
  const registry = await startFixtureRegistry(registryOptions(spec));
  const tempDir = await mkdtemp(path.join(tmpdir(), 'repoxy-fixture-registry-'));
  let caCertFile: string | null = null;
  if (registry.caCertPem) {
    caCertFile = path.join(tempDir, 'ca.pem');
    await writeFile(caCertFile, registry.caCertPem);
  }
  const lockFiles = await applyCliSpec(registry, spec);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await registry.close();
    await rm(tempDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  const ready = {
    origin: registry.origin,
    pid: process.pid,
    upstreams: registry.upstreamArgs(),
    caCertFile,
    secondOrigin: registry.secondOrigin ?? null,
    keyId: registry.keyId,
    lockFiles,
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

main(process.argv[2]).catch((err: unknown) => {
  process.stderr.write(`fixture-registry: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
