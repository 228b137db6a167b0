import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRepoxyError } from '../../src/domain/errors.ts';
import { backoffDelayMs, isRetryableStatus, parseRetryAfter } from '../../src/upstream/http-failures.ts';
import { KeyedSemaphore, Semaphore } from '../../src/upstream/limiter.ts';
import {
  DEFAULT_UPSTREAM_OPTIONS,
  describeOptions,
  resolveUpstreamOptions,
} from '../../src/upstream/options.ts';

describe('upstream options', () => {
  it('has the documented defaults and describes every limit with its unit', () => {
    const o = DEFAULT_UPSTREAM_OPTIONS;
    assert.deepEqual([o.concurrency, o.perHostConnections, o.retries, o.maxRedirects], [16, 8, 4, 5]);
    assert.deepEqual(
      [
        o.connectTimeoutMs,
        o.headersTimeoutMs,
        o.bodyTimeoutMs,
        o.backoffBaseMs,
        o.backoffMaxMs,
        o.retryAfterMaxMs,
      ],
      [10_000, 30_000, 30_000, 500, 20_000, 60_000],
    );
    assert.deepEqual(
      [o.maxJsonBytes, o.maxDiscoveryBytes, o.maxArchiveBytes],
      [4 << 20, 1 << 20, 2 * 1024 ** 3],
    );
    const text = describeOptions(o);
    for (const part of [
      'concurrency=16',
      'bodyTimeout=30000ms',
      'maxArchive=2147483648B',
      'maxRedirects=5',
    ]) {
      assert.ok(text.includes(part), `${part} in ${text}`);
    }
  });

  it('overlays overrides and refuses nonsense with INPUT_INVALID', () => {
    assert.equal(resolveUpstreamOptions({ retries: 0, concurrency: undefined }).retries, 0);
    assert.equal(resolveUpstreamOptions({ retries: 0 }).concurrency, 16);
    for (const bad of [{ retries: -1 }, { concurrency: 0 }, { bodyTimeoutMs: 1.5 }]) {
      assert.throws(
        () => resolveUpstreamOptions(bad),
        (err: unknown) => isRepoxyError(err) && err.code === 'INPUT_INVALID',
      );
    }
  });
});

describe('retry policy', () => {
  it('retries 429 and 5xx except 501', () => {
    assert.deepEqual([429, 500, 502, 503, 504, 501, 400, 404, 410].map(isRetryableStatus), [
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-01T00:00:00Z');
    assert.equal(parseRetryAfter('7', now), 7000);
    assert.equal(parseRetryAfter('Sun, 01 Nov 2026 00:00:03 GMT', now), 3000);
    assert.equal(parseRetryAfter('Sat, 31 Oct 2026 00:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });

  it('backs off exponentially with full jitter under the cap', () => {
    const o = DEFAULT_UPSTREAM_OPTIONS;
    assert.equal(
      backoffDelayMs(1, o, () => 0),
      0,
    );
    assert.equal(
      backoffDelayMs(1, o, () => 0.5),
      250,
    );
    assert.equal(
      backoffDelayMs(3, o, () => 0.5),
      1000,
    );
    assert.equal(
      backoffDelayMs(20, o, () => 0.5),
      10_000,
    );
  });
});

describe('limiters', () => {
  it('hands permits out in order and never more than the limit', async () => {
    const sem = new Semaphore(2);
    const order: number[] = [];
    const r1 = await sem.acquire();
    const r2 = await sem.acquire();
    const waiting = [3, 4].map((n) => sem.acquire().then((release) => (order.push(n), release)));
    assert.equal(sem.pending, 4);
    r1();
    r1(); // a second call is ignored
    const r3 = await waiting[0]!;
    assert.deepEqual(order, [3]);
    r2();
    const r4 = await waiting[1]!;
    assert.deepEqual(order, [3, 4]);
    r3();
    r4();
    assert.equal(sem.pending, 0);
  });

  it('limits each key on its own', async () => {
    const keyed = new KeyedSemaphore(1);
    const a = await keyed.acquire('a');
    const b = await keyed.acquire('b');
    let second = false;
    const next = keyed.acquire('a').then((r) => ((second = true), r));
    await new Promise((r) => setImmediate(r));
    assert.equal(second, false);
    a();
    (await next)();
    b();
    assert.equal(second, true);
  });
});
