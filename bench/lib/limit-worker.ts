/**
 * Worker of HashPool (hash-pool.ts): hashes zips while they stream in (see zip-stream.ts).
 * Messages in: {kind:'start', id, zipHash}, {kind:'chunk', id, data}, {kind:'end', id};
 * out: {id, sha256, h1, entries} or {id, error}.
 */
import { parentPort } from 'node:worker_threads';
import { ZipStream, hash1 } from './zip-stream.ts';

type Incoming =
  | { kind: 'start'; id: number; zipHash: boolean }
  | { kind: 'chunk'; id: number; data: Uint8Array }
  | { kind: 'end'; id: number };

const streams = new Map<number, ZipStream>();
const failed = new Map<number, string>();
const port = parentPort;
if (!port) throw new Error('limit-worker.ts runs as a worker thread only');
port.postMessage({ id: -1, ready: true });
port.on('message', (msg: Incoming) => {
  if (msg.kind === 'start') return void streams.set(msg.id, new ZipStream({ zipHash: msg.zipHash }));
  const stream = streams.get(msg.id);
  if (msg.kind === 'chunk') {
    if (!stream) return;
    try {
      stream.write(Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.length));
    } catch (err) {
      streams.delete(msg.id);
      failed.set(msg.id, String(err));
    }
    return;
  }
  streams.delete(msg.id);
  const error = failed.get(msg.id);
  failed.delete(msg.id);
  if (!stream) return port.postMessage({ id: msg.id, error: error ?? 'unknown stream' });
  Promise.all(stream.entries).then(
    (entries) =>
      port.postMessage({ id: msg.id, sha256: stream.zip?.digest('hex'), h1: hash1(entries), entries }),
    (err: unknown) => port.postMessage({ id: msg.id, error: String(err) }),
  );
});
