import { spawn } from 'node:child_process';

/** A finished child process. */
export interface ProcessResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

/** Both streams of a finished process, for assertion messages. */
export function describe(run: ProcessResult): string {
  return `--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

/**
 * Spawns `command` and collects its output; kills it by PID after `timeoutMs` (default 120 s).
 * Never rejects for a non-zero exit; rejects only when it cannot be started.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: {
    cwd: string;
    env: NodeJS.ProcessEnv;
    timeoutMs?: number;
    stderrTo?: NodeJS.WritableStream;
  },
): Promise<ProcessResult> {
  const started = performance.now();
  const child = spawn(command, [...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    options.stderrTo?.write(chunk);
  });
  const timeoutMs = options.timeoutMs ?? 120_000;
  const timer = setTimeout(() => {
    stderr += `\n[e2e] killed PID ${child.pid} after ${timeoutMs} ms\n`;
    child.kill('SIGKILL');
  }, timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${command}: ${err.message}`, { cause: err }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}
