import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * A worker thread running the TypeScript module `file`. Workers do not inherit tsx's loader on
 * every Node version (Node 20 does not), so the worker registers it itself before importing.
 */
export function tsWorker(file: string): Worker {
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(pathToFileURL(file).href);
  const code = `import(${api}).then((tsx) => { tsx.register(); return import(${entry}); });`;
  return new Worker(code, { eval: true, execArgv: [] });
}
