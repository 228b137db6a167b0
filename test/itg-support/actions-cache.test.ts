import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { actionsEnv, readOutputs } from '../support/actions-env.ts';
import {
  parseWorkflowCommands,
  runWithActionsEnv,
  startActionsBackends,
  stopActionsBackends,
  type ActionsBackends,
  type ChildResult,
} from '../support/actions-harness.ts';
import { seedBytes } from '../support/seeded.ts';

// The real @actions/cache (v2 service) against Azurite + the in-repo results service.

const SAVE = `
import * as cache from '@actions/cache';
import * as core from '@actions/core';
const id = await cache.saveCache(JSON.parse(process.env.CACHE_PATHS), process.env.CACHE_KEY);
core.setOutput('cache-id', String(id));
`;

const RESTORE = `
import * as cache from '@actions/cache';
import * as core from '@actions/core';
const restoreKeys = JSON.parse(process.env.RESTORE_KEYS ?? '[]');
const key = await cache.restoreCache(JSON.parse(process.env.CACHE_PATHS), process.env.CACHE_KEY, restoreKeys);
core.setOutput('matched-key', key ?? '');
`;

let backends: ActionsBackends;
let scratch: string;
let stepCount = 0;

/** A fresh runner step: its own workspace and RUNNER_TEMP, as a new job would have. */
function newStep(): { env: Record<string, string>; workspace: string } {
  const root = path.join(scratch, `step-${++stepCount}`);
  const workspace = path.join(root, 'workspace');
  const env = actionsEnv({ results: backends.results, workspace, temp: path.join(root, 'temp') });
  return { env, workspace };
}

function writeStore(workspace: string, files: Record<string, string | Buffer>): void {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(workspace, 'store', name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

function assertSucceeded(result: ChildResult): void {
  assert.equal(result.code, 0, `child failed:\n${result.stderr}\n${result.stdout}`);
}

async function save(
  key: string,
  files: Record<string, string | Buffer>,
): Promise<{ id: string; result: ChildResult }> {
  const step = newStep();
  writeStore(step.workspace, files);
  const env = { ...step.env, CACHE_KEY: key, CACHE_PATHS: JSON.stringify(['store']) };
  const result = await runWithActionsEnv({ code: SAVE }, env);
  assertSucceeded(result);
  return { id: readOutputs(step.env)['cache-id'] ?? '', result };
}

async function restore(key: string, restoreKeys: string[] = [], paths = ['store']) {
  const step = newStep();
  const env = {
    ...step.env,
    CACHE_KEY: key,
    CACHE_PATHS: JSON.stringify(paths),
    RESTORE_KEYS: JSON.stringify(restoreKeys),
  };
  const result = await runWithActionsEnv({ code: RESTORE }, env);
  assertSucceeded(result);
  return { matchedKey: readOutputs(step.env)['matched-key'], workspace: step.workspace, result };
}

function readStore(workspace: string, name: string): Buffer {
  return readFileSync(path.join(workspace, 'store', name));
}

describe('@actions/cache against Azurite and the results service', () => {
  before(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'repoxy-itg-cache-'));
    backends = await startActionsBackends();
  });

  after(() => stopActionsBackends(backends, scratch));

  test('saveCache then restoreCache in a fresh workspace round-trips files and directories', async () => {
    const binary = Buffer.concat([seedBytes('cache', 'a'), seedBytes('cache', 'b'), Buffer.alloc(70_000, 7)]);
    const files = { 'top.txt': 'hello\n', 'deep/er/bin.dat': binary, 'deep/empty': '' };
    const before = backends.results.requests.length;
    const saved = await save('roundtrip-1', files);
    assert.match(saved.id, /^[1-9]\d*$/);
    const entry = backends.results.caches.find((e) => e.key === 'roundtrip-1');
    assert.ok(entry?.finalized && (entry.sizeBytes ?? 0) > 0, 'entry finalized with its archive size');
    assert.equal(String(entry.id), saved.id);

    const restored = await restore('roundtrip-1');
    assert.equal(restored.matchedKey, 'roundtrip-1');
    assert.equal(readStore(restored.workspace, 'top.txt').toString(), 'hello\n');
    assert.deepEqual(readStore(restored.workspace, 'deep/er/bin.dat'), binary);
    assert.equal(readStore(restored.workspace, 'deep/empty').length, 0);

    const calls = backends.results.requests.slice(before);
    assert.deepEqual(
      calls.map((c) => c.method),
      ['CreateCacheEntry', 'FinalizeCacheEntryUpload', 'GetCacheEntryDownloadURL'],
    );
    assert.equal(calls[0]?.body['key'], 'roundtrip-1');
    assert.match(String(calls[0]?.body['version']), /^[0-9a-f]{64}$/);
    assert.equal(calls[1]?.body['size_bytes'], String(entry.sizeBytes));
  });

  test('a restore key matches by prefix and picks the newest matching entry', async () => {
    await save('deps-linux-aaa', { 'which.txt': 'older' });
    await save('deps-linux-bbb', { 'which.txt': 'newer' });
    await save('deps-darwin-ccc', { 'which.txt': 'other os' });

    const restored = await restore('deps-linux-zzz', ['deps-windows-', 'deps-linux-']);
    assert.equal(restored.matchedKey, 'deps-linux-bbb');
    assert.equal(readStore(restored.workspace, 'which.txt').toString(), 'newer');
    assert.deepEqual(backends.results.requests.at(-1)?.body['restore_keys'], [
      'deps-windows-',
      'deps-linux-',
    ]);
  });

  test('an exact key wins over newer prefix matches', async () => {
    await save('exact-1', { 'which.txt': 'exact' });
    await save('exact-10', { 'which.txt': 'longer key, newer' });
    const restored = await restore('exact-1');
    assert.equal(restored.matchedKey, 'exact-1');
    assert.equal(readStore(restored.workspace, 'which.txt').toString(), 'exact');
  });

  test('a miss returns undefined, and other paths mean another cache version', async () => {
    await save('versioned', { 'a.txt': 'a' });
    assert.equal((await restore('absent-key', ['absent-'])).matchedKey, '');
    const otherPaths = await restore('versioned', [], ['elsewhere']);
    assert.equal(otherPaths.matchedKey, '');
  });

  test('saving the same key twice does not fail the step: returns -1 and warns', async () => {
    await save('twice', { 'a.txt': 'first' });
    const second = await save('twice', { 'a.txt': 'second' });
    assert.equal(second.id, '-1');
    const warnings = parseWorkflowCommands(second.result.stdout).filter((c) => c.command === 'warning');
    assert.ok(
      warnings.some((w) => w.message.includes('already exists')),
      `expected a reservation warning, got:\n${second.result.stdout}`,
    );
    assert.equal(backends.results.caches.filter((e) => e.key === 'twice').length, 1);
    assert.equal(readStore((await restore('twice')).workspace, 'a.txt').toString(), 'first');
  });
});
