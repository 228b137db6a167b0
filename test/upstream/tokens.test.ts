import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  hostForComparison,
  hostOfTokenVariable,
  listTokens,
  redactMessage,
  redactSecrets,
  tokenForHost,
  tokenVariableName,
} from '../../src/upstream/tokens.ts';

describe('TF_TOKEN_ decoding (PROTOCOL.md §2.5)', () => {
  const table: [variable: string, host: string][] = [
    ['TF_TOKEN_app_opentofu_org', 'app.opentofu.org'],
    ['TF_TOKEN_my__corp_example_com', 'my-corp.example.com'],
    ['TF_TOKEN_xn____caf__dma_fr', 'xn--caf-dma.fr'],
    ['TF_TOKEN_café_fr', 'xn--caf-dma.fr'],
    ['TF_TOKEN_xn--caf-dma.fr', 'xn--caf-dma.fr'],
    ['TF_TOKEN_APP_OPENTOFU_ORG', 'app.opentofu.org'],
  ];
  for (const [variable, host] of table) {
    it(`decodes ${variable} to ${host}`, () => {
      assert.equal(hostOfTokenVariable(variable), host);
    });
  }

  it('ignores names that do not decode to a hostname', () => {
    for (const name of [
      'TF_TOKEN_',
      'TF_TOKEN_a@b_com',
      'TF_TOKEN_a/b',
      'TF_TOKEN_ex ample_com',
      'TF_TOKENX_a_com',
    ]) {
      assert.equal(hostOfTokenVariable(name), undefined, name);
    }
    const env = { 'TF_TOKEN_a@b_com': 'nope', TF_TOKEN_b_com: 'yes' };
    assert.equal(tokenForHost(env, 'b.com'), 'yes');
    assert.equal(tokenForHost(env, 'a@b.com'), undefined);
  });

  it('finds a token by Unicode or punycode hostname, in any case', () => {
    const env = { TF_TOKEN_xn____caf__dma_fr: 'tok-cafe', TF_TOKEN_my__corp_example_com: 'tok-corp' };
    assert.equal(tokenForHost(env, 'café.fr'), 'tok-cafe');
    assert.equal(tokenForHost(env, 'CAFÉ.fr'), 'tok-cafe');
    assert.equal(tokenForHost(env, 'xn--caf-dma.fr'), 'tok-cafe');
    assert.equal(tokenForHost(env, 'My-Corp.Example.com'), 'tok-corp');
    assert.equal(tokenForHost(env, 'corp.example.com'), undefined);
    assert.equal(tokenForHost({ TF_TOKEN_café_fr: 'unicode-name' }, 'xn--caf-dma.fr'), 'unicode-name');
  });

  it('treats :443 as no port and keeps any other port apart', () => {
    const env = { TF_TOKEN_registry_example_com: 'tok' };
    assert.equal(tokenForHost(env, 'registry.example.com:443'), 'tok');
    assert.equal(tokenForHost(env, 'registry.example.com:8443'), undefined);
  });

  it('lets the last of several names for one host win and reads an empty value as no token', () => {
    assert.equal(tokenForHost({ TF_TOKEN_a_com: 'first', TF_TOKEN_A_COM: 'second' }, 'a.com'), 'second');
    assert.equal(tokenForHost({ TF_TOKEN_a_com: '' }, 'a.com'), undefined);
  });
});

describe('token helpers', () => {
  it('lists every non-empty TF_TOKEN_ value, including ones with unusable names', () => {
    const env = {
      TF_TOKEN_a_com: 'one',
      'TF_TOKEN_@@': 'two',
      TF_TOKEN_b_com: '',
      PATH: '/bin',
      TF_TOKEN_c_com: 'one',
    };
    assert.deepEqual(listTokens(env).sort(), ['one', 'two']);
  });

  it('replaces every occurrence of every secret, longest first', () => {
    const text = 'GET https://x/?t=abc123 failed; token abc123 or abc';
    assert.equal(redactSecrets(text, ['abc', 'abc123', '']), 'GET https://x/?t=*** failed; token *** or ***');
  });

  it('redacts the forms a URL parser normalises a token to, in every part of a URL', () => {
    const token = 'to\'k en"<x>`{y}';
    const url = new URL('https://u:p@h/');
    const shown: string[] = [];
    for (const part of ['search', 'pathname', 'hash', 'username', 'password'] as const) {
      const u = new URL(url);
      u[part] = token;
      shown.push(u.href);
    }
    shown.push(new URL(`https://h/x?t=${token}`).href, `https://h/${encodeURIComponent(token)}`);
    shown.push(`https://h/${encodeURIComponent(token).toLowerCase()}`);
    const text = redactSecrets(shown.join('\n'), [token]);
    for (const line of text.split('\n')) {
      assert.ok(!/to.{0,3}k/.test(line), `a token form survived: ${line}`);
    }
    assert.ok(shown.some((l) => l.includes("to'k%20en")) && shown.some((l) => l.includes('to%27k%20en')));
  });

  it('drops query strings from URLs in messages, then redacts', () => {
    const text =
      'GET "https://h/dl?X-Amz-Signature=abc&t=1" then http://h:8/p?q=1#frag and https://h/plain failed';
    assert.equal(
      redactMessage(`${text} (token sec'ret)`, ["sec'ret"]),
      'GET "https://h/dl" then http://h:8/p#frag and https://h/plain failed (token ***)',
    );
  });

  it('names the variable a user should set', () => {
    assert.equal(tokenVariableName('my-corp.example.com'), 'TF_TOKEN_my__corp_example_com');
    assert.equal(tokenVariableName('café.fr'), 'TF_TOKEN_xn____caf__dma_fr');
    assert.equal(tokenVariableName('127.0.0.1:8080'), 'TF_TOKEN_127_0_0_1');
  });

  it('normalizes hostnames the way svchost.ForComparison does', () => {
    assert.equal(hostForComparison('Registry.OpenTofu.org'), 'registry.opentofu.org');
    assert.equal(hostForComparison('café.fr'), 'xn--caf-dma.fr');
    assert.equal(hostForComparison('example.com:443'), 'example.com');
    assert.equal(hostForComparison('example.com/x'), undefined);
  });
});
