import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  ALL_CLIENTS,
  resolveClient,
  selectClients,
  TERRAFORM,
  TERRAFORM_1_8,
  TOFU,
  type ClientKind,
} from './support/client.ts';
import { runProcess, type ProcessResult } from './support/process.ts';

/** The real clients are there, or the suite fails: never skipped, locally or under CI=true. */
for (const kind of selectClients()) {
  describe(`${kind.id}: the real ${kind.product} client`, () => {
    it(`is found through ${kind.binVariable} or built by ${kind.buildScript}, and prints its version`, async () => {
      const client = await resolveClient(kind);
      assert.equal(client.version, `${kind.product} ${kind.tag}`);
      assert.ok(path.isAbsolute(client.bin));
    });

    it(`a ${kind.binVariable} that is not a binary fails the run instead of skipping it`, async () => {
      const run = await resolveInChild(kind, {
        ...process.env,
        CI: 'true',
        [kind.binVariable]: `/nonexistent/${kind.name}`,
      });
      assert.notEqual(run.code, 0);
      assert.match(
        run.stderr,
        new RegExp(`/nonexistent/${kind.name} \\(from ${kind.binVariable}\\) is not an executable file`),
      );
    });

    it(`a ${kind.product} client that cannot be built (no Go, empty tool cache) fails the run under CI=true`, async () => {
      const tools = await mkdtemp(path.join(tmpdir(), 'repoxy-e2e-no-tools-'));
      try {
        const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', REPOXY_TOOLS_DIR: tools };
        delete env[kind.binVariable];
        env['PATH'] = '/usr/bin:/bin';
        const run = await resolveInChild(kind, env);
        assert.notEqual(run.code, 0);
        assert.match(
          run.stderr,
          new RegExp(`cannot build the ${kind.product} ${kind.tag} client with ${kind.buildScript}`),
        );
        assert.match(run.stderr, /go is not installed/);
      } finally {
        await rm(tools, { recursive: true, force: true });
      }
    });
  });
}

describe('which clients run', () => {
  it('every client by default; E2E_CLIENTS narrows it while developing, never under CI=true', () => {
    assert.deepEqual(selectClients({}), ALL_CLIENTS);
    assert.deepEqual(selectClients({ CI: 'true' }), [TOFU, TERRAFORM, TERRAFORM_1_8]);
    assert.deepEqual(selectClients({ E2E_CLIENTS: ' terraform ' }), [TERRAFORM, TERRAFORM_1_8]);
    assert.deepEqual(selectClients({ E2E_CLIENTS: 'terraform-1.8' }), [TERRAFORM_1_8]);
    assert.deepEqual(selectClients({ E2E_CLIENTS: 'terraform,tofu', CI: 'true' }), ALL_CLIENTS);
    assert.throws(() => selectClients({ E2E_CLIENTS: 'tofu', CI: 'true' }), /CI runs every client/);
    assert.throws(() => selectClients({ E2E_CLIENTS: 'tofu,opentofu' }), /unknown clients \(opentofu\)/);
  });

  it('each client is one version, built into its own cache directory, and ids are unique', () => {
    assert.equal(new Set(ALL_CLIENTS.map((c) => c.id)).size, ALL_CLIENTS.length);
    assert.equal(new Set(ALL_CLIENTS.map((c) => c.binVariable)).size, ALL_CLIENTS.length);
    assert.deepEqual(TERRAFORM.buildEnv, { TERRAFORM_VERSION: 'v1.5.7' });
    assert.deepEqual(TERRAFORM_1_8.buildEnv, { TERRAFORM_VERSION: 'v1.8.5' });
    assert.equal(TERRAFORM.keyType, 'rsa', 'Terraform 1.5.7 cannot read ed25519 keys');
    assert.equal(TERRAFORM_1_8.keyType, 'ed25519');
  });

  it('a binary of another version than the client names fails the run', async () => {
    const other = ALL_CLIENTS.find((c) => c !== TERRAFORM && c.name === 'terraform');
    assert.ok(other);
    const run = await resolveInChild(other, {
      ...process.env,
      CI: 'true',
      [other.binVariable]: (await resolveClient(TERRAFORM)).bin,
    });
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, new RegExp(`reports "Terraform v1\\.5\\.7", expected "Terraform ${other.tag}`));
  });
});

/** Resolves `kind` in a new Node process with `env`, as the suite would. */
function resolveInChild(kind: ClientKind, env: NodeJS.ProcessEnv): Promise<ProcessResult> {
  const support = path.join(import.meta.dirname, 'support/client.ts');
  const code =
    `import { resolveClient, ALL_CLIENTS } from ${JSON.stringify(support)}; ` +
    `await resolveClient(ALL_CLIENTS.find((c) => c.id === ${JSON.stringify(kind.id)}));`;
  return runProcess(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), '--input-type=module', '--eval', code],
    { cwd: import.meta.dirname, env },
  );
}
