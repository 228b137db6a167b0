/**
 * Worker for bench/hot-path.ts: runs the product's own `hashZip` (src/verify/h1.ts) on the path it
 * is sent, so its cost can be compared on the main thread and in worker threads.
 * In: {id, path}; out: {id, h1, seconds} or {id, error}.
 */
import { parentPort } from 'node:worker_threads';
import { hashZip } from '../../src/verify/h1.ts';

const port = parentPort;
if (!port) throw new Error('hash-worker.ts runs as a worker thread only');
port.postMessage({ id: -1 });
port.on('message', (msg: { id: number; path: string }) => {
  const started = performance.now();
  hashZip(msg.path).then(
    (h) => port.postMessage({ id: msg.id, h1: h.h1Zip, seconds: (performance.now() - started) / 1000 }),
    (err: unknown) => port.postMessage({ id: msg.id, error: String(err) }),
  );
});
