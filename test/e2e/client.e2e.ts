import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { resolveTofu, runProcess } from './support/tofu.ts';

/** The real client is there, or the suite fails: it is never skipped, locally or under CI=true. */
describe('the real OpenTofu client', () => {
  it('is found through TOFU_BIN or built by scripts/build-tofu.sh, and prints its version', async () => {
    const tofu = await resolveTofu();
    assert.match(tofu.version, /^OpenTofu v\d+\.\d+\.\d+$/);
    assert.ok(path.isAbsolute(tofu.bin));
  });

  it('a TOFU_BIN that is not a binary fails the run instead of skipping it', async () => {
    const code = `import { resolveTofu } from ${JSON.stringify(path.join(import.meta.dirname, 'support/tofu.ts'))};
      await resolveTofu();`;
    const run = await runProcess(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), '--input-type=module', '--eval', code],
      { cwd: import.meta.dirname, env: { ...process.env, CI: 'true', TOFU_BIN: '/nonexistent/tofu' } },
    );
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /\/nonexistent\/tofu \(from TOFU_BIN\) is not an executable file/);
  });
});
