import { runAction } from './run.ts';
import { run } from './main.ts';

await runAction(run);
