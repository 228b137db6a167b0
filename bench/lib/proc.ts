import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { collectChildOutput } from '../../test/support/child-output.ts';

/** What one measured child process did. */
export interface Measured {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time from spawn to exit, seconds (process start-up included). */
  readonly seconds: number;
  /** Peak resident set size, MiB (GNU time's "Maximum resident set size"); null when unmeasured. */
  readonly peakRssMb: number | null;
  /** User + system CPU seconds of the process (GNU time); null when unmeasured. */
  readonly cpuSeconds: number | null;
}

const GNU_TIME = '/usr/bin/time';
const HAS_GNU_TIME = existsSync(GNU_TIME);

/**
 * Runs `command args` to completion, timing it; with `measureRss`, under `/usr/bin/time -v` to read
 * its peak RSS (time's own report is stripped from stderr). Kills it by PID after `timeoutMs`.
 */
export function runMeasured(
  command: string,
  args: readonly string[],
  options: {
    cwd: string;
    env: NodeJS.ProcessEnv;
    timeoutMs: number;
    measureRss?: boolean;
    /** Called with each stderr line and the seconds since spawn when it arrived. */
    onStderrLine?: (line: string, seconds: number) => void;
  },
): Promise<Measured> {
  const viaTime = options.measureRss === true && HAS_GNU_TIME;
  const [bin, argv] = viaTime ? [GNU_TIME, ['-v', command, ...args]] : [command, [...args]];
  const started = performance.now();
  const child = spawn(bin, argv, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let partial = '';
  const output = collectChildOutput(child, {
    timeoutMs: options.timeoutMs,
    label: 'bench',
    onStderr: (chunk) => {
      if (!options.onStderrLine) return;
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      const at = (performance.now() - started) / 1000;
      for (const line of lines) options.onStderrLine(line, at);
    },
  });
  return output.then(
    ({ code, stdout, stderr }) => {
      const seconds = (performance.now() - started) / 1000;
      const report = viaTime ? splitTimeReport(stderr) : { rest: stderr, peakRssMb: null, cpuSeconds: null };
      return { code, stdout, seconds, ...report, stderr: report.rest };
    },
    (err: Error) => {
      throw new Error(`cannot start ${command}: ${err.message}`, { cause: err });
    },
  );
}

/** GNU time -v appends its report to stderr, starting with a "Command being timed:" line. */
function splitTimeReport(stderr: string): {
  rest: string;
  peakRssMb: number | null;
  cpuSeconds: number | null;
} {
  const at = stderr.lastIndexOf('\tCommand being timed:');
  const report = at >= 0 ? stderr.slice(at) : '';
  const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(report)?.[1];
  const user = /User time \(seconds\): ([\d.]+)/.exec(report)?.[1];
  const sys = /System time \(seconds\): ([\d.]+)/.exec(report)?.[1];
  return {
    rest: at >= 0 ? stderr.slice(0, at) : stderr,
    peakRssMb: kb ? Number(kb) / 1024 : null,
    cpuSeconds: user && sys ? Number(user) + Number(sys) : null,
  };
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Throws with the process output when it did not exit 0. */
export function assertOk(what: string, run: Measured): void {
  if (run.code !== 0) {
    throw new Error(
      `${what} failed (exit ${String(run.code)}):\n--- stdout\n${run.stdout.slice(-4000)}\n--- stderr\n${run.stderr.slice(-4000)}`,
    );
  }
}

/** User + system CPU seconds a live process has used so far (Linux /proc); null elsewhere. */
export function processCpuSeconds(pid: number, statFile = `/proc/${pid}/stat`): number | null {
  try {
    const stat = readFileSync(statFile, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat(5) (utime, stime), counted after the command name: indexes 11, 12.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** sysconf(_SC_CLK_TCK): 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

/** CPU seconds this process's main (JS) thread has used so far (Linux); null elsewhere. */
export function mainThreadCpuSeconds(): number | null {
  return processCpuSeconds(process.pid, `/proc/self/task/${process.pid}/stat`);
}
