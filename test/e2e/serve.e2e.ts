import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { actionsEnv, readEnvFile, readOutputs, readState } from '../support/actions-env.ts';
import { DIST_SERVE_ACTION, runActionBundle } from './support/build.ts';
import { assertInstalledEverything, assertLockKept } from './support/checks.ts';
import { selectClients } from './support/client.ts';
import { describe as output } from './support/process.ts';
import { publishMirror } from './support/published.ts';
import { initWith, startWorld, type World } from './support/world.ts';

/**
 * Issue 7, step 3: `NAME init` with exactly the configuration the bundled serve action
 * (dist/serve/index.js, issue 5) writes and exports, in both of its modes.
 */
for (const kind of selectClients()) {
  describe(`${kind.id} init with the configuration the serve action writes`, () => {
    let world: World;
    let mirrorDir: string;
    const serverPids: number[] = [];
    before(async () => {
      if (!existsSync(DIST_SERVE_ACTION)) {
        throw new Error(
          'dist/serve/index.js is missing: the serve action (issue 5) is not built yet, so its configuration ' +
            'cannot be checked with the real client; run `npm run build` once src/serve/action/ is complete',
        );
      }
      world = await startWorld(kind);
      mirrorDir = await publishMirror(world);
    });
    after(async () => {
      for (const pid of serverPids) if (isRunning(pid)) process.kill(pid, 'SIGTERM');
      await world?.close();
    });

    /** The serve action's main step on `mirrorDir`; returns its step environment (for outputs, state, exports). */
    async function serveStep(mode: 'filesystem' | 'network'): Promise<Record<string, string>> {
      const workspace = await world.tempDir('serve-workspace');
      const env = {
        ...actionsEnv({
          results: { url: 'http://127.0.0.1:9' },
          workspace,
          temp: await world.tempDir('runner-temp'),
        }),
        'INPUT_MIRROR-DIR': mirrorDir,
        INPUT_MODE: mode,
      };
      const run = await runActionBundle(DIST_SERVE_ACTION, env);
      const pid = Number(readState(env)['server-pid']);
      if (Number.isInteger(pid) && pid > 0) serverPids.push(pid);
      assert.equal(run.code, 0, output(run));
      return env;
    }

    it('filesystem mode: the exported TF_CLI_CONFIG_FILE installs everything and keeps the lock file', async () => {
      const env = await serveStep('filesystem');
      const exported = readEnvFile(env);
      const outputs = readOutputs(env);
      assert.equal(exported['TF_CLI_CONFIG_FILE'], outputs['cli-config']);
      assert.match(await readFile(exported['TF_CLI_CONFIG_FILE']!, 'utf8'), /filesystem_mirror/);
      world.registry.resetRequests();
      const init = await initWith(
        world,
        { cliConfigFile: exported['TF_CLI_CONFIG_FILE']! },
        { lockText: world.lockText },
      );
      await assertInstalledEverything(world, init);
      assertLockKept(world.lockText, init.lockAfter);
      assert.deepEqual(world.registry.requests, []);
    });

    it('network mode: the local HTTPS mirror, trusted through the exported SSL_CERT_FILE, until the post step stops it', async () => {
      const env = await serveStep('network');
      const exported = readEnvFile(env);
      const outputs = readOutputs(env);
      assert.match(outputs['mirror-url'] ?? '', /^https:\/\/127\.0\.0\.1:\d+\/$/);
      const config = await readFile(exported['TF_CLI_CONFIG_FILE']!, 'utf8');
      assert.ok(config.includes(`url = "${outputs['mirror-url']}"`), config);
      world.registry.resetRequests();
      const client = { cliConfigFile: exported['TF_CLI_CONFIG_FILE']!, caFile: exported['SSL_CERT_FILE'] };
      assert.ok(client.caFile, 'network mode exports SSL_CERT_FILE');
      const init = await initWith(world, client, { lockText: world.lockText });
      await assertInstalledEverything(world, init);
      assertLockKept(world.lockText, init.lockAfter);
      assert.deepEqual(world.registry.requests, []);

      const state = readState(env);
      const pid = Number(state['server-pid']);
      assert.ok(isRunning(pid), `the server (PID ${pid}) outlived the main step`);
      const postEnv: Record<string, string> = { ...env };
      for (const [name, value] of Object.entries(state)) postEnv[`STATE_${name}`] = value;
      const post = await runActionBundle(DIST_SERVE_ACTION, postEnv);
      assert.equal(post.code, 0, output(post));
      await waitUntil(() => !isRunning(pid), 10_000);
      assert.ok(!isRunning(pid), `the post step left the server (PID ${pid}) running`);
    });
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}
