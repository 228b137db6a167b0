import type { Socket } from 'node:net';
import { pipeline, Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Payload } from './payload.ts';

/**
 * A simple model of what a client sees from a distant server (a CDN seen from a CI runner): every
 * response waits `latencyMs` before it starts, and each connection's bodies are paced to
 * `bytesPerSecond` (idle time is not banked: a connection never bursts above the rate).
 */
export interface NetworkModel {
  /** Delay before each response, milliseconds (round trip + time to first byte). */
  readonly latencyMs: number;
  /** Body throughput of one connection, bytes per second. */
  readonly bytesPerSecond: number;
}

/** The model applied to one registry's responses. */
export interface NetworkShaper {
  /** Resolves when the response to a request that just arrived may start. */
  beforeResponse(): Promise<void>;
  /** `payload` with its body paced by the connection `socket` (shared by its successive responses). */
  shape(payload: Payload, socket: Socket | null): Payload;
}

/** Bodies are paced in slices of at most this many bytes (a burst never exceeds one slice). */
const SLICE_BYTES = 64 * 1024;

/** The shaper for `model`; with no model, responses are neither delayed nor paced. */
export function createNetworkShaper(model: NetworkModel | undefined): NetworkShaper {
  if (!model) return { beforeResponse: async () => undefined, shape: (payload) => payload };
  validate(model);
  const paces = new WeakMap<Socket, Pace>();
  const paceOf = (socket: Socket | null): Pace => {
    if (!socket) return { nextAt: 0 };
    let pace = paces.get(socket);
    if (!pace) paces.set(socket, (pace = { nextAt: 0 }));
    return pace;
  };
  return {
    beforeResponse: async () => {
      if (model.latencyMs > 0) await sleep(model.latencyMs);
    },
    shape: (payload, socket) => {
      const pace = paceOf(socket);
      return {
        ...payload,
        open: (start, end) =>
          pipeline(payload.open(start, end), paced(pace, model.bytesPerSecond), () => undefined),
      };
    },
  };
}

/** When one connection may send its next byte (performance.now() milliseconds). */
interface Pace {
  nextAt: number;
}

/** Passes bytes through, each slice released no earlier than the connection's rate allows. */
function paced(pace: Pace, bytesPerSecond: number): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const send = async () => {
        for (let offset = 0; offset < chunk.length; offset += SLICE_BYTES) {
          const slice = chunk.subarray(offset, offset + SLICE_BYTES);
          const now = performance.now();
          const start = Math.max(now, pace.nextAt);
          pace.nextAt = start + (slice.length / bytesPerSecond) * 1000;
          if (start - now >= 1) await sleep(start - now);
          this.push(slice);
        }
      };
      send().then(() => done(), done);
    },
  });
}

function validate(model: NetworkModel): void {
  const ok = (n: number, min: number) => typeof n === 'number' && Number.isFinite(n) && n >= min;
  if (!ok(model.latencyMs, 0) || !ok(model.bytesPerSecond, 1)) {
    throw new Error(
      `fixture registry: network needs latencyMs >= 0 and bytesPerSecond >= 1, got ${JSON.stringify(model)}`,
    );
  }
}
