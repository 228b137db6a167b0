import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { BlockBlobClient } from '@azure/storage-blob';
import { runtimeToken } from '../support/actions-env.ts';
import {
  startActionsBackends,
  stopActionsBackends,
  type ActionsBackends,
} from '../support/actions-harness.ts';

// The results service spoken to directly, the way the libraries' twirp JSON clients speak to it.

let backends: ActionsBackends;
const token = runtimeToken('run-1', 'job-1');

async function rpc(service: string, method: string, body: object, bearer: string | null = token) {
  const url = `${backends.results.url}twirp/github.actions.results.api.v1.${service}/${method}`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (bearer !== null) headers['authorization'] = `Bearer ${bearer}`;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const version = 'a'.repeat(64);

describe('results service stand-in', () => {
  before(async () => {
    backends = await startActionsBackends();
  });

  after(() => stopActionsBackends(backends));

  test('listens on 127.0.0.1 with a trailing-slash base URL', () => {
    assert.match(backends.results.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  test('answers twirp errors: unauthenticated without a token, bad_route for unknown methods', async () => {
    const anonymous = await rpc('CacheService', 'CreateCacheEntry', { key: 'k', version }, null);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.json['code'], 'unauthenticated');
    const unknown = await rpc('CacheService', 'DeleteEverything', {});
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json['code'], 'bad_route');
    const noScope = await rpc('CacheService', 'CreateCacheEntry', { key: 'k', version }, 'e30.e30.');
    assert.equal(noScope.status, 401);
  });

  test('cache: upload URL writes, download URL only reads, and only finalized entries restore', async () => {
    const created = await rpc('CacheService', 'CreateCacheEntry', { key: 'direct', version });
    assert.equal(created.json['ok'], true);
    const uploadUrl = String(created.json['signed_upload_url']);
    assert.ok(uploadUrl.startsWith(`${backends.azurite.blobEndpoint}/`), uploadUrl);

    const missBeforeFinalize = await rpc('CacheService', 'GetCacheEntryDownloadURL', {
      key: 'direct',
      version,
    });
    assert.deepEqual(missBeforeFinalize.json, { ok: false });

    await new BlockBlobClient(uploadUrl).upload('archive bytes', 13);
    const wrongSize = await rpc('CacheService', 'FinalizeCacheEntryUpload', {
      key: 'direct',
      version,
      size_bytes: '5',
    });
    assert.equal(wrongSize.json['ok'], false);
    const finalized = await rpc('CacheService', 'FinalizeCacheEntryUpload', {
      key: 'direct',
      version,
      size_bytes: '13',
    });
    assert.equal(finalized.json['ok'], true);
    assert.match(String(finalized.json['entry_id']), /^\d+$/);

    const otherVersion = await rpc('CacheService', 'GetCacheEntryDownloadURL', {
      key: 'direct',
      version: 'b'.repeat(64),
    });
    assert.deepEqual(otherVersion.json, { ok: false });
    const hit = await rpc('CacheService', 'GetCacheEntryDownloadURL', {
      key: 'dir',
      restore_keys: ['x'],
      version,
    });
    assert.equal(hit.json['matched_key'], 'direct', 'the primary key also matches by prefix');
    const downloadUrl = String(hit.json['signed_download_url']);
    assert.equal(await (await fetch(downloadUrl)).text(), 'archive bytes');
    const overwrite = await fetch(downloadUrl, {
      method: 'PUT',
      headers: { 'x-ms-blob-type': 'BlockBlob' },
      body: 'x',
    });
    assert.equal(overwrite.status, 403, 'a download URL grants no write');
  });

  test('artifacts: a token for one run cannot act on another run', async () => {
    const res = await rpc('ArtifactService', 'CreateArtifact', {
      workflow_run_backend_id: 'run-2',
      workflow_job_run_backend_id: 'job-1',
      name: 'x',
      version: 7,
    });
    assert.equal(res.status, 403);
    assert.equal(res.json['code'], 'permission_denied');
  });

  test('artifacts: finalize checks the uploaded size and sha256', async () => {
    const ids = { workflow_run_backend_id: 'run-1', workflow_job_run_backend_id: 'job-1', name: 'checked' };
    const created = await rpc('ArtifactService', 'CreateArtifact', { ...ids, version: 7 });
    await new BlockBlobClient(String(created.json['signed_upload_url'])).upload('zip', 3);
    const badHash = await rpc('ArtifactService', 'FinalizeArtifact', {
      ...ids,
      size: '3',
      hash: 'sha256:00',
    });
    assert.equal(badHash.status, 400);
    const listedEarly = await rpc('ArtifactService', 'ListArtifacts', { ...ids, name_filter: 'checked' });
    assert.deepEqual(listedEarly.json['artifacts'], [], 'unfinalized artifacts are not listed');
    const realSha = createHash('sha256').update('zip').digest('hex');
    const ok = await rpc('ArtifactService', 'FinalizeArtifact', {
      ...ids,
      size: '3',
      hash: `sha256:${realSha}`,
    });
    assert.equal(ok.json['ok'], true);
    const listed = await rpc('ArtifactService', 'ListArtifacts', {
      ...ids,
      id_filter: ok.json['artifact_id'],
    });
    const [only] = listed.json['artifacts'] as Record<string, unknown>[];
    assert.equal(only?.['name'], 'checked');
    assert.equal(only?.['size'], '3');
    assert.equal(only?.['digest'], `sha256:${realSha}`);
  });

  test('failNext answers the next calls of a method with the given status, then recovers', async () => {
    backends.results.failNext('GetCacheEntryDownloadURL', 429, 2);
    const first = await rpc('CacheService', 'GetCacheEntryDownloadURL', { key: 'none', version });
    const second = await rpc('CacheService', 'GetCacheEntryDownloadURL', { key: 'none', version });
    const third = await rpc('CacheService', 'GetCacheEntryDownloadURL', { key: 'none', version });
    assert.deepEqual([first.status, second.status, third.status], [429, 429, 200]);
    assert.deepEqual(
      backends.results.requests.slice(-3).map((r) => r.status),
      [429, 429, 200],
    );
    assert.deepEqual(backends.results.methodsCalled('CacheService').slice(-3), [
      'GetCacheEntryDownloadURL',
      'GetCacheEntryDownloadURL',
      'GetCacheEntryDownloadURL',
    ]);
    assert.ok(backends.results.methodsCalled('ArtifactService').includes('FinalizeArtifact'));
  });
});
