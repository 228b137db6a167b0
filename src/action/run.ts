import * as core from '@actions/core';
import { isRepoxyError } from '../domain/errors.ts';
import { listTokens, redactMessage } from '../upstream/tokens.ts';

/**
 * The one catch of an action (docker/actions-toolkit `run`): lock-file diagnostics become annotations
 * on their file and line, every other failure one error; `setFailed` is called here only.
 */
export async function runAction(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    const secrets = listTokens(process.env);
    if (isRepoxyError(err)) {
      for (const d of err.diagnostics.filter((x) => x.severity === 'error')) {
        core.error(redactMessage(d.summary + (d.detail ? `: ${d.detail}` : ''), secrets), {
          title: d.code,
          file: d.path,
          startLine: d.line,
          startColumn: d.col,
        });
      }
      core.setFailed(redactMessage(`[${err.code}] ${err.message}`, secrets));
    } else {
      core.setFailed(redactMessage(err instanceof Error ? (err.stack ?? err.message) : String(err), secrets));
    }
  }
}
