import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as core from '@actions/core';
import { RepoxyError } from '../../domain/errors.ts';
import {
  describeMirrorProblems,
  verifyMirrorDir,
  type MirrorVerification,
} from '../../publish/verify-mirror.ts';
import { writeTrustBundle } from '../certificate.ts';
import { filesystemMirrorConfig, networkMirrorConfig } from '../../mirror/client-config.ts';
import { startDetachedServer, stopServer, type ServerEntry } from '../server-process.ts';
import { readServerState } from '../server-main.ts';
import { CA_BUNDLE_VARIABLE, CLI_CONFIG_VARIABLE, ServeOutputs, ServeState } from './constants.ts';
import type { LockAnchors } from '../../publish/lock-anchor.ts';
import { assertRunNotFromFork, readLockAnchors } from './anchors.ts';
import { downloadMirrorArtifact } from './download.ts';
import { writeServeSummary } from './summary.ts';
import { getServeInputs, type ServeActionInputs } from './inputs.ts';

/**
 * The serve action: read the lock files → refuse a fork's run → get the mirror (artifact or
 * directory) → verify every archive, against the lock files too (fail closed) →
 * (network mode) start the local HTTPS server → write the CLI configuration → export it.
 */
export async function run(entry: ServerEntry): Promise<void> {
  const inputs = getServeInputs();
  const anchors = await readLockAnchors(inputs.lockfiles, inputs.workspace);
  const origin = inputs.origin;
  if (origin.kind === 'artifact' && origin.otherRun)
    await assertRunNotFromFork(origin.otherRun, inputs.allowForkArtifacts);
  const dir = origin.kind === 'directory' ? origin.dir : await downloadMirrorArtifact(origin);
  const report = await core.group('Verify the mirror', () => verifyMirror(dir, anchors));
  await writeServeSummary(report, inputs.lockfiles);
  const work = await mkdtemp(path.join(process.env['RUNNER_TEMP'] ?? os.tmpdir(), 'repoxy-serve-'));
  const include = [...report.providers];
  let config: string;
  if (inputs.mode === 'network') {
    const url = await startNetworkMirror(entry, dir, work);
    config = networkMirrorConfig(url, { include, allowDirect: inputs.allowDirect });
    core.setOutput(ServeOutputs.MirrorUrl, url);
  } else {
    config = filesystemMirrorConfig(dir, { include, allowDirect: inputs.allowDirect });
  }
  const configFile = path.join(work, 'repoxy.tfrc');
  await writeFile(configFile, config, { mode: 0o644 });
  exportCliConfig(configFile, config, inputs);
  core.setOutput(ServeOutputs.MirrorDir, dir);
  core.setOutput(ServeOutputs.CliConfig, configFile);
}

/**
 * Verifies `dir` (see verify-mirror.ts) against its own VERSION.json files and the consuming job's lock
 * files (the trust anchor: an artifact is not one); throws SERVE listing every problem.
 */
async function verifyMirror(dir: string, anchors: LockAnchors): Promise<MirrorVerification> {
  const report = await verifyMirrorDir(dir, { anchors });
  if (report.problems.length) {
    throw new RepoxyError(
      'SERVE',
      `the mirror in ${dir} failed verification (${report.problems.length} problem(s)); refusing to serve it:\n${describeMirrorProblems(report)}`,
    );
  }
  core.info(
    `Verified ${report.archives} archive(s) (${report.archiveBytes} bytes) of ${report.versions} version(s) ` +
      `of ${report.providers.length} provider(s) in ${dir} against their VERSION.json hashes; ` +
      `${report.archives - report.unanchored.length} also against the lock files`,
  );
  if (report.unanchored.length) {
    core.warning(
      `${report.unanchored.length} archive(s) of versions no lock file locks (checked only against the ` +
        `artifact's own hashes): ${report.unanchored.join(', ')}`,
    );
  }
  return report;
}

/** Starts the detached server, exports the CA bundle, saves its PID for the post step. Returns the URL. */
async function startNetworkMirror(entry: ServerEntry, dir: string, work: string): Promise<string> {
  const stateFile = path.join(work, 'server.json');
  const state = await startDetachedServer(entry, {
    root: dir,
    stateFile,
    port: 0,
    logFile: path.join(work, 'server.log'),
    env: process.env,
  });
  const bundle = path.join(work, 'ca-bundle.pem');
  const { base } = await writeTrustBundle(bundle, state.caCertPem, process.env);
  if (!base)
    core.warning(
      `no system CA bundle found; ${CA_BUNDLE_VARIABLE} trusts only the local mirror, so other HTTPS may fail in later steps`,
    );
  core.exportVariable(CA_BUNDLE_VARIABLE, bundle);
  core.saveState(ServeState.ServerPid, String(state.pid));
  core.saveState(ServeState.ServerStateFile, stateFile);
  core.info(
    `Serving ${dir} at ${state.url} (PID ${state.pid}). ${CA_BUNDLE_VARIABLE}=${bundle} makes Terraform and OpenTofu ` +
      `(Go, Linux) trust its certificate, on top of ${base ?? 'no other roots'}. The server runs until this ` +
      `action's post step stops it when the job ends (or stop it sooner: kill ${state.pid}).`,
  );
  return state.url;
}

function exportCliConfig(file: string, config: string, inputs: ServeActionInputs): void {
  const previous = process.env[CLI_CONFIG_VARIABLE];
  if (previous && previous !== file)
    core.warning(`${CLI_CONFIG_VARIABLE} was ${previous}; later steps use ${file} instead`);
  core.exportVariable(CLI_CONFIG_VARIABLE, file);
  const fallback = inputs.allowDirect
    ? 'other providers still come from their registries'
    : 'no provider comes from anywhere else';
  core.info(`${CLI_CONFIG_VARIABLE}=${file} (${inputs.mode} mirror; ${fallback}):\n${config}`);
}

/**
 * The post step: stops the server the main step started. Only a PID its state file still names is
 * signalled (the server removes that file when it stops), so a reused PID is never hit.
 */
export async function post(): Promise<void> {
  const pid = Number(core.getState(ServeState.ServerPid));
  const stateFile = core.getState(ServeState.ServerStateFile);
  if (!Number.isInteger(pid) || pid <= 0 || !stateFile) return;
  const state = await readServerState(stateFile).catch(() => undefined);
  if (state?.pid !== pid) {
    core.info(`The mirror server (PID ${pid}) had already stopped`);
    return;
  }
  core.info(
    stopServer(pid)
      ? `Stopped the mirror server (PID ${pid})`
      : `The mirror server (PID ${pid}) had already stopped`,
  );
}
