import type { ChildProcess } from 'node:child_process';

/** How a child process ended, and everything it wrote. */
export interface ChildOutput {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Collects the output of `child` (spawned with piped stdout and stderr) until it closes; kills it by
 * its PID after `timeoutMs`, noting that in stderr as `[label] killed PID …`. Never rejects for an exit
 * code; rejects only when the child cannot be started.
 */
export function collectChildOutput(
  child: ChildProcess,
  options: { timeoutMs: number; label: string; onStderr?: (chunk: Buffer) => void },
): Promise<ChildOutput> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    options.onStderr?.(chunk);
  });
  const timer = setTimeout(() => {
    stderr += `\n[${options.label}] killed PID ${child.pid} after ${options.timeoutMs} ms\n`;
    child.kill('SIGKILL');
  }, options.timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
