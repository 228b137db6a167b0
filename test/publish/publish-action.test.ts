import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BuildResult } from '../../src/engine.ts';
import { actionsEnv, readOutputs } from '../support/actions-env.ts';
import {
  parseWorkflowCommands,
  runWithActionsEnv,
  startActionsBackends,
  stopActionsBackends,
  type ActionsBackends,
} from '../support/actions-harness.ts';
import { startFakeGitHubApi, type FakeGitHubApi } from '../serve/github-api.ts';
import {
  buildFixtureMirror,
  HASHICORP_NULL,
  listTree,
  PRIVATE_THING,
  TOFU_RANDOM,
} from './mirror-fixture.ts';
import { actionInputs, runPublishStep } from './publish-step.ts';
import { readTar } from './tar-reader.ts';

// publishMirror (publish: pages / artifact) with the real @actions/artifact against Azurite and the
// results stand-in, and @actions/github against a local fake of the Pages API.

const TOKEN = 'ghs_publish_test_token';
const DOWNLOAD = `
import { DefaultArtifactClient } from '@actions/artifact';
import * as core from '@actions/core';
const client = new DefaultArtifactClient();
const { artifact } = await client.getArtifact(process.env.ARTIFACT_NAME);
await client.downloadArtifact(artifact.id, { path: process.env.DOWNLOAD_PATH, expectedHash: artifact.digest });
core.setOutput('id', String(artifact.id));
`;

let backends: ActionsBackends;
let api: FakeGitHubApi;
let scratch: string;
let publicMirror: BuildResult;
let step = 0;

function newStep(runBackendId: string, apiUrl?: string) {
  const root = path.join(scratch, `step-${++step}`);
  return actionsEnv({
    results: backends.results,
    workspace: path.join(root, 'ws'),
    temp: path.join(root, 'temp'),
    runBackendId,
    jobBackendId: `job-${step}`,
    ...(apiUrl ? { apiUrl } : {}),
  });
}

describe('publishMirror', () => {
  before(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'repoxy-publish-'));
    backends = await startActionsBackends();
    api = await startFakeGitHubApi({ backends, token: TOKEN, pagesUrl: 'https://owner.github.io/repo' });
    publicMirror = await buildFixtureMirror(path.join(scratch, 'mirror'), path.join(scratch, 'zips'), [
      HASHICORP_NULL,
      TOFU_RANDOM,
    ]);
  });
  after(async () => {
    await api?.stop();
    await stopActionsBackends(backends, scratch);
  });

  test('pages: uploads github-pages holding one artifact.tar of the mirror, and looks up the Pages URL', async () => {
    const env = newStep('run-pages', api.url);
    const inputs = actionInputs({ publish: ['pages'], githubToken: TOKEN });
    const { published, error } = await runPublishStep(env, inputs, publicMirror, scratch);
    assert.equal(error, undefined);
    assert.equal(published?.mirrorUrl, 'https://owner.github.io/repo/');
    const record = backends.results.artifacts.find(
      (a) => a.runBackendId === 'run-pages' && a.name === 'github-pages',
    );
    assert.ok(record?.finalized);
    assert.equal(published?.artifactId, record.id);
    assert.ok(
      api.requests.some((r) => r.line === 'GET /repos/owner/repo/pages' && r.authorization?.endsWith(TOKEN)),
    );
    const create = backends.results.requests.find(
      (r) => r.method === 'CreateArtifact' && r.body['name'] === 'github-pages',
    );
    const expires = Date.parse(String(create?.body['expires_at']));
    assert.ok(
      expires > Date.now() && expires < Date.now() + 2 * 24 * 3600 * 1000,
      'one day of retention by default',
    );

    // What deploy-pages gets: the artifact, unzipped, is exactly one artifact.tar.
    const next = newStep('run-pages');
    const into = path.join(scratch, 'pages-download');
    const got = await runWithActionsEnv(
      { code: DOWNLOAD },
      { ...next, ARTIFACT_NAME: 'github-pages', DOWNLOAD_PATH: into },
    );
    assert.equal(got.code, 0, got.stderr);
    assert.deepEqual(readdirSync(into), ['artifact.tar']);
    const tar = path.join(into, 'artifact.tar');
    const headers = readTar(readFileSync(tar));
    assert.ok(headers.every((h) => h.name.startsWith('./') && (h.typeflag === '0' || h.typeflag === '5')));
    const out = path.join(scratch, 'pages-extracted');
    mkdirSync(out);
    execFileSync('tar', ['-xf', tar, '-C', out]);
    assert.deepEqual(await listTree(out), await listTree(publicMirror.out));
    assert.equal(
      readdirSync(path.join(next['RUNNER_TEMP']!)).filter((n) => n.startsWith('repoxy-pages-')).length,
      0,
    );
  });

  test('pages: a failed Pages lookup is a warning, and the mirror-url input wins when set', async () => {
    const env = newStep('run-pages-nolookup');
    const { child, published, error } = await runPublishStep(
      env,
      actionInputs({ publish: ['pages'], githubToken: TOKEN }),
      publicMirror,
      scratch,
    );
    assert.equal(error, undefined);
    assert.ok(published?.artifactId);
    assert.equal(published?.mirrorUrl, undefined);
    const warnings = parseWorkflowCommands(child.stdout).filter((c) => c.command === 'warning');
    assert.ok(
      warnings.some((w) =>
        /looking up the GitHub Pages URL of owner\/repo failed .*set the mirror-url input/.test(w.message),
      ),
      child.stdout,
    );

    const again = newStep('run-pages-url');
    const withUrl = await runPublishStep(
      again,
      actionInputs({ publish: ['pages'], mirrorUrl: 'https://mirror.example.com/tf' }),
      publicMirror,
      scratch,
    );
    assert.equal(withUrl.published?.mirrorUrl, 'https://mirror.example.com/tf/');
  });

  test('pages: refuses a provider from a private host before uploading anything', async () => {
    const mixed = await buildFixtureMirror(path.join(scratch, 'mixed'), path.join(scratch, 'zips-mixed'), [
      HASHICORP_NULL,
      PRIVATE_THING,
    ]);
    const env = newStep('run-pages-private');
    const { error } = await runPublishStep(env, actionInputs({ publish: ['pages'] }), mixed, scratch);
    assert.match(
      error ?? '',
      /^PUBLISH: refusing to publish 1 provider\(s\) .*tf\.corp\.example\/acme\/thing/,
    );
    assert.equal(
      backends.results.artifacts.some((a) => a.runBackendId === 'run-pages-private'),
      false,
    );

    const allowed = await runPublishStep(
      newStep('run-pages-private-ok'),
      actionInputs({ publish: ['pages'], allowPrivateProviders: true }),
      mixed,
      scratch,
    );
    assert.equal(allowed.error, undefined);
    assert.ok(allowed.published?.artifactId);
  });

  test('artifact: uploads the mirror tree under artifact-name with the retention asked for', async () => {
    const env = newStep('run-artifact');
    const { published, error } = await runPublishStep(
      env,
      actionInputs({ publish: ['artifact'], artifactName: 'my-mirror', retentionDays: 5 }),
      publicMirror,
      scratch,
    );
    assert.equal(error, undefined);
    const record = backends.results.artifacts.find(
      (a) => a.runBackendId === 'run-artifact' && a.name === 'my-mirror',
    );
    assert.equal(published?.artifactId, record?.id);
    const create = backends.results.requests.find(
      (r) => r.method === 'CreateArtifact' && r.body['name'] === 'my-mirror',
    );
    const days = (Date.parse(String(create?.body['expires_at'])) - Date.now()) / (24 * 3600 * 1000);
    assert.ok(days > 4.9 && days <= 5, `retention ${days} days`);

    const next = newStep('run-artifact');
    const into = path.join(scratch, 'artifact-download');
    const got = await runWithActionsEnv(
      { code: DOWNLOAD },
      { ...next, ARTIFACT_NAME: 'my-mirror', DOWNLOAD_PATH: into },
    );
    assert.equal(got.code, 0, got.stderr);
    assert.equal(readOutputs(next)['id'], String(record?.id));
    assert.deepEqual(await listTree(into), await listTree(publicMirror.out));
    assert.deepEqual(readFileSync(path.join(into, '.nojekyll')), Buffer.alloc(0));
  });
});
