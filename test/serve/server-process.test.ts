import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { Agent, request } from 'undici';
import { isRepoxyError } from '../../src/domain/errors.ts';
import { parseServerArgv, readServerState, serverArgv } from '../../src/serve/server-main.ts';
import { isServerRunning, startDetachedServer, stopServer } from '../../src/serve/server-process.ts';
import { buildFixtureMirror } from '../publish/mirror-fixture.ts';

// The detached server as the serve action starts it: its own entry file re-run in server mode.
const entry = {
  script: path.resolve(import.meta.dirname, '../../src/serve/action/index.ts'),
  execArgv: ['--import', import.meta.resolve('tsx')],
};

let scratch: string;
let mirror: string;
const started: number[] = [];

async function waitUntilStopped(pid: number): Promise<void> {
  for (let i = 0; i < 200 && isServerRunning(pid); i++) await sleep(25);
}

describe('the detached mirror server', () => {
  before(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'repoxy-server-process-'));
    mirror = path.join(scratch, 'mirror');
    await buildFixtureMirror(mirror, path.join(scratch, 'zips'));
  });
  after(() => {
    for (const pid of started) if (isServerRunning(pid)) process.kill(pid, 'SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
  });

  test('server argv round-trips', () => {
    const args = { root: mirror, stateFile: path.join(scratch, 's.json'), port: 0 };
    assert.deepEqual(parseServerArgv(serverArgv(args)), args);
    assert.throws(() => parseServerArgv(['--serve-mirror']), /--serve-mirror needs a value/);
  });

  test('starts, writes its state once listening, serves, and stops on SIGTERM by the PID in its state file', async () => {
    const stateFile = path.join(scratch, 'ok.json');
    const state = await startDetachedServer(entry, {
      root: mirror,
      stateFile,
      port: 0,
      logFile: path.join(scratch, 'ok.log'),
      env: process.env,
    });
    started.push(state.pid);
    assert.notEqual(state.pid, process.pid);
    assert.deepEqual(await readServerState(stateFile), state);
    const agent = new Agent({ connect: { ca: state.caCertPem } });
    try {
      const res = await request(new URL('registry.terraform.io/hashicorp/null/3.2.1.json', state.url), {
        dispatcher: agent,
      });
      assert.equal(res.headers['content-type'], 'application/json');
      assert.ok(((await res.body.json()) as { archives: object }).archives);
    } finally {
      await agent.close();
    }
    const fromFile = (await readServerState(stateFile))!.pid;
    assert.equal(stopServer(fromFile), true);
    await waitUntilStopped(fromFile);
    assert.equal(isServerRunning(fromFile), false);
    assert.equal(existsSync(stateFile), false);
    assert.equal(stopServer(fromFile), false, 'a second stop finds nothing to stop');
  });

  test('a server that cannot start fails with SERVE and its log', async () => {
    const logFile = path.join(scratch, 'bad.log');
    await assert.rejects(
      startDetachedServer(entry, {
        root: path.join(scratch, 'missing'),
        stateFile: path.join(scratch, 'bad.json'),
        port: 0,
        logFile,
        env: process.env,
      }),
      (err: unknown) => {
        assert.ok(isRepoxyError(err));
        assert.equal(err.code, 'SERVE');
        assert.match(err.message, /the mirror server exited with status 1; its log/);
        assert.match(err.message, /cannot serve .*missing/);
        return true;
      },
    );
  });
});
