import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Agent, request } from 'undici';
import {
  generateLoopbackCertificate,
  writeTrustBundle,
  type LoopbackCertificate,
} from '../../src/serve/certificate.ts';
import { startMirrorServer, type MirrorServer } from '../../src/serve/https-server.ts';
import { buildFixtureMirror } from '../publish/mirror-fixture.ts';

let scratch: string;
let mirror: string;
let cert: LoopbackCertificate;
let server: MirrorServer;
let trusting: Agent;
const INDEX = 'registry.terraform.io/hashicorp/null/index.json';
const ZIP = 'registry.terraform.io/hashicorp/null/terraform-provider-null_3.2.1_linux_amd64.zip';

/** A raw GET with the path sent exactly as given (undici and URL would normalise `..`). */
function rawGet(rawPath: string, method = 'GET'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port: server.port, path: rawPath, method, ca: cert.caCertPem },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('the local HTTPS mirror server', () => {
  before(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'repoxy-https-'));
    mirror = path.join(scratch, 'mirror');
    await buildFixtureMirror(mirror, path.join(scratch, 'zips'));
    writeFileSync(path.join(scratch, 'secret.json'), '{"secret":true}');
    symlinkSync(path.join(scratch, 'secret.json'), path.join(mirror, 'escape.json'));
    cert = await generateLoopbackCertificate();
    server = await startMirrorServer(mirror, cert);
    trusting = new Agent({ connect: { ca: cert.caCertPem } });
  });
  after(async () => {
    await trusting?.close();
    await server?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('listens on 127.0.0.1 with a URL ending in /', () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
  });

  test('answers index.json with application/json to a client trusting only the generated CA', async () => {
    const res = await request(new URL(INDEX, server.url), { dispatcher: trusting });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.deepEqual(Buffer.from(await res.body.arrayBuffer()), readFileSync(path.join(mirror, INDEX)));
  });

  test('serves archives byte for byte, and HEAD without a body', async () => {
    const res = await request(new URL(ZIP, server.url), { dispatcher: trusting });
    assert.equal(res.headers['content-type'], 'application/zip');
    const body = Buffer.from(await res.body.arrayBuffer());
    assert.deepEqual(body, readFileSync(path.join(mirror, ZIP)));
    const head = await request(new URL(ZIP, server.url), { dispatcher: trusting, method: 'HEAD' });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['content-length'], String(body.length));
    assert.equal((await head.body.arrayBuffer()).byteLength, 0);
  });

  test('a client without the CA refuses the connection', async () => {
    const plain = new Agent();
    try {
      await assert.rejects(
        request(new URL(INDEX, server.url), { dispatcher: plain }),
        (err: Error & { code?: string }) => {
          assert.match(String(err.code ?? err.message), /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/);
          return true;
        },
      );
    } finally {
      await plain.close();
    }
  });

  test('a client trusting another CA refuses the connection', async () => {
    const other = await generateLoopbackCertificate();
    const wrong = new Agent({ connect: { ca: other.caCertPem } });
    try {
      await assert.rejects(request(new URL(INDEX, server.url), { dispatcher: wrong }));
    } finally {
      await wrong.close();
    }
  });

  test('404 for missing files and directories, with no listing', async () => {
    for (const p of [
      '/registry.terraform.io/hashicorp/null/9.9.9.json',
      '/',
      '/registry.terraform.io/',
      '/registry.terraform.io/hashicorp/null',
    ]) {
      const res = await request(new URL(p, server.url), { dispatcher: trusting });
      assert.equal(res.statusCode, 404, p);
      assert.equal(await res.body.text(), 'not found\n');
    }
  });

  test('never leaves the mirror: .., encoded slashes, NUL and symlinks out are 404', async () => {
    for (const p of [
      '/../secret.json',
      '/registry.terraform.io/../../secret.json',
      '/%2e%2e/secret.json',
      '/..%2fsecret.json',
      '/registry.terraform.io%2f..%2f..%2fsecret.json',
      '/index.json%00',
      '/escape.json',
    ]) {
      assert.equal(await rawGet(p), 404, p);
    }
  });

  test('a CA bundle made from the system bundle reaches the mirror', async () => {
    const bundle = path.join(scratch, 'system.pem');
    const { base } = await writeTrustBundle(bundle, cert.caCertPem, {});
    assert.ok(base, 'this machine has a system CA bundle');
    const text = readFileSync(bundle, 'utf8');
    assert.ok(text.startsWith(readFileSync(base, 'utf8').slice(0, 200)));
    assert.ok(text.endsWith(cert.caCertPem.endsWith('\n') ? cert.caCertPem : `${cert.caCertPem}\n`));
    const agent = new Agent({ connect: { ca: text } });
    try {
      const res = await request(new URL(INDEX, server.url), { dispatcher: agent });
      assert.equal(res.statusCode, 200);
      await res.body.dump();
    } finally {
      await agent.close();
    }
  });

  test('answers 405 to anything but GET and HEAD', async () => {
    assert.equal(await rawGet(`/${INDEX}`, 'POST'), 405);
    assert.equal(await rawGet(`/${INDEX}`, 'DELETE'), 405);
  });
});

describe('the exported CA bundle', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'repoxy-bundle-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('is the roots trusted so far followed by the local CA', async () => {
    const base = path.join(dir, 'corporate.pem');
    writeFileSync(base, '-----BEGIN CERTIFICATE-----\nCORPORATE\n-----END CERTIFICATE-----');
    const bundle = path.join(dir, 'bundle.pem');
    const { base: used } = await writeTrustBundle(bundle, 'LOCAL-CA\n', { SSL_CERT_FILE: base });
    assert.equal(used, base);
    assert.equal(
      readFileSync(bundle, 'utf8'),
      '-----BEGIN CERTIFICATE-----\nCORPORATE\n-----END CERTIFICATE-----\nLOCAL-CA\n',
    );
  });

  test('a mirror directory that is not a directory is refused', async () => {
    const file = path.join(dir, 'file');
    mkdirSync(path.join(dir, 'sub'));
    writeFileSync(file, 'x');
    await assert.rejects(startMirrorServer(file, cert), /not a directory/);
  });
});
