/**
 * Skipped checks are visible (issue 13): the engine, driven against a fixture registry that serves
 * registry.opentofu.org-style versions without signing keys and a lock file without hashes, reports
 * each skipped check once; the CLI renders it as a warning and the job summary as a column;
 * `requireSignatures` (and OPENTOFU_ENFORCE_GPG_VALIDATION=true) turn it into a failure.
 */
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeJobSummary } from '../../src/action/summary.ts';
import { stderrReporter } from '../../src/cli/render.ts';
import { readStepSummary } from '../support/actions-env.ts';
import { parseWorkflowCommands } from '../support/actions-harness.ts';
import { startFixtureRegistry, type FixtureRegistry } from '../support/fixture-registry.ts';
import { runBundledAction } from './support/processes.ts';
import {
  buildOptions,
  createWorkspace,
  eventsOf,
  failedWith,
  runBuild,
  succeeded,
  type Workspace,
} from './support/harness.ts';
import { providerSpec, TF_NULL, TOFU_RANDOM } from './support/providers.ts';

const GUARD = { timeout: 60_000 };
const RANDOM = 'registry.opentofu.org/hashicorp/random 3.6.3 linux_amd64';

/** A stderr stand-in that keeps what was written (not a TTY). */
function captureStream(): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const stream = { isTTY: false, write: (s: string) => chunks.push(s) > 0 };
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => chunks.join('') };
}

describe('engine: skipped checks are reported, rendered, and refused on request', () => {
  let registry: FixtureRegistry;
  let ws: Workspace;
  let options: ReturnType<typeof buildOptions>;

  before(async () => {
    registry = await startFixtureRegistry({
      providers: [TF_NULL, TOFU_RANDOM].map((p) => providerSpec(p, ['linux_amd64'])),
      signingKeys: 'none',
    });
    ws = await createWorkspace();
    // OpenTofu's registry sends no keys (signature skipped); the lock has no hashes (lock-hash skipped).
    await ws.writeLock('tofu.hcl', registry.lockFile([TOFU_RANDOM], 'none'));
    options = buildOptions(ws, registry.upstreamArgs(), { lockfiles: ['tofu.hcl'] });
  });
  after(async () => {
    await registry.close();
    await ws.remove();
  });

  it('reports each skipped check once, and the CLI prints each as one warning', GUARD, async () => {
    const run = await runBuild(options);
    succeeded(run);
    const skipped = eventsOf(run.events, 'check-skipped').map((e) => `${e.check}: ${e.message}`);
    assert.deepEqual(skipped, [
      `signature: ${RANDOM}: SHA256SUMS was not signature-checked (registry sent no signing keys); ` +
        '--require-signatures / require-signatures: true refuses this',
      `lock-hash: ${RANDOM}: not checked against a lock file (the lock files record no hashes for this ` +
        "version); only the registry's SHA256SUMS vouches for it",
    ]);
    const out = captureStream();
    const render = stderrReporter(out.stream, false, []);
    for (const e of run.events) render(e);
    const warnings = out
      .text()
      .split('\n')
      .filter((l) => l.startsWith('warning: '));
    assert.deepEqual(
      warnings,
      skipped.map((s) => `warning: ${s.slice(s.indexOf(': ') + 2)}`),
    );
  });

  it('the job summary has a "Checks skipped" column', GUARD, async () => {
    const run = await runBuild(options);
    const file = path.join(ws.root, 'summary.md');
    await writeFile(file, '');
    const saved = process.env.GITHUB_STEP_SUMMARY;
    process.env.GITHUB_STEP_SUMMARY = file;
    try {
      await writeJobSummary(succeeded(run), { cacheHit: 'false' });
    } finally {
      if (saved === undefined) delete process.env.GITHUB_STEP_SUMMARY;
      else process.env.GITHUB_STEP_SUMMARY = saved;
    }
    const html = await readFile(file, 'utf8');
    assert.ok(html.includes('<th>Checks skipped</th>'), html);
    assert.ok(html.includes('<td>signature, lock-hash</td>'), html);
  });

  it('requireSignatures fails the unsigned version; nothing is published', GUARD, async () => {
    const fresh = buildOptions(ws, registry.upstreamArgs(), {
      lockfiles: ['tofu.hcl'],
      out: ws.out('required'),
      requireSignatures: true,
    });
    const err = failedWith(await runBuild(fresh), 'VERIFY_NO_KEYS');
    assert.match(err.message, new RegExp(`${RANDOM}: signatures are required`));
    await assert.rejects(stat(ws.out('required')), { code: 'ENOENT' });
  });

  it('OPENTOFU_ENFORCE_GPG_VALIDATION=true keeps refusing it', GUARD, async () => {
    const enforced = buildOptions(ws, registry.upstreamArgs(), {
      lockfiles: ['tofu.hcl'],
      out: ws.out('enforced'),
      env: { OPENTOFU_ENFORCE_GPG_VALIDATION: 'true' },
    });
    failedWith(await runBuild(enforced), 'VERIFY_NO_KEYS');
  });

  it(
    'the bundled action annotates each skipped check, and require-signatures: true fails',
    GUARD,
    async () => {
      const inputs = {
        lockfiles: 'tofu.hcl',
        upstreams: registry.upstreamArgs().join('\n'),
        cache: 'false',
        output: 'site/action',
      };
      const run = (extra: Record<string, string>, temp: string) =>
        runBundledAction({ ...inputs, ...extra }, { workspace: ws.root, temp: path.join(ws.root, temp) });
      const warned = await run({}, 'runner-warn');
      assert.equal(warned.code, 0, warned.stdout + warned.stderr);
      const skipped = parseWorkflowCommands(warned.stdout)
        .filter((c) => c.command === 'warning')
        .map((c) => `${c.properties['title']}: ${c.message.split(':')[0]}`);
      assert.deepEqual(skipped, [`signature check skipped: ${RANDOM}`, `lock-hash check skipped: ${RANDOM}`]);
      assert.ok(readStepSummary(warned.runnerEnv).includes('<td>signature, lock-hash</td>'));
      const refused = await run(
        { 'require-signatures': 'true', output: 'site/action-required' },
        'runner-req',
      );
      assert.equal(refused.code, 1);
      const error = parseWorkflowCommands(refused.stdout)
        .filter((c) => c.command === 'error')
        .at(-1);
      assert.match(
        error?.message ?? '',
        new RegExp(`^\\[VERIFY_NO_KEYS\\] .*${RANDOM}: signatures are required`, 's'),
      );
    },
  );

  it('a signed version with lock hashes reports nothing skipped', GUARD, async () => {
    const signed = await startFixtureRegistry({ providers: [providerSpec(TF_NULL, ['linux_amd64'])] });
    try {
      await ws.writeLock('tf.hcl', signed.lockFile([TF_NULL], 'both'));
      const run = await runBuild(
        buildOptions(ws, signed.upstreamArgs(), { lockfiles: ['tf.hcl'], out: ws.out('signed') }),
      );
      succeeded(run);
      assert.deepEqual(eventsOf(run.events, 'check-skipped'), []);
      assert.deepEqual(
        run.result!.archives.map((a) => a.verification.checks.map((c) => `${c.check}:${c.outcome}`)),
        [
          [
            'registry-packages:skipped',
            'sums-line:passed',
            'shasum:passed',
            'signature:passed',
            'lock-hash:passed',
          ],
        ],
      );
    } finally {
      await signed.close();
    }
  });
});
