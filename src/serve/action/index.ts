import { dispatchServeEntry } from './entry.ts';

await dispatchServeEntry(process.argv.slice(2));
