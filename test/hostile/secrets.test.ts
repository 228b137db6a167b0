/**
 * Secrets (issue 9): runs of the bundled CLI and the bundled action that use a TF_TOKEN_ against a
 * registry that requires it, one that rejects it, one that redirects to another host, and one that
 * echoes the token back in URLs and bodies. No token may appear in any output: stdout, stderr,
 * GITHUB_OUTPUT, the job summary (the action only names it in `::add-mask::`), and the token must
 * never reach another origin.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COMMAND_FILE_VARIABLES } from '../support/actions-env.ts';
import { parseWorkflowCommands } from '../support/actions-harness.ts';
import { startFixtureRegistry, type FixtureRegistry } from '../support/fixture-registry.ts';
import { generateSigningKey } from '../support/pgp.ts';
import { buildZip } from '../support/zip-builder.ts';
import { createWorkspace, type Workspace } from '../engine/support/harness.ts';
import { runBundledAction, runCli } from '../engine/support/processes.ts';
import {
  publishPackage,
  sendBytes,
  startHostileRegistry,
  type HostileRegistry,
} from './support/hostile-registry.ts';

const FIXTURE_HOST = 'registry.example.com';
const HOSTILE_HOST = 'private.example.com';
const TOKEN = 'tok.FIXTURE.atlasv1.1a2b3c4d5e6f7a8b9c0d';
const WRONG = 'tok.WRONG.atlasv1.0f1e2d3c4b5a69788796';
const ECHOED = 'tok+HOSTILE/atlasv1=9f8e7d6c5b4a3f2e1d0c';
const PLAIN_ECHOED = 'tok.PLAIN.atlasv1.5e4d3c2b1a0f9e8d7c6b';
/** A token a URL parser rewrites in a query: `'` → `%27` (encodeURIComponent leaves `'` as it is). */
const QUOTED_ECHOED = "tok'QUOTED.atlasv1.3c2b1a0f9e8d7c6b5a4e";
const GUARD = { timeout: 120_000 };

/** Every form a token could take in a log: as is, percent-encoded, form-encoded, and URL-normalised. */
function forms(secret: string): string[] {
  const inQuery = new URL(`https://h/?t=${secret}`).search.slice(3);
  const inPath = new URL(`https://h/${secret}`).pathname.slice(1);
  return [
    ...new Set([
      secret,
      encodeURIComponent(secret),
      new URLSearchParams({ t: secret }).toString().slice(2),
      inQuery,
      inPath,
    ]),
  ];
}

function assertNoSecret(outputs: Record<string, string>, secrets: readonly string[]): void {
  for (const [where, text] of Object.entries(outputs)) {
    for (const secret of secrets.flatMap(forms)) {
      assert.ok(!text.includes(secret), `${where} shows a token (${secret}):\n${text}`);
    }
  }
}

/** The hostile download document: redirects to a URL carrying the token it got, then echoes it in a non-JSON body. */
function echoingDocument(req: IncomingMessage, res: ServerResponse): void {
  const given = (req.headers.authorization ?? '').replace(/^Bearer /, '');
  if (!req.url?.includes('?t=')) {
    res.writeHead(302, { Location: `${req.url}?t=${encodeURIComponent(given)}`, 'Content-Length': 0 });
    res.end();
    return;
  }
  sendBytes(res, `${given} is not a download document`, 'application/json');
}

describe('secrets: tokens never show in output or leave their origin', () => {
  let fixture: FixtureRegistry;
  let hostile: HostileRegistry;
  let ws: Workspace;
  const fixtureLock = 'fixture/.terraform.lock.hcl';
  const hostileLock = 'hostile/.terraform.lock.hcl';
  const address = `${FIXTURE_HOST}/acme/widget`;

  before(async () => {
    fixture = await startFixtureRegistry({
      providers: [
        {
          hostname: FIXTURE_HOST,
          namespace: 'acme',
          type: 'widget',
          version: '1.0.0',
          platforms: ['linux_amd64'],
        },
      ],
      tokens: { [FIXTURE_HOST]: TOKEN },
      secondOrigin: true,
    });
    hostile = await startHostileRegistry();
    const published = await publishPackage(hostile, await generateSigningKey(), {
      host: HOSTILE_HOST,
      namespace: 'acme',
      type: 'gadget',
      version: '2.0.0',
      platform: 'linux_amd64',
      zip: buildZip([{ name: 'terraform-provider-gadget_v2.0.0', data: 'x'.repeat(100) }]),
    });
    hostile.route(published.documentPath, echoingDocument);
    ws = await createWorkspace();
    await ws.writeLock(fixtureLock, fixture.lockFile([{ address, version: '1.0.0' }], 'both'));
    await ws.writeLock(hostileLock, published.lockFile);
  });
  after(async () => {
    await fixture.close();
    await hostile.close();
    await ws.remove();
  });

  const cli = (lock: string, out: string, env: Record<string, string>) =>
    runCli(
      [
        'mirror',
        '--lockfile',
        lock,
        '--out',
        `site/${out}`,
        ...[...fixture.upstreamArgs(), hostile.upstreamArg(HOSTILE_HOST)].flatMap((u) => ['--upstream', u]),
      ],
      { cwd: ws.root, env },
    );

  it('the CLI: a good token, a rejected one, and a redirect to another host', GUARD, async () => {
    const good = await cli(fixtureLock, 'good', { TF_TOKEN_registry_example_com: TOKEN });
    assert.equal(good.code, 0, good.stderr);
    assert.ok(
      fixture.requests.some((r) => r.authorization === `Bearer ${TOKEN}`),
      'the token was used',
    );

    const rejected = await cli(fixtureLock, 'rejected', { TF_TOKEN_registry_example_com: WRONG });
    assert.equal(rejected.code, 1);
    assert.match(rejected.stderr, /rejected the given credentials .*check TF_TOKEN_registry_example_com/);

    fixture.addFault({ match: /\/download\//, kind: 'redirect-other-host' });
    const redirected = await cli(fixtureLock, 'redirected', { TF_TOKEN_registry_example_com: TOKEN });
    fixture.clearFaults();
    assert.equal(redirected.code, 1);
    const elsewhere = fixture.requests.filter((r) => r.origin === fixture.secondOrigin);
    assert.ok(elsewhere.length > 0, 'the redirect was followed');
    assert.deepEqual(
      elsewhere.map((r) => r.authorization),
      elsewhere.map(() => undefined),
    );
    for (const [name, r] of Object.entries({ good, rejected, redirected })) {
      assertNoSecret({ [`${name} stdout`]: r.stdout, [`${name} stderr`]: r.stderr }, [TOKEN, WRONG]);
    }
  });

  for (const [what, token] of [
    ['a plain token', PLAIN_ECHOED],
    ['a token with + / = (percent-encoded in the URL)', ECHOED],
    ["a token with ' (normalised to %27 by the URL parser)", QUOTED_ECHOED],
  ] as const) {
    it(`the CLI: a registry echoing ${what} in a redirect URL and a body`, GUARD, async () => {
      const echoed = await cli(hostileLock, `echoed-${token.length}-${token[3]}`, {
        TF_TOKEN_private_example_com: token,
      });
      assert.equal(echoed.code, 1);
      assert.match(echoed.stderr, /is not valid JSON/);
      assert.ok(
        hostile.requests.some((r) => r.authorization === `Bearer ${token}`),
        'the token was sent to its host',
      );
      assertNoSecret({ stdout: echoed.stdout, stderr: echoed.stderr }, [token]);
    });
  }

  it('the action: masks every token and shows none, on success and on failure', GUARD, async () => {
    const inputs = {
      platforms: 'linux_amd64',
      upstreams: [...fixture.upstreamArgs(), hostile.upstreamArg(HOSTILE_HOST)].join('\n'),
      cache: 'false',
      publish: 'none',
    };
    const env = { TF_TOKEN_registry_example_com: TOKEN, TF_TOKEN_private_example_com: QUOTED_ECHOED };
    const runs = {
      good: await runBundledAction(
        { ...inputs, lockfiles: fixtureLock, output: 'site/action-good' },
        { workspace: ws.root, temp: path.join(ws.root, 'runner-1'), env },
      ),
      echoed: await runBundledAction(
        { ...inputs, lockfiles: hostileLock, output: 'site/action-echoed' },
        { workspace: ws.root, temp: path.join(ws.root, 'runner-2'), env },
      ),
    };
    assert.equal(runs.good.code, 0, runs.good.stdout);
    assert.equal(runs.echoed.code, 1, runs.echoed.stdout);
    for (const [name, r] of Object.entries(runs)) {
      const masks = parseWorkflowCommands(r.stdout)
        .filter((c) => c.command === 'add-mask')
        .map((c) => c.message);
      assert.ok(
        masks.includes(TOKEN) && masks.includes(QUOTED_ECHOED),
        `${name}: masks ${JSON.stringify(masks)}`,
      );
      const stdout = r.stdout
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::'))
        .join('\n');
      const files = Object.fromEntries(
        COMMAND_FILE_VARIABLES.map((v) => [`${name} ${v}`, readFileSync(r.runnerEnv[v]!, 'utf8')]),
      );
      // What the runner shows: workflow-command data decoded (%25 → %, %0A → newline).
      const shown = stdout.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
      assertNoSecret(
        { [`${name} stdout`]: stdout, [`${name} log`]: shown, [`${name} stderr`]: r.stderr, ...files },
        [TOKEN, QUOTED_ECHOED],
      );
    }
  });
});
