import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isRepoxyError } from '../../src/domain/errors.ts';
import type { ErrorCode } from '../../src/domain/errors.ts';
import {
  discoveryUrl,
  parseUpstreamOverride,
  parseUpstreamOverrides,
  providersServiceUrl,
  ServiceDiscovery,
} from '../../src/upstream/discovery.ts';
import { UpstreamHttp } from '../../src/upstream/http.ts';
import { redirect, sendBytes, sendJson, startServer } from './helpers/server.ts';
import type { TestServer } from './helpers/server.ts';

let a: TestServer;
let b: TestServer;
const clients: UpstreamHttp[] = [];

before(async () => {
  [a, b] = await Promise.all([startServer('127.0.0.1'), startServer('127.0.0.2')]);
});

after(async () => {
  await Promise.all(clients.map((h) => h.close()));
  await Promise.all([a.close(), b.close()]);
});

function throwsCode(fn: () => unknown, code: ErrorCode, pattern?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isRepoxyError(err));
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

/** A discovery instance that looks `host` up under `${a.origin}${basePath}`. */
function discoveryFor(host: string, basePath: string, env: NodeJS.ProcessEnv = {}) {
  const http = new UpstreamHttp({ env, options: { retries: 0 } });
  clients.push(http);
  return {
    http,
    discovery: new ServiceDiscovery({ http, env, overrides: new Map([[host, `${a.origin}${basePath}`]]) }),
  };
}

async function discoveryFails(
  host: string,
  basePath: string,
  code: ErrorCode,
  pattern: RegExp,
): Promise<void> {
  const { discovery } = discoveryFor(host, basePath);
  await assert.rejects(discovery.providersService(host), (err: unknown) => {
    assert.ok(isRepoxyError(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('discovery URL and --upstream overrides', () => {
  it('looks at https://HOST/.well-known/terraform.json by default, in ASCII form, port kept', () => {
    const none = new Map<string, string>();
    assert.equal(
      discoveryUrl('registry.opentofu.org', none),
      'https://registry.opentofu.org/.well-known/terraform.json',
    );
    assert.equal(discoveryUrl('café.fr', none), 'https://xn--caf-dma.fr/.well-known/terraform.json');
    assert.equal(
      discoveryUrl('example.com:8443', none),
      'https://example.com:8443/.well-known/terraform.json',
    );
    assert.equal(discoveryUrl('example.com:443', none), 'https://example.com/.well-known/terraform.json');
  });

  it('looks under the override base, with or without a trailing slash', () => {
    const overrides = parseUpstreamOverrides([
      'registry.opentofu.org=http://127.0.0.1:8080/mirror',
      'café.fr=https://cafe.example/base/',
    ]);
    assert.equal(
      discoveryUrl('registry.opentofu.org', overrides),
      'http://127.0.0.1:8080/mirror/.well-known/terraform.json',
    );
    assert.equal(
      discoveryUrl('xn--caf-dma.fr', overrides),
      'https://cafe.example/base/.well-known/terraform.json',
    );
  });

  it('parses HOST=URL into the comparison form of HOST and a base ending in /', () => {
    assert.deepEqual(parseUpstreamOverride('Registry.OpenTofu.org=https://r.example.com/x'), {
      host: 'registry.opentofu.org',
      url: 'https://r.example.com/x/',
    });
    assert.deepEqual(parseUpstreamOverride('localhost:9000=http://[::1]:9000'), {
      host: 'localhost:9000',
      url: 'http://[::1]:9000/',
    });
  });

  it('refuses malformed overrides with INPUT_INVALID', () => {
    const bad: [string, RegExp][] = [
      ['registry.opentofu.org', /HOST=URL/],
      ['=https://x/', /HOST=URL/],
      ['a b=https://x/', /not a hostname/],
      ['h.example=ftp://x/', /http\(s\)/],
      ['h.example=http://example.com/', /plain http/],
      ['h.example=not a url', /not a valid URL/],
      ['h.example=https://user:pw@x.example/', /credentials/],
      ['h.example=https://x.example/?q=1', /query/],
    ];
    for (const [text, pattern] of bad)
      throwsCode(() => parseUpstreamOverride(text), 'INPUT_INVALID', pattern);
    throwsCode(
      () => parseUpstreamOverrides(['h.example=https://x/', 'H.EXAMPLE=https://y/']),
      'INPUT_INVALID',
      /more than once/,
    );
  });
});

describe('providers.v1 (PROTOCOL.md §2.1)', () => {
  const doc = 'https://registry.example.com/.well-known/terraform.json';

  it('resolves relative values against the document URL and ends them in /', () => {
    assert.equal(
      providersServiceUrl({ 'providers.v1': '/v1/providers/' }, doc, 'h'),
      'https://registry.example.com/v1/providers/',
    );
    assert.equal(
      providersServiceUrl({ 'providers.v1': 'api/p' }, doc, 'h'),
      'https://registry.example.com/.well-known/api/p/',
    );
    assert.equal(
      providersServiceUrl({ 'providers.v1': 'https://o.example/p/#x' }, doc, 'h'),
      'https://o.example/p/',
    );
  });

  it('refuses what OpenTofu refuses, and plain http off loopback', () => {
    const cases: [unknown, RegExp][] = [
      [[], /not a JSON object/],
      [null, /not a JSON object/],
      [{}, /does not provide a providers service/],
      [{ 'modules.v1': '/m/' }, /does not provide a providers service/],
      [{ 'providers.v2': '/v2/' }, /providers\.v2 but not providers\.v1/],
      [{ 'providers.v1': 1 }, /must be a string/],
      [{ 'providers.v1': 'ftp://x/' }, /http\(s\)/],
      [{ 'providers.v1': 'http://registry.example.com/v1/' }, /plain http/],
      [{ 'providers.v1': 'https://u:p@x.example/' }, /user information/],
    ];
    for (const [value, pattern] of cases) {
      throwsCode(() => providersServiceUrl(value, doc, 'h'), 'UPSTREAM_DISCOVERY', pattern);
    }
  });
});

describe('service discovery over HTTP', () => {
  it('finds providers.v1 relative to the final document URL, once per host', async () => {
    a.route('/d1/.well-known/terraform.json', (_req, res) => redirect(res, '/d1/moved/terraform.json'));
    a.route('/d1/moved/terraform.json', (_req, res) => sendJson(res, { 'providers.v1': 'providers/' }));
    const { http, discovery } = discoveryFor('reg.example.test', '/d1');
    const [one, two] = await Promise.all([
      discovery.providersService('reg.example.test'),
      discovery.providersService('REG.example.test'),
    ]);
    assert.equal(one.baseUrl, `${a.origin}/d1/moved/providers/`);
    assert.equal(two, one);
    assert.equal(http.requestCount, 2, 'one document fetch (plus its redirect)');
  });

  it('sends the host token to the host, and follows providers.v1 to another host', async () => {
    a.route('/d2/.well-known/terraform.json', (_req, res) =>
      sendJson(res, { 'providers.v1': `${b.origin}/v1/` }),
    );
    const { discovery } = discoveryFor('reg.example.test', '/d2/', { TF_TOKEN_reg_example_test: 'tok-d2' });
    const service = await discovery.providersService('reg.example.test');
    assert.equal(service.baseUrl, `${b.origin}/v1/`);
    assert.equal(service.auth.token, 'tok-d2');
    assert.equal(service.auth.origin, a.origin, 'the token stays bound to the origin standing for the host');
    const seen = a.requests.find((r) => r.path === '/d2/.well-known/terraform.json');
    assert.equal(seen?.headers.authorization, 'Bearer tok-d2');
    assert.equal(seen?.headers.accept, 'application/json');
  });

  it('reports a 404 as a host without a providers service', async () => {
    await discoveryFails(
      'reg.example.test',
      '/d404/',
      'UPSTREAM_DISCOVERY',
      /does not provide a providers service/,
    );
  });

  it('refuses invalid JSON, a non-object, a wrong Content-Type and providers.v2 only', async () => {
    a.route('/d-bad/.well-known/terraform.json', (_req, res) =>
      sendBytes(res, Buffer.from('{'), 'application/json'),
    );
    a.route('/d-arr/.well-known/terraform.json', (_req, res) => sendJson(res, ['providers.v1']));
    a.route('/d-html/.well-known/terraform.json', (_req, res) =>
      sendBytes(res, Buffer.from('{}'), 'text/html'),
    );
    a.route('/d-v2/.well-known/terraform.json', (_req, res) => sendJson(res, { 'providers.v2': '/v2/' }));
    await discoveryFails('reg.example.test', '/d-bad/', 'UPSTREAM_DISCOVERY', /not valid JSON/);
    await discoveryFails('reg.example.test', '/d-arr/', 'UPSTREAM_DISCOVERY', /not a JSON object/);
    await discoveryFails('reg.example.test', '/d-html/', 'UPSTREAM_DISCOVERY', /application\/json/);
    await discoveryFails(
      'reg.example.test',
      '/d-v2/',
      'UPSTREAM_DISCOVERY',
      /providers\.v2 but not providers\.v1/,
    );
  });

  it('refuses a discovery document over 1 MiB', async () => {
    const big = { 'providers.v1': '/v1/', pad: 'x'.repeat(1024 * 1024) };
    a.route('/d-big/.well-known/terraform.json', (_req, res) => sendJson(res, big));
    await discoveryFails(
      'reg.example.test',
      '/d-big/',
      'UPSTREAM_TOO_LARGE',
      /service discovery for reg\.example\.test/,
    );
  });

  it('keeps the HTTP error code and names the host for other failures', async () => {
    a.route('/d-401/.well-known/terraform.json', (_req, res) => void res.writeHead(401).end());
    await discoveryFails(
      'my-corp.example.test',
      '/d-401/',
      'UPSTREAM_UNAUTHORIZED',
      /service discovery for my-corp\.example\.test: .*set TF_TOKEN_my__corp_example_test/,
    );
  });
});
