import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startOciFaultProxy } from '../../support/oci-fault-proxy.ts';
import { startOciRegistry, type OciRegistry } from '../../support/oci-registry.ts';
import { startOciTokenServer, type OciTokenServer } from '../../support/oci-token-server.ts';
import { HASHICORP_NULL, TOFU_RANDOM } from '../mirror-fixture.ts';
import { fetchManifest, fixtureMirror, push, tempRoot } from './oci-world.ts';

const USER = { username: 'pusher', password: 's3cret-Pa55word' };
const creds = (password: string) => ({ username: USER.username, password, source: '--username' });
const REPO = 'tofu/registry.opentofu.org/hashicorp/random';
const OTHER = { username: 'other-org', password: 'An0ther-s3cret' };

describe('push-oci to a registry with htpasswd (basic) auth', () => {
  let registry: OciRegistry;
  let root: Awaited<ReturnType<typeof tempRoot>>;
  before(async () => {
    registry = await startOciRegistry({ kind: 'htpasswd', ...USER });
    root = await tempRoot();
  });
  after(async () => {
    await registry?.stop();
    await root?.cleanup();
  });

  it('fails clearly without credentials, and with wrong ones without echoing them', async () => {
    const mirror = await fixtureMirror(root.dir, 'a', [TOFU_RANDOM]);
    await assert.rejects(push(registry, mirror), (err: { code?: string; message?: string }) => {
      assert.equal(err.code, 'OCI_UNAUTHORIZED');
      assert.match(err.message ?? '', /requires authentication credentials/);
      return true;
    });
    await assert.rejects(
      push(registry, mirror, { credentials: creds('wrong-Pa55') }),
      (err: { code?: string; message?: string }) => {
        assert.equal(err.code, 'OCI_UNAUTHORIZED');
        assert.match(err.message ?? '', /rejected the given credentials \(--username\)/);
        assert.ok(!(err.message ?? '').includes('wrong-Pa55'));
        return true;
      },
    );
  });

  it('pushes with --username and a password', async () => {
    const mirror = await fixtureMirror(root.dir, 'b', [TOFU_RANDOM]);
    const result = await push(registry, mirror, { credentials: creds(USER.password) });
    assert.equal(result.manifestsPushed, 2);
  });

  it('never sends the credentials to an upload location on another host', async () => {
    const other = await startOciFaultProxy(registry, { bindHost: '127.0.0.2' });
    const front = await startOciFaultProxy(registry, {
      rewriteLocation: (location) =>
        new URL(new URL(location).pathname + new URL(location).search, `https://${other.host}`).href,
    });
    try {
      const mirror = await fixtureMirror(root.dir, 'x', [
        { ...TOFU_RANDOM, address: { ...TOFU_RANDOM.address, type: 'elsewhere' } },
      ]);
      const pushed = push(registry, mirror, {
        host: front.host,
        credentials: creds(USER.password),
        httpOptions: { retries: 0 },
      });
      await assert.rejects(pushed, (err: { code?: string }) => err.code === 'OCI_UNAUTHORIZED');
      assert.ok(
        front.requests.some((r) => r.authorization),
        'the registry host got the credentials',
      );
      assert.ok(other.requests.length > 0, 'the upload went to the other host');
      assert.ok(
        other.requests.every((r) => !r.authorization),
        'the other host never got them',
      );
    } finally {
      await front.close();
      await other.close();
    }
  });

  it('reads the credentials from ~/.docker/config.json as OpenTofu does', async () => {
    const home = path.join(root.dir, 'home');
    await mkdir(path.join(home, '.docker'), { recursive: true });
    const auth = Buffer.from(`${USER.username}:${USER.password}`).toString('base64');
    await writeFile(
      path.join(home, '.docker', 'config.json'),
      JSON.stringify({ auths: { [registry.host]: { auth } } }),
    );
    const mirror = await fixtureMirror(root.dir, 'c', [TOFU_RANDOM]);
    const result = await push(registry, mirror, { env: { HOME: home } });
    assert.equal(result.blobsUploaded + result.manifestsPushed, 0, 'authenticated, and already up to date');
  });
});

describe('push-oci to a registry with the bearer-token challenge (Distribution auth: token)', () => {
  let tokens: OciTokenServer;
  let registry: OciRegistry;
  let root: Awaited<ReturnType<typeof tempRoot>>;
  before(async () => {
    tokens = await startOciTokenServer(USER, OTHER);
    registry = await startOciRegistry({ kind: 'token', ...tokens });
    root = await tempRoot();
  });
  after(async () => {
    await registry?.stop();
    await tokens?.close();
    await root?.cleanup();
  });

  it('gets a push token for the repository from the realm and pushes with it', async () => {
    const mirror = await fixtureMirror(root.dir, 'a', [TOFU_RANDOM]);
    const result = await push(registry, mirror, { credentials: creds(USER.password) });
    assert.equal(result.manifestsPushed, 2);
    assert.deepEqual(tokens.requests.at(-1), {
      scope: `repository:${REPO}:pull,push`,
      service: tokens.service,
      user: USER.username,
    });
    const anonymous = await fetchManifest(registry, REPO, '3.6.0');
    assert.equal(anonymous.status, 401, 'the registry really requires a token');
  });

  it("uses each repository's own credentials from the config file, also on one registry", async () => {
    // The longest `registry/prefix` entry wins per repository: two repositories of one registry here.
    const home = path.join(root.dir, 'home-two-orgs');
    await mkdir(path.join(home, '.docker'), { recursive: true });
    const auth = (u: { username: string; password: string }) => ({
      auth: Buffer.from(`${u.username}:${u.password}`).toString('base64'),
    });
    const auths = {
      [`${registry.host}/tofu/registry.opentofu.org`]: auth(USER),
      [`${registry.host}/tofu/registry.terraform.io`]: auth(OTHER),
    };
    await writeFile(path.join(home, '.docker', 'config.json'), JSON.stringify({ auths }));
    const mirror = await fixtureMirror(root.dir, 'two-orgs', [TOFU_RANDOM, HASHICORP_NULL]);
    const before = tokens.requests.length;
    await push(registry, mirror, { env: { HOME: home } });
    const users = new Map<string, Set<string | undefined>>();
    for (const r of tokens.requests.slice(before)) {
      const host = /repository:tofu\/([^/]+)\//.exec(r.scope ?? '')?.[1] ?? 'none';
      users.set(host, (users.get(host) ?? new Set()).add(r.user));
    }
    assert.deepEqual(Object.fromEntries([...users].map(([host, u]) => [host, [...u]])), {
      'registry.opentofu.org': [USER.username],
      'registry.terraform.io': [OTHER.username],
    });
  });

  it('fails clearly when the token server rejects the credentials', async () => {
    const mirror = await fixtureMirror(root.dir, 'b', [TOFU_RANDOM]);
    await assert.rejects(
      push(registry, mirror, { credentials: creds('nope-nope') }),
      (err: { code?: string; message?: string }) => {
        assert.equal(err.code, 'OCI_UNAUTHORIZED');
        assert.match(err.message ?? '', /rejected the given credentials/);
        return true;
      },
    );
  });
});
