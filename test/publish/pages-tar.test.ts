import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isRepoxyError } from '../../src/domain/errors.ts';
import {
  listPagesEntries,
  pagesTarSize,
  PAGES_TAR_MTIME,
  writePagesTar,
  writePagesTarOfDir,
} from '../../src/publish/pages-tar.ts';
import { buildFixtureMirror, listTree } from './mirror-fixture.ts';
import { readTar } from './tar-reader.ts';

let scratch: string;
let mirror: string;
let counter = 0;

function fresh(name: string): string {
  const dir = path.join(scratch, `${name}-${++counter}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** GNU tar's verbose listing: one line per entry, the first character its type. */
function systemTarList(tar: string): string[] {
  return execFileSync('tar', ['-tvf', tar], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe('the github-pages tar', () => {
  before(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'repoxy-pages-tar-'));
    mirror = path.join(scratch, 'mirror');
    await buildFixtureMirror(mirror, path.join(scratch, 'zips'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test('holds ./-relative files and directories only, no hidden names but .nojekyll and .well-known', async () => {
    const tar = path.join(fresh('plain'), 'artifact.tar');
    const written = await writePagesTarOfDir(mirror, tar);
    const headers = readTar(readFileSync(tar));
    assert.equal(headers[0]?.name, './');
    for (const h of headers) {
      assert.ok(h.name.startsWith('./'), h.name);
      assert.ok(h.typeflag === '0' || h.typeflag === '5', `${h.name} has type ${h.typeflag}`);
      assert.equal(h.linkname, '');
      assert.equal(h.magic, 'ustar\u000000');
      assert.ok(h.checksumValid, h.name);
      assert.equal(h.mode, h.typeflag === '5' ? 0o755 : 0o644);
      assert.equal(h.mtime, PAGES_TAR_MTIME);
      assert.equal(h.typeflag === '5', h.name.endsWith('/'));
      const hidden = h.name.split('/').filter((s) => s.startsWith('.') && s !== '.');
      assert.ok(
        hidden.every((s) => s === '.nojekyll' || s === '.well-known'),
        h.name,
      );
    }
    assert.ok(headers.some((h) => h.name === './.nojekyll' && h.size === 0));
    assert.ok(headers.some((h) => h.name === './registry.terraform.io/hashicorp/null/index.json'));
    assert.equal(written.bytes, statSync(tar).size);
    assert.equal(written.bytes % 10240, 0);
    assert.equal(written.files + written.directories, headers.length);
  });

  test('GNU tar lists no links and extracts a byte-identical tree', async () => {
    const dir = fresh('roundtrip');
    const tar = path.join(dir, 'artifact.tar');
    await writePagesTarOfDir(mirror, tar);
    for (const line of systemTarList(tar)) assert.match(line, /^[-d]/, line);
    const out = path.join(dir, 'out');
    mkdirSync(out);
    execFileSync('tar', ['-xf', tar, '-C', out]);
    const tree = await listTree(mirror);
    assert.deepEqual(await listTree(out), tree);
    for (const rel of tree.filter((r) => !r.endsWith('/'))) {
      assert.deepEqual(readFileSync(path.join(out, rel)), readFileSync(path.join(mirror, rel)), rel);
    }
  });

  test('is deterministic and its size is known before writing', async () => {
    const [a, b] = [path.join(fresh('det'), 'a.tar'), path.join(fresh('det'), 'b.tar')];
    const entries = await listPagesEntries(mirror);
    await writePagesTar(entries, a);
    await writePagesTar(await listPagesEntries(mirror), b);
    assert.deepEqual(readFileSync(a), readFileSync(b));
    assert.equal(pagesTarSize(entries), statSync(a).size);
    const names = readTar(readFileSync(a)).map((h) => h.name);
    const sorted = [...names].sort((x, y) =>
      Buffer.compare(Buffer.from(x.replace(/\/$/, '')), Buffer.from(y.replace(/\/$/, ''))),
    );
    assert.deepEqual(names, sorted);
  });

  test('leaves out .git and .github, as upload-pages-artifact does', async () => {
    const site = fresh('git');
    writeFileSync(path.join(site, 'index.json'), '{}');
    mkdirSync(path.join(site, '.git'));
    writeFileSync(path.join(site, '.git', 'HEAD'), 'ref');
    mkdirSync(path.join(site, 'a', '.github'), { recursive: true });
    writeFileSync(path.join(site, 'a', '.github', 'x'), 'x');
    const tar = path.join(fresh('git-out'), 'artifact.tar');
    await writePagesTarOfDir(site, tar);
    assert.deepEqual(
      readTar(readFileSync(tar)).map((h) => h.name),
      ['./', './a/', './index.json'],
    );
  });

  test('refuses a symbolic link, naming it', async () => {
    const site = fresh('symlink');
    writeFileSync(path.join(site, 'real.json'), '{}');
    symlinkSync('/etc/hostname', path.join(site, 'leak.json'));
    await assert.rejects(listPagesEntries(site), (err: unknown) => {
      assert.ok(isRepoxyError(err));
      assert.equal(err.code, 'PUBLISH');
      assert.match(err.message, /leak\.json is a symbolic link/);
      return true;
    });
  });

  test('refuses a named pipe', async () => {
    const site = fresh('fifo');
    execFileSync('mkfifo', [path.join(site, 'pipe')]);
    await assert.rejects(listPagesEntries(site), /pipe is a named pipe/);
  });

  test('writes a hard-linked file as a regular file (tar --hard-dereference)', async () => {
    const site = fresh('hardlink');
    writeFileSync(path.join(site, 'a.zip'), 'same bytes');
    linkSync(path.join(site, 'a.zip'), path.join(site, 'b.zip'));
    const tar = path.join(fresh('hardlink-out'), 'artifact.tar');
    await writePagesTarOfDir(site, tar);
    const headers = readTar(readFileSync(tar));
    assert.deepEqual(
      headers.map((h) => [h.name, h.typeflag, h.data.toString()]),
      [
        ['./', '5', ''],
        ['./a.zip', '0', 'same bytes'],
        ['./b.zip', '0', 'same bytes'],
      ],
    );
  });

  test('long names use the ustar prefix or a pax path, and GNU tar extracts them', async () => {
    const site = fresh('long');
    const mid = `${'d'.repeat(60)}/${'e'.repeat(60)}`;
    const long = `${mid}/${'g'.repeat(90)}.json`; // 219 bytes with ./: fits prefix + name
    const veryLong = `${mid}/${'h'.repeat(120)}/${'i'.repeat(120)}.json`; // needs a pax path
    for (const rel of [long, veryLong]) {
      mkdirSync(path.join(site, path.dirname(rel)), { recursive: true });
      writeFileSync(path.join(site, rel), rel);
    }
    const dir = fresh('long-out');
    const tar = path.join(dir, 'artifact.tar');
    await writePagesTarOfDir(site, tar);
    const raw = readFileSync(tar);
    const headers = readTar(raw);
    // the 120-byte directory name and the file in it do not fit ustar's 100-byte name field
    assert.equal(
      raw.toString('latin1').split('PaxHeaders').length - 1,
      2,
      'pax headers only where ustar cannot hold the name',
    );
    assert.ok(headers.some((h) => h.name === `./${long}` && h.data.toString() === long));
    assert.ok(headers.some((h) => h.name === `./${veryLong}` && h.data.toString() === veryLong));
    execFileSync('tar', ['-xf', tar, '-C', dir]);
    assert.equal(readFileSync(path.join(dir, veryLong), 'utf8'), veryLong);
    assert.ok(systemTarList(tar).every((line) => /^[-d]/.test(line)));
  });

  test('fails when a file changes size after it was listed, and removes the partial tar', async () => {
    const site = fresh('grow');
    writeFileSync(path.join(site, 'a.zip'), 'before');
    const entries = await listPagesEntries(site);
    appendFileSync(path.join(site, 'a.zip'), ' and after');
    const tar = path.join(fresh('grow-out'), 'artifact.tar');
    await assert.rejects(writePagesTar(entries, tar), (err: unknown) => {
      assert.ok(isRepoxyError(err));
      assert.equal(err.code, 'PUBLISH');
      assert.match(err.message, /changed size/);
      return true;
    });
    assert.equal(existsSync(tar), false);
  });
});
