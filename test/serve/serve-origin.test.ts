/**
 * The serve action checks an artifact's origin, not only its self-consistency (issue 13): every archive
 * of a version the consuming job's lock files lock must match one of that version's hashes, the summary
 * names archives no lock file anchors, and an artifact of a run triggered from a fork is refused
 * (unless allow-fork-artifacts), before anything is downloaded or any client configuration written.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formatAddress } from '../../src/domain/address.ts';
import type { BuildResult } from '../../src/engine.ts';
import { readEnvFile, readOutputs, readStepSummary } from '../support/actions-env.ts';
import { parseWorkflowCommands } from '../support/actions-harness.ts';
import { fakeHash, lockFileText } from '../support/lockfile-fixtures.ts';
import { buildFixtureMirror, HASHICORP_NULL, TOFU_RANDOM } from '../publish/mirror-fixture.ts';
import { actionInputs, runPublishStep } from '../publish/publish-step.ts';
import { startServeHarness, TOKEN, type ServeHarness } from './serve-harness.ts';

const NULL_DIR = 'registry.terraform.io/hashicorp/null';
const RANDOM_ZIP = 'registry.opentofu.org/hashicorp/random/terraform-provider-random_3.6.0_linux_amd64.zip';
/** Runs whose artifact came from a fork (run 3) or from a deleted fork (run 4). */
const RUN_HEADS = { 3: 'attacker/repo', 4: null };

let harness: ServeHarness;
let pristine: BuildResult;

/** Lock-file text for the pristine mirror's providers; `pick` chooses each one's hashes (none: omitted). */
function lockFor(
  pick: (address: string, hashes: readonly string[]) => readonly string[] | undefined,
): string {
  const blocks = pristine.plan.providers.flatMap((p) => {
    const address = formatAddress(p.address);
    const hashes = pick(address, p.hashes);
    return hashes ? [{ address, version: p.version, hashes }] : [];
  });
  return lockFileText(blocks);
}

function writeLock(env: Record<string, string>, rel: string, text: string): void {
  const file = path.join(env['GITHUB_WORKSPACE']!, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

function failure(stdout: string): string {
  return parseWorkflowCommands(stdout).find((c) => c.command === 'error')?.message ?? '';
}

describe('the serve action: origin checks', () => {
  before(async () => {
    harness = await startServeHarness({ runHeads: RUN_HEADS });
    pristine = await buildFixtureMirror(
      path.join(harness.scratch, 'mirror'),
      path.join(harness.scratch, 'zips'),
      [HASHICORP_NULL, TOFU_RANDOM],
    );
    for (const run of ['run-3', 'run-4']) {
      const published = await runPublishStep(
        harness.newStep(`job-build-${run}`, run),
        actionInputs({ publish: ['artifact'], retentionDays: 1 }),
        pristine,
        harness.scratch,
      );
      assert.equal(published.error, undefined);
    }
  });
  after(async () => {
    await harness?.stop();
  });

  test('lock files anchor the archives they lock; the summary names the rest', async () => {
    const env = harness.newStep('job-anchored');
    // null locked by its zh: hashes only; random not locked at all.
    writeLock(
      env,
      'infra/.terraform.lock.hcl',
      lockFor((a, h) => (a.endsWith('/null') ? h.filter((x) => x.startsWith('zh:')) : undefined)),
    );
    const child = await harness.serve(env, { 'mirror-dir': pristine.out });
    assert.equal(child.code, 0, child.stdout + child.stderr);
    assert.match(child.stdout, /Verified 3 archive\(s\) .*; 2 also against the lock files/);
    const warning = parseWorkflowCommands(child.stdout).find((c) => c.command === 'warning');
    assert.match(
      warning?.message ?? '',
      new RegExp(`1 archive\\(s\\) of versions no lock file locks .*: ${RANDOM_ZIP}$`),
    );
    const summary = readStepSummary(env);
    assert.ok(summary.includes('2 also matched the lock files (**/.terraform.lock.hcl)'), summary);
    assert.ok(summary.includes(`<li>${RANDOM_ZIP}</li>`), summary);

    // h1: alone anchors too (HashZip), here for random: now every archive is anchored.
    const all = harness.newStep('job-anchored-h1');
    writeLock(
      all,
      'a/.terraform.lock.hcl',
      lockFor((a, h) => h.filter((x) => x.startsWith(a.endsWith('/null') ? 'zh:' : 'h1:'))),
    );
    const anchored = await harness.serve(all, { 'mirror-dir': pristine.out });
    assert.equal(anchored.code, 0, anchored.stdout);
    assert.ok(readStepSummary(all).includes('Every archive is anchored by a lock file.'));
  });

  test('an archive the lock files do not vouch for fails the step before any configuration', async () => {
    const env = harness.newStep('job-mismatch');
    const wrong = [fakeHash('zh', 'other bytes'), fakeHash('h1', 'other bytes')].sort();
    writeLock(
      env,
      'envs/prod/.terraform.lock.hcl',
      lockFor((a) => (a.endsWith('/null') ? wrong : undefined)),
    );
    const child = await harness.serve(env, { 'mirror-dir': pristine.out });
    assert.equal(child.code, 1);
    const message = failure(child.stdout);
    assert.match(
      message,
      /^\[SERVE\] the mirror in .* failed verification \(2 problem\(s\)\); refusing to serve it:/,
    );
    for (const platform of ['darwin_arm64', 'linux_amd64']) {
      assert.match(
        message,
        new RegExp(
          `${NULL_DIR}/terraform-provider-null_3\\.2\\.1_${platform}\\.zip: is zh:[0-9a-f]{64} and h1:\\S+, but the lock files record \\[${wrong.join(', ').replace(/[+/]/g, '\\$&')}\\] for its version: the artifact holds an archive the repository did not lock`,
        ),
      );
    }
    assert.deepEqual(readEnvFile(env), {});
    assert.deepEqual(readOutputs(env), {});
  });

  test('a lockfiles input that matches nothing fails; the default matching nothing warns', async () => {
    const env = harness.newStep('job-no-lock');
    const child = await harness.serve(env, { 'mirror-dir': pristine.out, lockfiles: 'infra/*.hcl' });
    assert.equal(child.code, 1);
    assert.match(failure(child.stdout), /^\[LOCK_NOT_FOUND\] no lock files match "infra\/\*\.hcl"/);
    const fallback = harness.newStep('job-default-no-lock');
    const served = await harness.serve(fallback, { 'mirror-dir': pristine.out });
    assert.equal(served.code, 0, served.stdout);
    assert.match(served.stdout, /::warning::no lock file matches \*\*\/\.terraform\.lock\.hcl in /);
  });

  for (const [run, from] of [
    ['3', 'the fork attacker/repo'],
    ['4', 'a head repository that no longer exists'],
  ] as const) {
    test(`refuses the artifact of run ${run}, triggered from ${from}, before downloading it`, async () => {
      const env = harness.newStep(`job-fork-${run}`, 'run-9');
      const child = await harness.serve(env, { 'run-id': run, 'github-token': TOKEN, path: 'fork' });
      assert.equal(child.code, 1);
      assert.equal(
        failure(child.stdout),
        `[SERVE] run ${run} of owner/repo was triggered from ${from}: its artifact is not the repository's ` +
          'mirror, refusing it (allow-fork-artifacts: true accepts it)',
      );
      const lines = harness.api.requests.map((r) => r.line);
      assert.ok(lines.includes(`GET /repos/owner/repo/actions/runs/${run}`), lines.join('\n'));
      assert.ok(!lines.some((l) => l.startsWith(`GET /repos/owner/repo/actions/runs/${run}/artifacts`)));
      assert.deepEqual(readEnvFile(env), {});
    });
  }

  test("allow-fork-artifacts: true accepts a fork run's artifact, with a warning", async () => {
    const env = harness.newStep('job-fork-allowed', 'run-9');
    const child = await harness.serve(env, {
      'run-id': '3',
      'github-token': TOKEN,
      path: 'fork-allowed',
      'allow-fork-artifacts': 'true',
    });
    assert.equal(child.code, 0, child.stdout + child.stderr);
    assert.match(
      child.stdout,
      /::warning::run 3 of owner\/repo was triggered from the fork attacker\/repo; using its artifact/,
    );
    assert.ok(readEnvFile(env)['TF_CLI_CONFIG_FILE']);
  });
});
