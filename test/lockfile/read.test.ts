import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isRepoxyError } from '../../src/domain/errors.ts';
import { MAX_LOCK_FILE_BYTES } from '../../src/lockfile/parse.ts';
import { readLockFiles } from '../../src/lockfile/read.ts';
import { lockFileText } from '../support/lockfile-fixtures.ts';

const LOCK = '.terraform.lock.hcl';

function lockFor(type: string): string {
  return lockFileText([{ address: `registry.opentofu.org/hashicorp/${type}`, version: '1.0.0' }]);
}

async function put(root: string, rel: string, text: string): Promise<void> {
  const full = path.join(root, rel);
  await mkdir(path.dirname(full), { recursive: true });
  await writeFile(full, text);
}

async function rejectsWith(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err) => {
    assert.ok(isRepoxyError(err), String(err));
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

describe('readLockFiles', () => {
  let root: string;
  let outside: string;

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'repoxy-lockfiles-'));
    outside = await mkdtemp(path.join(os.tmpdir(), 'repoxy-lockfiles-outside-'));
    await put(root, `envs/prod/${LOCK}`, lockFor('aws'));
    await put(root, `envs/dev/nested/deeper/${LOCK}`, lockFor('null'));
    await put(root, LOCK, lockFor('tls'));
    await put(root, `.hidden/${LOCK}`, lockFor('random'));
    await put(root, `node_modules/pkg/${LOCK}`, lockFor('ignored1'));
    await put(root, `envs/prod/.terraform/modules/m/${LOCK}`, lockFor('ignored2'));
    await put(root, `.git/${LOCK}`, lockFor('ignored3'));
    await put(root, 'envs/prod/other.hcl', lockFor('other'));
    await put(root, 'bad/.terraform.lock.hcl', 'provider "hashicorp/null" {\n}\n');
    await put(outside, LOCK, lockFor('outside'));
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('finds nested and dot-directory lock files with **, skipping node_modules, .terraform and .git', async () => {
    const files = await readLockFiles([`**/${LOCK}`], { cwd: root });
    assert.deepEqual(
      files.map((f) => f.path),
      [LOCK, `.hidden/${LOCK}`, `bad/${LOCK}`, `envs/dev/nested/deeper/${LOCK}`, `envs/prod/${LOCK}`].sort(),
    );
    const prod = files.find((f) => f.path === `envs/prod/${LOCK}`)!;
    assert.deepEqual(prod.diagnostics, []);
    assert.equal(prod.providers[0]!.address.type, 'aws');
  });

  it('returns problems inside a file as diagnostics with the reported path', async () => {
    const [bad] = await readLockFiles([`bad/${LOCK}`], { cwd: root });
    assert.deepEqual(
      bad!.diagnostics.map((d) => [d.path, d.line, d.code]),
      [[`bad/${LOCK}`, 1, 'LOCK_BAD_ADDRESS']],
    );
  });

  it('reads literal paths, dedupes a file named twice, and sorts by path', async () => {
    const files = await readLockFiles(
      [`envs/prod/${LOCK}`, 'envs/*/.terraform.lock.hcl', `./${LOCK}`, LOCK],
      {
        cwd: root,
      },
    );
    assert.deepEqual(
      files.map((f) => f.path),
      [LOCK, `envs/prod/${LOCK}`],
    );
  });

  it('reads a literal path inside an ignored directory when named explicitly', async () => {
    const files = await readLockFiles([`node_modules/pkg/${LOCK}`], { cwd: root });
    assert.equal(files[0]!.providers[0]!.address.type, 'ignored1');
  });

  it('reports paths outside cwd as absolute', async () => {
    const abs = path.join(outside, LOCK);
    const files = await readLockFiles([abs], { cwd: root });
    assert.deepEqual(
      files.map((f) => f.path),
      [abs.split(path.sep).join('/')],
    );
  });

  it('refuses a missing literal path, naming it', async () => {
    await rejectsWith(
      readLockFiles(['envs/nope/.terraform.lock.hcl'], { cwd: root }),
      'LOCK_NOT_FOUND',
      /envs\/nope/,
    );
  });

  it('for a missing absolute path, names it without the working directory it was not looked in', async () => {
    const missing = path.join(root, 'envs/nope/.terraform.lock.hcl');
    const err = await readLockFiles([missing], { cwd: '/' }).then(
      () => assert.fail('resolved'),
      (e: unknown) => e as Error,
    );
    assert.equal(err.message, `lock file "${missing}" does not exist`);
    const relative = await readLockFiles(['envs/nope/.terraform.lock.hcl'], { cwd: root }).then(
      () => assert.fail('resolved'),
      (e: unknown) => e as Error,
    );
    assert.match(relative.message, new RegExp(`\\(looked in ${root.replaceAll('/', '\\/')}\\)$`));
  });

  it('refuses a glob that matches nothing, naming it', async () => {
    await rejectsWith(
      readLockFiles(['**/*.lock.nothing'], { cwd: root }),
      'LOCK_NOT_FOUND',
      /\*\*\/\*\.lock\.nothing/,
    );
  });

  it('refuses a directory given as a lock file, and an empty list', async () => {
    await rejectsWith(readLockFiles(['envs'], { cwd: root }), 'LOCK_NOT_FOUND', /"envs" is not a file/);
    await rejectsWith(readLockFiles([], { cwd: root }), 'INPUT_INVALID', /no lock files/);
  });

  it('refuses a file over the size limit with a diagnostic, without reading it', async () => {
    const big = path.join(root, 'big', LOCK);
    await mkdir(path.dirname(big), { recursive: true });
    await writeFile(big, '');
    await truncate(big, MAX_LOCK_FILE_BYTES + 1);
    const [file] = await readLockFiles([`big/${LOCK}`], { cwd: root });
    assert.deepEqual(
      file!.diagnostics.map((d) => [d.path, d.line, d.code]),
      [[`big/${LOCK}`, 1, 'LOCK_TOO_LARGE']],
    );
    await rm(path.dirname(big), { recursive: true });
  });

  it('reports bytes that are not UTF-8 at their line', async () => {
    await writeFile(
      path.join(root, 'latin1.hcl'),
      Buffer.concat([Buffer.from('# ok\n# caf'), Buffer.from([0xe9]), Buffer.from('\n')]),
    );
    const [file] = await readLockFiles(['latin1.hcl'], { cwd: root });
    assert.deepEqual(
      file!.diagnostics.map((d) => [d.path, d.line, d.col, d.code]),
      [['latin1.hcl', 2, 6, 'LOCK_ENCODING']],
    );
  });
});
