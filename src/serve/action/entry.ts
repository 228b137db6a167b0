import * as core from '@actions/core';
import { runAction } from '../../action/run.ts';
import { runMirrorServerProcess, SERVE_MIRROR_FLAG } from '../server-main.ts';
import { ServeState } from './constants.ts';
import { post, run } from './main.ts';

/**
 * One bundle, three roles: the detached mirror server (argv has SERVE_MIRROR_FLAG), the post step
 * (the main step saved isPost), or the main step.
 */
export async function dispatchServeEntry(argv: readonly string[]): Promise<void> {
  if (argv.includes(SERVE_MIRROR_FLAG)) {
    await runMirrorServerProcess(argv);
    return;
  }
  if (core.getState(ServeState.IsPost) === 'true') {
    await runAction(post);
    return;
  }
  core.saveState(ServeState.IsPost, 'true');
  const script = process.argv[1];
  if (!script) throw new Error('cannot tell which script is running (process.argv[1] is empty)');
  await runAction(() => run({ script, execArgv: process.execArgv }));
}
