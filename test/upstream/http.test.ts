import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isRepoxyError } from '../../src/domain/errors.ts';
import type { ErrorCode } from '../../src/domain/errors.ts';
import type { BearerAuth, RequestEvent } from '../../src/upstream/http.ts';
import { UpstreamHttp } from '../../src/upstream/http.ts';
import type { UpstreamOptions } from '../../src/upstream/options.ts';
import { fakeBytes, sha256Hex } from './helpers/fake-registry.ts';
import { redirect, sendBytes, sendJson, startServer } from './helpers/server.ts';
import type { TestServer } from './helpers/server.ts';

const FAST: Partial<UpstreamOptions> = { backoffBaseMs: 5, backoffMaxMs: 20, retries: 2 };

let a: TestServer; // 127.0.0.1
let b: TestServer; // 127.0.0.2, the "other host"
let c: TestServer; // 127.0.0.1, another port
let tmp: string;
const clients: UpstreamHttp[] = [];

function client(options: Partial<UpstreamOptions> = {}, onRequest?: (e: RequestEvent) => void): UpstreamHttp {
  const http = new UpstreamHttp({ env: {}, options: { ...FAST, ...options }, onRequest });
  clients.push(http);
  return http;
}

/** Asserts `promise` rejects with a RepoxyError of `code` and returns it for further checks. */
async function failsWith(promise: Promise<unknown>, code: ErrorCode): Promise<Error & { code: string }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isRepoxyError(err), `expected a RepoxyError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

before(async () => {
  [a, b, c] = await Promise.all([
    startServer('127.0.0.1'),
    startServer('127.0.0.2'),
    startServer('127.0.0.1'),
  ]);
  tmp = await mkdtemp(path.join(os.tmpdir(), 'repoxy-upstream-http-'));
});

after(async () => {
  await Promise.all(clients.map((h) => h.close()));
  await Promise.all([a.close(), b.close(), c.close()]);
  await rm(tmp, { recursive: true, force: true });
});

describe('retries', () => {
  it('waits for Retry-After: 1 after a 429 and then succeeds', async () => {
    a.route('/r429', (_req, res) => {
      if (a.count('/r429') === 1) res.writeHead(429, { 'retry-after': '1' }).end('slow down');
      else sendJson(res, { ok: true });
    });
    const started = performance.now();
    const got = await client().getJson(`${a.origin}/r429`);
    assert.deepEqual(got.value, { ok: true });
    assert.ok(performance.now() - started >= 990, 'waited at least the Retry-After second');
    assert.equal(a.count('/r429'), 2);
  });

  it('caps a huge Retry-After at retryAfterMaxMs', { timeout: 10_000 }, async () => {
    a.route('/r429-long', (_req, res) => {
      if (a.count('/r429-long') === 1) res.writeHead(503, { 'retry-after': '3600' }).end();
      else sendJson(res, { ok: 1 });
    });
    const got = await client({ retryAfterMaxMs: 20 }).getJson(`${a.origin}/r429-long`);
    assert.deepEqual(got.value, { ok: 1 });
  });

  it('retries 503 twice and then succeeds', async () => {
    a.route('/r503', (_req, res) => {
      if (a.count('/r503') <= 2) res.writeHead(503).end();
      else sendJson(res, [1, 2, 3]);
    });
    const http = client();
    assert.deepEqual((await http.getJson(`${a.origin}/r503`)).value, [1, 2, 3]);
    assert.equal(a.count('/r503'), 3);
    assert.equal(http.requestCount, 3);
  });

  it('retries a connection reset in the middle of the body', async () => {
    const body = fakeBytes('reset', 1000);
    a.route('/reset', (_req, res) => {
      if (a.count('/reset') > 1) return sendBytes(res, body);
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, 400), () => res.socket?.destroy());
    });
    const got = await client().getBytes(`${a.origin}/reset`);
    assert.ok(got.bytes.equals(body));
    assert.equal(a.count('/reset'), 2);
  });

  it('retries refused connections and then reports them', async () => {
    const closed = await startServer('127.0.0.1');
    await closed.close();
    const err = await failsWith(client({ retries: 1 }).getJson(`${closed.origin}/x`), 'UPSTREAM_HTTP');
    assert.match(err.message, /ECONNREFUSED/);
    assert.match(err.message, /gave up after 2 attempts/);
  });

  it('turns a stalled body into UPSTREAM_TIMEOUT after its retries', async () => {
    a.route('/stall-body', (_req, res) => {
      res.writeHead(200, { 'content-length': 100 });
      res.write('0123456789'); // then nothing
    });
    const err = await failsWith(
      client({ bodyTimeoutMs: 150, retries: 1 }).getBytes(`${a.origin}/stall-body`),
      'UPSTREAM_TIMEOUT',
    );
    assert.match(err.message, new RegExp(`${a.origin}/stall-body`));
    assert.match(err.message, /response body.*150 ms.*gave up after 2 attempts/);
    assert.equal(a.count('/stall-body'), 2);
  });

  it('turns missing response headers into UPSTREAM_TIMEOUT after its retries', async () => {
    a.route('/stall-headers', () => undefined);
    const err = await failsWith(
      client({ headersTimeoutMs: 150, retries: 1 }).getJson(`${a.origin}/stall-headers`),
      'UPSTREAM_TIMEOUT',
    );
    assert.match(err.message, /response headers/);
    assert.equal(a.count('/stall-headers'), 2);
  });

  it('gives up with the URL and the status when every attempt fails', async () => {
    a.route('/always503', (_req, res) => void res.writeHead(503).end());
    const err = await failsWith(client().getJson(`${a.origin}/always503`), 'UPSTREAM_HTTP');
    assert.match(err.message, new RegExp(`GET ${a.origin}/always503 returned HTTP 503 Service Unavailable`));
    assert.match(err.message, /gave up after 3 attempts/);
    assert.equal(a.count('/always503'), 3);
  });

  it('does not retry 501, 400 or 404', async () => {
    a.route('/s501', (_req, res) => void res.writeHead(501).end());
    a.route('/s400', (_req, res) => void res.writeHead(400).end());
    await failsWith(client().getJson(`${a.origin}/s501`), 'UPSTREAM_HTTP');
    await failsWith(client().getJson(`${a.origin}/s400`), 'UPSTREAM_HTTP');
    const notFound = await failsWith(client().getJson(`${a.origin}/s404`), 'UPSTREAM_NOT_FOUND');
    assert.match(notFound.message, /HTTP 404/);
    assert.deepEqual([a.count('/s501'), a.count('/s400'), a.count('/s404')], [1, 1, 1]);
  });
});

describe('redirects and credentials', () => {
  it('sends Authorization only on hops whose origin is the token origin', async () => {
    const auth: BearerAuth = { hostname: '127.0.0.1', token: 's3cr3t', origin: a.origin };
    a.route('/auth-start', (_req, res) => redirect(res, `${b.origin}/auth-hop`));
    b.route('/auth-hop', (_req, res) => redirect(res, `${c.origin}/auth-hop2`, 307));
    c.route('/auth-hop2', (_req, res) => redirect(res, `${a.origin}/auth-end`, 301));
    a.route('/auth-end', (_req, res) => sendJson(res, { done: true }));
    const events: RequestEvent[] = [];
    const got = await client({}, (e) => events.push(e)).getJson(`${a.origin}/auth-start`, { auth });
    assert.equal(got.finalUrl, `${a.origin}/auth-end`);
    const authOf = (s: TestServer, p: string) => s.requests.find((r) => r.path === p)?.headers.authorization;
    assert.equal(authOf(a, '/auth-start'), 'Bearer s3cr3t');
    assert.equal(authOf(b, '/auth-hop'), undefined, 'never sent to another host');
    assert.equal(authOf(c, '/auth-hop2'), undefined, 'never sent to another port');
    assert.equal(authOf(a, '/auth-end'), 'Bearer s3cr3t');
    assert.deepEqual(
      events.map((e) => [e.hop, e.authorization]),
      [
        [0, true],
        [1, false],
        [2, false],
        [3, true],
      ],
    );
  });

  it('resolves relative redirects against the current URL', async () => {
    a.route('/dir/rel', (_req, res) => redirect(res, 'target.json?x=1#frag', 303));
    a.route('/dir/target.json', (_req, res) => sendJson(res, { here: true }));
    const got = await client().getJson(`${a.origin}/dir/rel`);
    assert.equal(got.finalUrl, `${a.origin}/dir/target.json?x=1`);
  });

  it('refuses a redirect loop', async () => {
    a.route('/loop-a', (_req, res) => redirect(res, '/loop-b'));
    a.route('/loop-b', (_req, res) => redirect(res, '/loop-a'));
    const err = await failsWith(client().getJson(`${a.origin}/loop-a`), 'UPSTREAM_REDIRECT');
    assert.match(err.message, /loop/);
    assert.equal(a.count('/loop-a'), 1);
  });

  it('follows at most maxRedirects redirects', async () => {
    for (let i = 0; i < 10; i++) a.route(`/chain/${i}`, (_req, res) => redirect(res, `/chain/${i + 1}`));
    const err = await failsWith(
      client({ maxRedirects: 5 }).getJson(`${a.origin}/chain/0`),
      'UPSTREAM_REDIRECT',
    );
    assert.match(err.message, /more than 5 redirects/);
    assert.equal(a.requests.filter((r) => r.path.startsWith('/chain/')).length, 6);
  });

  it('refuses plain http to a non-loopback host without sending anything there', async () => {
    const http = client();
    await failsWith(http.getJson('http://example.com/x'), 'UPSTREAM_BAD_RESPONSE');
    assert.equal(http.requestCount, 0);
    a.route('/to-plain', (_req, res) => redirect(res, 'http://example.com/y'));
    await failsWith(http.getJson(`${a.origin}/to-plain`), 'UPSTREAM_REDIRECT');
    assert.equal(http.requestCount, 1);
  });

  it('never puts a token in an error message', async () => {
    const token = 'TOPSECRET-7d1f';
    const auth: BearerAuth = { hostname: 'registry.example.test', token, origin: a.origin };
    a.route('/echo-token', (req, res) => redirect(res, `http://evil.example/${req.headers.authorization}`));
    const err = await failsWith(client().getJson(`${a.origin}/echo-token`, { auth }), 'UPSTREAM_REDIRECT');
    assert.ok(!err.message.includes(token), err.message);
    assert.match(err.message, /\*\*\*/);
  });

  it('words 401/403 by whether credentials were sent', async () => {
    a.route('/need-auth', (_req, res) => void res.writeHead(401).end());
    a.route('/forbidden', (_req, res) => void res.writeHead(403).end());
    const noToken: BearerAuth = { hostname: 'my-corp.example.com', token: undefined, origin: a.origin };
    const withToken: BearerAuth = { ...noToken, token: 'tok-403' };
    const need = await failsWith(
      client().getJson(`${a.origin}/need-auth`, { auth: noToken }),
      'UPSTREAM_UNAUTHORIZED',
    );
    assert.match(need.message, /requires authentication credentials .*set TF_TOKEN_my__corp_example_com/);
    const rejected = await failsWith(
      client().getJson(`${a.origin}/forbidden`, { auth: withToken }),
      'UPSTREAM_UNAUTHORIZED',
    );
    assert.match(rejected.message, /rejected the given credentials/);
    assert.ok(!rejected.message.includes('tok-403'));
    assert.equal(a.count('/forbidden'), 1, 'not retried');
  });
});

describe('bodies and limits', () => {
  it('checks Content-Type only when asked, accepting parameters', async () => {
    a.route('/html', (_req, res) => sendBytes(res, Buffer.from('{}'), 'text/html'));
    a.route('/json-charset', (_req, res) =>
      sendBytes(res, Buffer.from('{"a":1}'), 'application/json; charset=utf-8'),
    );
    await failsWith(client().getJson(`${a.origin}/html`, { expectJson: true }), 'UPSTREAM_BAD_RESPONSE');
    assert.deepEqual((await client().getJson(`${a.origin}/html`)).value, {});
    assert.deepEqual((await client().getJson(`${a.origin}/json-charset`, { expectJson: true })).value, {
      a: 1,
    });
  });

  it('refuses invalid JSON and a byte-order mark without retrying', async () => {
    a.route('/bad-json', (_req, res) => sendBytes(res, Buffer.from('{"a":'), 'application/json'));
    a.route('/bom-json', (_req, res) => sendBytes(res, Buffer.from('\uFEFF{}'), 'application/json'));
    await failsWith(client().getJson(`${a.origin}/bad-json`), 'UPSTREAM_BAD_RESPONSE');
    await failsWith(client().getJson(`${a.origin}/bom-json`), 'UPSTREAM_BAD_RESPONSE');
    assert.equal(a.count('/bad-json'), 1);
  });

  it('refuses a JSON document larger than maxBytes', async () => {
    a.route('/big-json', (_req, res) => sendJson(res, { pad: 'x'.repeat(5000) }));
    await failsWith(client().getJson(`${a.origin}/big-json`, { maxBytes: 1000 }), 'UPSTREAM_TOO_LARGE');
  });

  it('hashes a download while streaming it to disk', async () => {
    const body = fakeBytes('download', 1024 * 1024 + 7);
    a.route('/archive.zip', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/zip' }); // chunked: no Content-Length
      for (let at = 0; at < body.length; at += 65_536) res.write(body.subarray(at, at + 65_536));
      res.end();
    });
    const dest = path.join(tmp, 'archive.zip');
    const got = await client().downloadToFile(`${a.origin}/archive.zip`, dest);
    assert.equal(got.sha256, sha256Hex(body));
    assert.equal(got.size, body.length);
    assert.ok((await readFile(dest)).equals(body));
  });

  it('restarts the file when a download is retried', async () => {
    const body = fakeBytes('restart', 5000);
    a.route('/restart.zip', (_req, res) => {
      if (a.count('/restart.zip') > 1) return sendBytes(res, body);
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, 3000), () => res.socket?.destroy());
    });
    const dest = path.join(tmp, 'restart.zip');
    const got = await client().downloadToFile(`${a.origin}/restart.zip`, dest);
    assert.equal(got.size, 5000);
    assert.ok((await readFile(dest)).equals(body));
  });

  it('shows each attempt to a fresh observer, pausing the body while it is busy, and abandons the failed one', async () => {
    const body = fakeBytes('observed', 700_000);
    a.route('/observed.zip', (_req, res) => {
      if (a.count('/observed.zip') > 1) return sendBytes(res, body);
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, 300_000), () => res.socket?.destroy());
    });
    const observers: { seen: Buffer[]; abandoned: boolean; pauses: number }[] = [];
    const made: object[] = [];
    const observe = () => {
      const o = { seen: [] as Buffer[], abandoned: false, pauses: 0 };
      observers.push(o);
      let busy = false;
      const observer = {
        write(chunk: Buffer) {
          o.seen.push(Buffer.from(chunk));
          busy = o.seen.length % 2 === 0; // every second chunk, ask the body to wait
          return !busy;
        },
        drained: async () => {
          o.pauses++;
          await new Promise((resolve) => setTimeout(resolve, 1));
          busy = false;
        },
        abandon: () => void (o.abandoned = true),
      };
      made.push(observer);
      return observer;
    };
    const dest = path.join(tmp, 'observed.zip');
    const got = await client().downloadToFile(`${a.origin}/observed.zip`, dest, { observe });
    assert.equal(observers.length, 2);
    assert.equal(observers[0]!.abandoned, true, 'the failed attempt was not abandoned');
    assert.equal(observers[1]!.abandoned, false);
    assert.ok(Buffer.concat(observers[1]!.seen).equals(body), 'the observer saw other bytes than the body');
    assert.ok(observers[1]!.pauses > 0);
    assert.equal(got.observer, made[1], 'not the observer of the attempt that succeeded');
    assert.ok((await readFile(dest)).equals(body));
    assert.equal(got.sha256, sha256Hex(body));
  });

  it('reports a body shorter than its Content-Length and removes the partial file', async () => {
    a.route('/short.zip', (_req, res) => {
      res.writeHead(200, { 'content-length': 5000 });
      res.write(fakeBytes('short', 2000), () => res.socket?.destroy());
    });
    const dest = path.join(tmp, 'short.zip');
    const err = await failsWith(
      client({ retries: 1 }).downloadToFile(`${a.origin}/short.zip`, dest),
      'UPSTREAM_HTTP',
    );
    assert.match(err.message, /ended after 2000 of 5000 bytes/);
    assert.equal(a.count('/short.zip'), 2);
    assert.equal(existsSync(dest), false);
  });

  it('refuses a declared Content-Length above the cap before reading the body', async () => {
    a.route('/declared-big.zip', (_req, res) => sendBytes(res, fakeBytes('declared', 10_000)));
    const dest = path.join(tmp, 'declared-big.zip');
    const err = await failsWith(
      client().downloadToFile(`${a.origin}/declared-big.zip`, dest, { maxBytes: 4096 }),
      'UPSTREAM_TOO_LARGE',
    );
    assert.match(err.message, /10000 bytes.*4096/);
    assert.equal(a.count('/declared-big.zip'), 1);
    assert.equal(existsSync(dest), false);
  });

  it('stops a body that grows past the cap while the server is still sending', async () => {
    let finished = false;
    a.route('/endless.zip', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/zip' });
      res.on('finish', () => (finished = true));
      let sent = 0;
      const pump = () => {
        while (sent < 8 * 1024 * 1024 && !res.destroyed) {
          sent += 16_384;
          if (!res.write(fakeBytes('chunk', 16_384))) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const dest = path.join(tmp, 'endless.zip');
    await failsWith(
      client().downloadToFile(`${a.origin}/endless.zip`, dest, { maxBytes: 100_000 }),
      'UPSTREAM_TOO_LARGE',
    );
    assert.equal(finished, false, 'the transfer was cut off, not read to the end');
    assert.equal(existsSync(dest), false);
  });

  it('requires exactly the expected size when one is given', async () => {
    a.route('/sized.zip', (_req, res) => sendBytes(res, fakeBytes('sized', 3000)));
    const dest = path.join(tmp, 'sized.zip');
    const http = client();
    await failsWith(
      http.downloadToFile(`${a.origin}/sized.zip`, dest, { expectedSize: 2999 }),
      'UPSTREAM_BAD_RESPONSE',
    );
    await failsWith(
      http.downloadToFile(`${a.origin}/sized.zip`, dest, { expectedSize: 3001 }),
      'UPSTREAM_BAD_RESPONSE',
    );
    assert.equal(
      (await http.downloadToFile(`${a.origin}/sized.zip`, dest, { expectedSize: 3000 })).size,
      3000,
    );
  });
});

describe('concurrency', () => {
  it('keeps at most perHostConnections requests in flight per origin', async () => {
    const server = await startServer('127.0.0.1');
    try {
      server.route('/slow', (_req, res) => void setTimeout(() => sendJson(res, {}), 60));
      const http = client({ perHostConnections: 2 });
      await Promise.all(Array.from({ length: 6 }, () => http.getJson(`${server.origin}/slow`)));
      assert.equal(server.count('/slow'), 6);
      assert.ok(server.inFlight.max <= 2, `max in flight ${server.inFlight.max}`);
    } finally {
      await server.close();
    }
  });

  it('keeps at most `concurrency` requests in flight across hosts', async () => {
    const one = await startServer('127.0.0.1');
    const two = await startServer('127.0.0.2');
    try {
      const load = { now: 0, max: 0 };
      for (const s of [one, two]) {
        s.route('/slow', (_req, res) => {
          load.max = Math.max(load.max, ++load.now);
          setTimeout(() => {
            load.now--;
            sendJson(res, {});
          }, 60);
        });
      }
      const http = client({ concurrency: 3, perHostConnections: 8 });
      const urls = Array.from({ length: 8 }, (_, i) => `${(i % 2 ? one : two).origin}/slow`);
      await Promise.all(urls.map((u) => http.getJson(u)));
      assert.equal(one.count('/slow') + two.count('/slow'), 8);
      assert.ok(load.max <= 3, `max in flight ${load.max}`);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});

describe('proxies', () => {
  it('tunnels through HTTP_PROXY and bypasses it for NO_PROXY hosts', async () => {
    const tunnels: string[] = [];
    const sockets = new Set<Socket>();
    const proxy = createServer();
    proxy.on('connect', (req, clientSocket: Socket, head: Buffer) => {
      tunnels.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = connect(Number(port), host!, () => {
        clientSocket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(clientSocket).pipe(upstream);
      });
      for (const s of [clientSocket, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
      }
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.2', resolve));
    const proxyUrl = `http://127.0.0.2:${(proxy.address() as { port: number }).port}`;
    try {
      a.route('/via-proxy', (_req, res) => sendJson(res, { proxied: true }));
      b.route('/direct', (_req, res) => sendJson(res, { direct: true }));
      const http = new UpstreamHttp({ env: { HTTP_PROXY: proxyUrl, NO_PROXY: '127.0.0.2' }, options: FAST });
      clients.push(http);
      assert.deepEqual((await http.getJson(`${a.origin}/via-proxy`)).value, { proxied: true });
      assert.deepEqual((await http.getJson(`${b.origin}/direct`)).value, { direct: true });
      assert.deepEqual(tunnels, [`127.0.0.1:${a.port}`]);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});
