import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  actionsEnv,
  COMMAND_FILE_VARIABLES,
  parseCommandFile,
  readEnvFile,
  readOutputs,
  readPathAdditions,
  readState,
  readStepSummary,
  runtimeToken,
} from '../support/actions-env.ts';
import { childEnvironment, parseWorkflowCommands, runWithActionsEnv } from '../support/actions-harness.ts';

// No servers here: the env, the command-file readers and the child-process harness.

let scratch: string;
let stepCount = 0;

function newEnv(): Record<string, string> {
  const root = path.join(scratch, `step-${++stepCount}`);
  const results = { url: 'http://127.0.0.1:1/' };
  return actionsEnv({ results, workspace: path.join(root, 'ws'), temp: path.join(root, 'tmp') });
}

describe('actionsEnv and the command files', () => {
  before(() => {
    scratch = realpathSync(mkdtempSync(path.join(tmpdir(), 'repoxy-itg-env-')));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test('sets the results service, cache v2 and a runtime token carrying the backend ids', () => {
    const env = newEnv();
    assert.equal(env['ACTIONS_CACHE_SERVICE_V2'], 'true');
    assert.equal(env['ACTIONS_RESULTS_URL'], 'http://127.0.0.1:1/');
    assert.equal(env['GITHUB_SERVER_URL'], 'https://github.com');
    assert.ok(existsSync(env['GITHUB_WORKSPACE'] ?? '') && existsSync(env['RUNNER_TEMP'] ?? ''));
    const [header, payload, signature] = (env['ACTIONS_RUNTIME_TOKEN'] ?? '').split('.');
    assert.equal(JSON.parse(Buffer.from(header ?? '', 'base64url').toString()).alg, 'none');
    assert.equal(signature, '');
    const scp = String(JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()).scp);
    assert.ok(scp.split(' ').includes('Actions.Results:run-1:job-1'), scp);
    assert.ok(runtimeToken('r', 'j').includes('.'));
    for (const name of COMMAND_FILE_VARIABLES) assert.equal(readFileSync(env[name] ?? '', 'utf8'), '', name);
  });

  test('parseCommandFile reads heredoc blocks and name=value lines; the last value wins', () => {
    const text = 'a<<EOF_1\nline 1\n\nline 3\nEOF_1\nb=plain=value\na<<X\nagain\nX\nempty<<D\nD\n';
    assert.deepEqual(parseCommandFile(text), { a: 'again', b: 'plain=value', empty: '' });
    assert.throws(() => parseCommandFile('a<<EOF\nnever closed\n'), /no closing delimiter EOF/);
  });

  test('@actions/core in a child writes outputs, env, state, path and summary the readers parse', async () => {
    const env = newEnv();
    const code = `
      import * as core from '@actions/core';
      core.setOutput('multi', 'one\\ntwo');
      core.setOutput('flag', true);
      core.exportVariable('EXPORTED', 'x=y');
      core.saveState('phase', 'post');
      core.addPath('/opt/tool/bin');
      await core.summary.addHeading('Mirror').write();
      core.warning('careful, 100%', { file: 'a,b.hcl', startLine: 3 });
    `;
    const result = await runWithActionsEnv({ code }, env);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(readOutputs(env), { multi: 'one\ntwo', flag: 'true' });
    assert.deepEqual(readEnvFile(env), { EXPORTED: 'x=y' });
    assert.deepEqual(readState(env), { phase: 'post' });
    assert.deepEqual(readPathAdditions(env), ['/opt/tool/bin']);
    assert.match(readStepSummary(env), /<h1>Mirror<\/h1>/);
    const [warning] = parseWorkflowCommands(result.stdout).filter((c) => c.command === 'warning');
    assert.deepEqual(warning, {
      command: 'warning',
      properties: { file: 'a,b.hcl', line: '3' },
      message: 'careful, 100%',
    });
  });
});

describe('runWithActionsEnv', () => {
  before(() => {
    scratch = realpathSync(mkdtempSync(path.join(tmpdir(), 'repoxy-itg-harness-')));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test('drops runner variables inherited from an outer job and keeps loopback off any proxy', () => {
    process.env['GITHUB_OUTPUT'] = '/outer/job/output';
    process.env['ACTIONS_RUNTIME_TOKEN'] = 'outer-token';
    try {
      const env = childEnvironment({ GITHUB_WORKSPACE: '/ws' });
      assert.equal(env['GITHUB_OUTPUT'], undefined);
      assert.equal(env['ACTIONS_RUNTIME_TOKEN'], undefined);
      assert.equal(env['GITHUB_WORKSPACE'], '/ws');
      assert.ok(env['NO_PROXY']?.split(',').includes('127.0.0.1'));
      assert.equal(env['PATH'], process.env['PATH']);
    } finally {
      delete process.env['GITHUB_OUTPUT'];
      delete process.env['ACTIONS_RUNTIME_TOKEN'];
    }
  });

  test('code runs in the workspace with the same Node binary, and reports its exit code', async () => {
    const env = newEnv();
    const code = 'console.log(JSON.stringify([process.cwd(), process.execPath])); process.exitCode = 3;';
    const result = await runWithActionsEnv({ code }, env);
    assert.equal(result.code, 3);
    assert.deepEqual(JSON.parse(result.stdout), [env['GITHUB_WORKSPACE'], process.execPath]);
  });

  test('a TypeScript file runs with its arguments', async () => {
    const env = newEnv();
    const file = path.join(scratch, 'script.ts');
    writeFileSync(
      file,
      'const args: string[] = process.argv.slice(2);\nconsole.log(args.join("|"), process.cwd());\n',
    );
    const result = await runWithActionsEnv({ file, args: ['a b', 'c'] }, env);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), `a b|c ${env['GITHUB_WORKSPACE']}`);
  });

  test('a child that outlives its timeout is killed', async () => {
    const started = Date.now();
    const result = await runWithActionsEnv({ code: 'setInterval(() => {}, 1000);' }, newEnv(), {
      timeoutMs: 300,
    });
    assert.equal(result.signal, 'SIGKILL');
    assert.match(result.stderr, /killed PID \d+ after 300 ms/);
    assert.ok(Date.now() - started >= 300);
  });
});
