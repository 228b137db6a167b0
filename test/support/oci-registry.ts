import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { generateTestCertificates } from './tls.ts';

/** Debian's CNCF Distribution 2.8 (`apt-get install docker-registry`), as `.ci/run` installs it. */
export const DOCKER_REGISTRY_BIN = process.env['DOCKER_REGISTRY_BIN'] ?? '/usr/bin/docker-registry';

/** How the registry authenticates pushes and pulls. */
export type OciRegistryAuth =
  | { readonly kind: 'none' }
  | { readonly kind: 'htpasswd'; readonly username: string; readonly password: string }
  | {
      readonly kind: 'token';
      readonly realm: string;
      readonly service: string;
      readonly issuer: string;
      /** PEM certificate whose key signs the tokens. */
      readonly signingCertPem: string;
    };

export interface OciRegistry {
  /** `127.0.0.1:PORT`: the registry part of a repository template. */
  readonly host: string;
  /** The test CA (PEM) that signed the registry's certificate; trust it to connect. */
  readonly caCertPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly pid: number;
  /** Everything the registry wrote to stderr so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts Distribution 2.8 on 127.0.0.1 with TLS from a fresh test CA, its own YAML config and storage
 * under a temp dir, and `auth`. Resolves once `/v2/` answers; `stop()` kills it by its PID and
 * removes the temp dir.
 */
export async function startOciRegistry(auth: OciRegistryAuth = { kind: 'none' }): Promise<OciRegistry> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'repoxy-oci-registry-'));
  const certs = await generateTestCertificates();
  await writeFile(path.join(dir, 'cert.pem'), certs.certPem);
  await writeFile(path.join(dir, 'key.pem'), certs.keyPem);
  const port = await freePort();
  await writeFile(path.join(dir, 'config.yml'), await configYaml(dir, port, auth));
  const child = spawn(DOCKER_REGISTRY_BIN, ['serve', path.join(dir, 'config.yml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
  const host = `127.0.0.1:${port}`;
  const stop = () => stopChild(child, dir);
  try {
    await waitUntilServing(host, certs.caCertPem, child, () => log);
  } catch (err) {
    await stop();
    throw err;
  }
  return { host, ...certs, pid: child.pid!, log: () => log, stop };
}

async function configYaml(dir: string, port: number, auth: OciRegistryAuth): Promise<string> {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${path.join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  secret: repoxy-test-secret',
    '  tls:',
    `    certificate: ${path.join(dir, 'cert.pem')}`,
    `    key: ${path.join(dir, 'key.pem')}`,
  ];
  if (auth.kind === 'htpasswd') {
    await writeFile(path.join(dir, 'htpasswd'), htpasswdLine(auth.username, auth.password));
    lines.push('auth:', '  htpasswd:', '    realm: repoxy-test', `    path: ${path.join(dir, 'htpasswd')}`);
  }
  if (auth.kind === 'token') {
    await writeFile(path.join(dir, 'token-ca.pem'), auth.signingCertPem);
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${auth.realm}`,
      `    service: ${auth.service}`,
      `    issuer: ${auth.issuer}`,
      `    rootcertbundle: ${path.join(dir, 'token-ca.pem')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A bcrypt htpasswd line from Apache's `htpasswd -nbB` (Distribution 2.8 accepts bcrypt only). */
function htpasswdLine(username: string, password: string): string {
  const run = spawnSync('htpasswd', ['-nbB', username, password], { encoding: 'utf8' });
  if (run.status !== 0) {
    throw new Error(
      `htpasswd -nbB failed (apt-get install apache2-utils): ${run.error?.message ?? run.stderr}`,
    );
  }
  return `${run.stdout.trim()}\n`;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitUntilServing(
  host: string,
  ca: string,
  child: ChildProcess,
  log: () => string,
): Promise<void> {
  const dispatcher = new Agent({ connect: { ca } });
  try {
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) throw new Error(`docker-registry exited ${child.exitCode}:\n${log()}`);
      try {
        const res = await request(`https://${host}/v2/`, { dispatcher });
        await res.body.dump();
        return;
      } catch {
        await sleep(100);
      }
    }
    throw new Error(`docker-registry did not answer on ${host} within 10 s:\n${log()}`);
  } finally {
    await dispatcher.close();
  }
}

async function stopChild(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const closed = new Promise((resolve) => child.once('close', resolve));
    process.kill(child.pid!, 'SIGTERM');
    await Promise.race([closed, sleep(5000)]);
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
  }
  await rm(dir, { recursive: true, force: true });
}
