import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { actionsEnv, readOutputs } from '../support/actions-env.ts';
import {
  runWithActionsEnv,
  startActionsBackends,
  stopActionsBackends,
  type ActionsBackends,
} from '../support/actions-harness.ts';
import { seedBytes } from '../support/seeded.ts';

// The real @actions/artifact (v4 results service) against Azurite + the in-repo results service.

const UPLOAD = `
import { DefaultArtifactClient } from '@actions/artifact';
import * as core from '@actions/core';
const client = new DefaultArtifactClient();
const files = JSON.parse(process.env.UPLOAD_FILES);
const result = await client.uploadArtifact(process.env.ARTIFACT_NAME, files, process.env.UPLOAD_ROOT, { retentionDays: 3 });
core.setOutput('id', String(result.id));
core.setOutput('size', String(result.size));
core.setOutput('digest', result.digest);
`;

const DOWNLOAD = `
import { DefaultArtifactClient } from '@actions/artifact';
import * as core from '@actions/core';
const client = new DefaultArtifactClient();
try {
  const { artifact } = await client.getArtifact(process.env.ARTIFACT_NAME);
  core.setOutput('id', String(artifact.id));
  core.setOutput('digest', artifact.digest ?? '');
  const { downloadPath, digestMismatch } = await client.downloadArtifact(artifact.id, {
    path: process.env.DOWNLOAD_PATH,
    expectedHash: artifact.digest,
  });
  core.setOutput('download-path', downloadPath);
  core.setOutput('digest-mismatch', String(digestMismatch));
} catch (err) {
  core.setOutput('error', err.name + ': ' + err.message);
}
`;

const LIST_AND_DELETE = `
import { DefaultArtifactClient } from '@actions/artifact';
import * as core from '@actions/core';
const client = new DefaultArtifactClient();
const listed = await client.listArtifacts();
core.setOutput('listed', JSON.stringify(listed.artifacts.map((a) => a.name).sort()));
const deleted = await client.deleteArtifact(process.env.ARTIFACT_NAME);
core.setOutput('deleted-id', String(deleted.id));
`;

let backends: ActionsBackends;
let scratch: string;
let stepCount = 0;

function newStep(ids: { runBackendId?: string; jobBackendId?: string } = {}) {
  const root = path.join(scratch, `step-${++stepCount}`);
  const workspace = path.join(root, 'workspace');
  return {
    env: actionsEnv({ results: backends.results, workspace, temp: path.join(root, 'temp'), ...ids }),
    workspace,
  };
}

/** Runs a script; asserts the child exited 0 and returns its outputs. */
async function run(code: string, env: Record<string, string>): Promise<Record<string, string>> {
  const result = await runWithActionsEnv({ code }, env);
  assert.equal(result.code, 0, `child failed:\n${result.stderr}\n${result.stdout}`);
  return readOutputs(env);
}

const tree: Record<string, Buffer> = {
  'index.json': Buffer.from('{"versions":{}}\n'),
  'registry.example/ns/type/1.0.0.json': Buffer.from('{"archives":{}}\n'),
  'registry.example/ns/type/pkg_1.0.0_linux_amd64.zip': Buffer.concat([
    seedBytes('art', '1'),
    Buffer.alloc(300_000, 3),
  ]),
  'deep/a/b/c/empty.txt': Buffer.alloc(0),
};

/** Writes the tree under `<workspace>/site` and uploads it as `name` from a step of run-1/job-1. */
async function uploadTree(name: string) {
  const step = newStep();
  const root = path.join(step.workspace, 'site');
  const files = Object.entries(tree).map(([rel, content]) => {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    return file;
  });
  const env = { ...step.env, ARTIFACT_NAME: name, UPLOAD_ROOT: root, UPLOAD_FILES: JSON.stringify(files) };
  return runWithActionsEnv({ code: UPLOAD }, env).then((result) => ({
    result,
    outputs: readOutputs(step.env),
  }));
}

function listTree(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? listTree(path.join(dir, entry.name), `${prefix}${entry.name}/`)
      : [`${prefix}${entry.name}`],
  );
}

describe('@actions/artifact against Azurite and the results service', () => {
  before(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'repoxy-itg-artifact-'));
    backends = await startActionsBackends();
  });

  after(() => stopActionsBackends(backends, scratch));

  test('uploadArtifact, then getArtifact + downloadArtifact in another job, round-trips the tree', async () => {
    const first = backends.results.requests.length;
    const uploaded = await uploadTree('mirror');
    assert.equal(uploaded.result.code, 0, uploaded.result.stderr + uploaded.result.stdout);
    assert.match(uploaded.outputs['id'] ?? '', /^[1-9]\d*$/);
    assert.match(uploaded.outputs['digest'] ?? '', /^[0-9a-f]{64}$/);

    const step = newStep({ jobBackendId: 'job-2' });
    const into = path.join(step.workspace, 'downloaded');
    const got = await run(DOWNLOAD, { ...step.env, ARTIFACT_NAME: 'mirror', DOWNLOAD_PATH: into });
    assert.equal(got['error'], undefined);
    assert.equal(got['id'], uploaded.outputs['id']);
    assert.equal(got['digest'], `sha256:${uploaded.outputs['digest']}`);
    assert.equal(got['digest-mismatch'], 'false');
    assert.deepEqual(listTree(into).sort(), Object.keys(tree).sort());
    for (const [rel, content] of Object.entries(tree)) {
      assert.deepEqual(readFileSync(path.join(into, rel)), content, rel);
    }

    const calls = backends.results.requests.slice(first);
    const methods = [
      'CreateArtifact',
      'FinalizeArtifact',
      'ListArtifacts',
      'ListArtifacts',
      'GetSignedArtifactURL',
    ];
    assert.deepEqual(
      calls.map((c) => c.method),
      methods,
    );
    const [create, finalize, byName, byId] = calls;
    assert.equal(create?.body['workflow_run_backend_id'], 'run-1');
    assert.equal(create?.body['workflow_job_run_backend_id'], 'job-1');
    assert.equal(create?.body['mime_type'], 'application/zip');
    assert.ok(
      Date.parse(String(create?.body['expires_at'])) > Date.now() + 2 * 24 * 3600 * 1000,
      'retention sent',
    );
    assert.equal(finalize?.body['size'], uploaded.outputs['size']);
    assert.equal(finalize?.body['hash'], `sha256:${uploaded.outputs['digest']}`);
    assert.equal(byName?.body['name_filter'], 'mirror');
    assert.equal(byId?.body['id_filter'], uploaded.outputs['id']);
    assert.equal(byId?.body['workflow_job_run_backend_id'], 'job-2');
  });

  test('a second upload of the same name in the run is refused', async () => {
    assert.equal((await uploadTree('twice')).result.code, 0);
    const again = await uploadTree('twice');
    assert.notEqual(again.result.code, 0);
    assert.match(again.result.stderr + again.result.stdout, /already exists on the workflow run/);
    assert.equal(backends.results.artifacts.filter((a) => a.name === 'twice').length, 1);
  });

  test('another workflow run does not see the artifact', async () => {
    assert.equal((await uploadTree('run-scoped')).result.code, 0);
    const step = newStep({ runBackendId: 'run-2', jobBackendId: 'job-9' });
    const got = await run(DOWNLOAD, {
      ...step.env,
      ARTIFACT_NAME: 'run-scoped',
      DOWNLOAD_PATH: step.workspace,
    });
    assert.match(got['error'] ?? '', /^ArtifactNotFoundError: Artifact not found for name: run-scoped/);
  });

  test('listArtifacts lists the run and deleteArtifact removes the artifact and its blob', async () => {
    assert.equal((await uploadTree('doomed')).result.code, 0);
    const record = backends.results.artifacts.find((a) => a.name === 'doomed');
    assert.ok(record);
    const step = newStep();
    const out = await run(LIST_AND_DELETE, { ...step.env, ARTIFACT_NAME: 'doomed' });
    assert.ok((JSON.parse(out['listed'] ?? '[]') as string[]).includes('doomed'));
    assert.equal(out['deleted-id'], String(record.id));
    assert.equal(
      backends.results.artifacts.some((a) => a.name === 'doomed'),
      false,
    );
    const { azurite, results } = backends;
    const credential = new StorageSharedKeyCredential(azurite.accountName, azurite.accountKey);
    const blob = new BlobServiceClient(azurite.blobEndpoint, credential)
      .getContainerClient(results.containerName)
      .getBlobClient(record.blobName);
    assert.equal(await blob.exists(), false, 'blob deleted from Azurite');
  });

  test('skipArchive uploads one file as is; download saves it under its own name', async () => {
    const step = newStep();
    const file = path.join(step.workspace, 'site.tar');
    const bytes = Buffer.concat([seedBytes('tar', '1'), Buffer.alloc(10_000, 1)]);
    mkdirSync(step.workspace, { recursive: true });
    writeFileSync(file, bytes);
    const upload = `
      import { DefaultArtifactClient } from '@actions/artifact';
      const root = process.env.GITHUB_WORKSPACE;
      await new DefaultArtifactClient().uploadArtifact('ignored', [root + '/site.tar'], root, { skipArchive: true });
    `;
    await run(upload, step.env);
    const record = backends.results.artifacts.find((a) => a.name === 'site.tar');
    assert.equal(record?.mimeType, 'application/x-tar');

    const next = newStep({ jobBackendId: 'job-3' });
    const into = path.join(next.workspace, 'got');
    const got = await run(DOWNLOAD, { ...next.env, ARTIFACT_NAME: 'site.tar', DOWNLOAD_PATH: into });
    assert.equal(got['error'], undefined);
    assert.deepEqual(listTree(into), ['site.tar']);
    assert.deepEqual(readFileSync(path.join(into, 'site.tar')), bytes);
  });
});
