import { spawn } from 'node:child_process';
import { collectChildOutput, type ChildOutput } from '../../support/child-output.ts';

/** A finished child process. */
export interface ProcessResult extends ChildOutput {
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
  const output = collectChildOutput(child, {
    timeoutMs: options.timeoutMs ?? 120_000,
    label: 'e2e',
    onStderr: (chunk) => options.stderrTo?.write(chunk),
  });
  return output.then(
    (out) => ({ ...out, seconds: (performance.now() - started) / 1000 }),
    (err: Error) => {
      throw new Error(`cannot start ${command}: ${err.message}`, { cause: err });
    },
  );
}
