import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** The ready line fixture-registry-main.ts prints. */
export interface FixtureRegistryProcessInfo {
  origin: string;
  pid: number;
  upstreams: string[];
  caCertFile: string | null;
  secondOrigin: string | null;
  keyId: string;
  lockFiles: string[];
}

export interface FixtureRegistryProcess extends FixtureRegistryProcessInfo {
  readonly child: ChildProcess;
  /** SIGTERM by PID, then waits for the exit. */
  stop(): Promise<void>;
}

const MAIN = path.resolve(import.meta.dirname, '../fixture-registry-main.ts');

/**
 * Starts fixture-registry-main.ts as a child process (same Node binary, tsx loader) and resolves
 * with its ready line. Rejects when it exits first, with its stderr.
 */
export async function spawnFixtureRegistry(specPath?: string): Promise<FixtureRegistryProcess> {
  const args = ['--import', import.meta.resolve('tsx'), MAIN, ...(specPath ? [specPath] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`fixture registry process exited (${String(code)}) before it was ready:\n${stderr}`);
  });
  const lines = createInterface({ input: child.stdout! });
  const firstLine = once(lines, 'line').then(
    ([line]) => JSON.parse(line as string) as FixtureRegistryProcessInfo,
  );
  const info = await Promise.race([firstLine, exited]);
  exited.catch(() => undefined);
  return {
    ...info,
    child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = once(child, 'exit');
      process.kill(info.pid, 'SIGTERM');
      await done;
    },
  };
}
