import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { parse as parseHcl } from '@cdktf/hcl2json';
import { Agent, request } from 'undici';
import type { BuildResult } from '../../src/engine.ts';
import { verifyMirrorDir } from '../../src/publish/verify-mirror.ts';
import { readServerState } from '../../src/serve/server-main.ts';
import { isServerRunning } from '../../src/serve/server-process.ts';
import { readEnvFile, readOutputs, readState } from '../support/actions-env.ts';
import { parseWorkflowCommands, runWithActionsEnv } from '../support/actions-harness.ts';
import { buildFixtureMirror, HASHICORP_NULL, listTree, TOFU_RANDOM } from '../publish/mirror-fixture.ts';
import { actionInputs, runPublishStep } from '../publish/publish-step.ts';
import type { FakeGitHubApi } from './github-api.ts';
import { SERVE_ENTRY, startServeHarness, TOKEN, type ServeHarness } from './serve-harness.ts';

const PROVIDERS = ['registry.opentofu.org/hashicorp/random', 'registry.terraform.io/hashicorp/null'];

let harness: ServeHarness;
let api: FakeGitHubApi;
let scratch: string;
let pristine: BuildResult;
const serverPids: number[] = [];
const newStep = (jobBackendId: string, runBackendId?: string) => harness.newStep(jobBackendId, runBackendId);
const serve = (env: Record<string, string>, inputs: Record<string, string>) => harness.serve(env, inputs);

async function installation(configFile: string): Promise<Record<string, unknown[]>> {
  const json = (await parseHcl('repoxy.tfrc', readFileSync(configFile, 'utf8'))) as {
    provider_installation: Record<string, unknown[]>[];
  };
  assert.equal(json.provider_installation.length, 1);
  return json.provider_installation[0]!;
}

describe('the serve action', () => {
  before(async () => {
    harness = await startServeHarness();
    ({ api, scratch } = harness);
    pristine = await buildFixtureMirror(path.join(scratch, 'mirror'), path.join(scratch, 'zips'), [
      HASHICORP_NULL,
      TOFU_RANDOM,
    ]);
    const published = await runPublishStep(
      newStep('job-build'),
      actionInputs({ publish: ['artifact'], retentionDays: 1 }),
      pristine,
      scratch,
    );
    assert.equal(published.error, undefined);
    assert.ok(published.published?.artifactId);
  });
  after(async () => {
    for (const pid of serverPids) if (isServerRunning(pid)) process.kill(pid, 'SIGKILL');
    await harness?.stop();
  });

  test('filesystem mode: downloads the artifact, verifies it, exports TF_CLI_CONFIG_FILE for it', async () => {
    const env = newStep('job-consume');
    const child = await serve(env, { 'artifact-name': 'terraform-provider-mirror' });
    assert.equal(child.code, 0, child.stdout + child.stderr);
    const outputs = readOutputs(env);
    const exported = readEnvFile(env);
    const mirrorDir = path.join(env['RUNNER_TEMP']!, 'provider-mirror');
    assert.equal(outputs['mirror-dir'], mirrorDir);
    assert.equal(exported['TF_CLI_CONFIG_FILE'], outputs['cli-config']);
    assert.equal(exported['SSL_CERT_FILE'], undefined);
    assert.equal(outputs['mirror-url'], undefined);
    assert.deepEqual(await installation(outputs['cli-config']!), {
      filesystem_mirror: [{ path: mirrorDir, include: PROVIDERS }],
    });
    const report = await verifyMirrorDir(mirrorDir);
    assert.deepEqual(report.problems, []);
    assert.equal(report.archives, 3);
    assert.deepEqual(await listTree(mirrorDir), await listTree(pristine.out));
    assert.match(child.stdout, /Verified 3 archive\(s\) .* of 2 version\(s\) of 2 provider\(s\)/);
    assert.deepEqual(readState(env), { isPost: 'true' });
  });

  test('network mode: a detached HTTPS server answers over TLS trusting only its CA, and the post step stops it', async () => {
    const env = newStep('job-network');
    const child = await serve(env, { mode: 'network', 'mirror-dir': pristine.out, 'allow-direct': 'true' });
    assert.equal(child.code, 0, child.stdout + child.stderr);
    const outputs = readOutputs(env);
    const exported = readEnvFile(env);
    const state = readState(env);
    const pid = Number(state['server-pid']);
    serverPids.push(pid);
    const server = await readServerState(state['server-state-file']!);
    assert.equal(server?.pid, pid);
    assert.equal(isServerRunning(pid), true, 'the server outlives the step');
    assert.match(outputs['mirror-url'] ?? '', /^https:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(server.url, outputs['mirror-url']);
    assert.equal(outputs['mirror-dir'], pristine.out);
    assert.deepEqual(await installation(exported['TF_CLI_CONFIG_FILE']!), {
      network_mirror: [{ url: outputs['mirror-url'], include: PROVIDERS }],
      direct: [{ exclude: PROVIDERS }],
    });
    assert.match(
      child.stdout,
      new RegExp(
        `runs until this action's post step stops it when the job ends \\(or stop it sooner: kill ${pid}\\)`,
      ),
    );

    const onlyOurs = new Agent({ connect: { ca: server.caCertPem } });
    const bundle = new Agent({ connect: { ca: readFileSync(exported['SSL_CERT_FILE']!, 'utf8') } });
    try {
      const res = await request(new URL('registry.terraform.io/hashicorp/null/index.json', server.url), {
        dispatcher: onlyOurs,
      });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'application/json');
      assert.deepEqual(await res.body.json(), { versions: { '3.2.1': {} } });
      const viaBundle = await request(
        new URL('registry.opentofu.org/hashicorp/random/3.6.0.json', server.url),
        { dispatcher: bundle },
      );
      assert.equal(viaBundle.statusCode, 200);
      await viaBundle.body.dump();
    } finally {
      await onlyOurs.close();
      await bundle.close();
    }

    const postEnv = {
      ...env,
      ...Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v])),
    };
    const post = await runWithActionsEnv({ file: SERVE_ENTRY }, postEnv);
    assert.equal(post.code, 0, post.stdout + post.stderr);
    assert.match(post.stdout, new RegExp(`Stopped the mirror server \\(PID ${pid}\\)`));
    for (let i = 0; i < 100 && isServerRunning(pid); i++) await sleep(50);
    assert.equal(isServerRunning(pid), false, `server PID ${pid} still running`);
    assert.equal(
      existsSync(state['server-state-file']!),
      false,
      'the server removes its state file when it stops',
    );
  });

  test('another run: finds the artifact through the API with run-id and github-token', async () => {
    const env = newStep('job-other', 'run-2');
    const child = await serve(env, { 'run-id': '1', 'github-token': TOKEN, path: 'from-run-1' });
    assert.equal(child.code, 0, child.stdout + child.stderr);
    const mirrorDir = path.join(env['GITHUB_WORKSPACE']!, 'from-run-1');
    assert.equal(readOutputs(env)['mirror-dir'], mirrorDir);
    assert.deepEqual((await verifyMirrorDir(mirrorDir)).problems, []);
    const lines = api.requests.map((r) => r.line);
    assert.ok(
      lines.includes('GET /repos/owner/repo/actions/runs/1/artifacts?name=terraform-provider-mirror'),
      lines.join('\n'),
    );
    assert.ok(lines.some((l) => /^GET \/repos\/owner\/repo\/actions\/artifacts\/\d+\/zip$/.test(l)));
    assert.ok(api.requests.every((r) => r.authorization?.endsWith(TOKEN)));
    assert.ok(
      parseWorkflowCommands(child.stdout).some((c) => c.command === 'add-mask' && c.message === TOKEN),
      'the token is masked',
    );
    const unmasked = child.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::'));
    assert.ok(!unmasked.join('\n').includes(TOKEN), 'the token is printed nowhere else');
  });

  test('a tampered archive fails the step, names the archive, and exports nothing', async () => {
    const tampered = path.join(scratch, 'tampered');
    cpSync(pristine.out, tampered, { recursive: true });
    const zip = path.join(
      tampered,
      'registry.opentofu.org/hashicorp/random/terraform-provider-random_3.6.0_linux_amd64.zip',
    );
    const bytes = readFileSync(zip);
    bytes[bytes.length - 30] = bytes[bytes.length - 30]! ^ 0x01;
    writeFileSync(zip, bytes);
    const upload = await runPublishStep(
      newStep('job-build-tampered'),
      actionInputs({ publish: ['artifact'], artifactName: 'tampered' }),
      { ...pristine, out: tampered },
      scratch,
    );
    assert.equal(upload.error, undefined);

    const env = newStep('job-consume-tampered');
    const child = await serve(env, { 'artifact-name': 'tampered' });
    assert.equal(child.code, 1);
    const failure = parseWorkflowCommands(child.stdout).find((c) => c.command === 'error');
    assert.match(
      failure?.message ?? '',
      /^\[SERVE\] the mirror in .* failed verification \(1 problem\(s\)\); refusing to serve it:/,
    );
    assert.match(
      failure?.message ?? '',
      /terraform-provider-random_3\.6\.0_linux_amd64\.zip: is zh:[0-9a-f]{64}, but its VERSION\.json lists/,
    );
    assert.deepEqual(readEnvFile(env), {});
    assert.deepEqual(readOutputs(env), {});
  });

  test('a missing artifact fails with the name, where it looked and what to do', async () => {
    const env = newStep('job-missing');
    const child = await serve(env, { 'artifact-name': 'no-such-mirror' });
    assert.equal(child.code, 1);
    const failure = parseWorkflowCommands(child.stdout).find((c) => c.command === 'error');
    assert.match(
      failure?.message ?? '',
      /^\[SERVE\] artifact "no-such-mirror" not found in this workflow run .*publish: artifact/,
    );
  });

  test('invalid inputs are refused with the input name', async () => {
    const env = newStep('job-bad-input');
    const child = await serve(env, { mode: 'webdav' });
    assert.equal(child.code, 1);
    assert.match(
      child.stdout,
      /::error::\[INPUT_INVALID\] input "mode" must be filesystem or network, got "webdav"/,
    );
    const noToken = await serve(newStep('job-bad-input-2'), { 'run-id': '7' });
    assert.match(noToken.stdout, /input "github-token" is needed with "run-id"/);
  });
});
