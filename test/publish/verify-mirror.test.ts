import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { describeMirrorProblems, verifyMirrorDir } from '../../src/publish/verify-mirror.ts';
import { buildFixtureMirror, HASHICORP_NULL, TOFU_RANDOM } from './mirror-fixture.ts';

let scratch: string;
let pristine: string;
let counter = 0;
const NULL_DIR = 'registry.terraform.io/hashicorp/null';
const NULL_ZIP = `${NULL_DIR}/terraform-provider-null_3.2.1_linux_amd64.zip`;

/** A copy of the pristine mirror to spoil. */
function copy(): string {
  const dir = path.join(scratch, `copy-${++counter}`);
  cpSync(pristine, dir, { recursive: true });
  return dir;
}

/** The shapes of index.json and VERSION.json, loose enough to spoil. */
interface MirrorDocument {
  versions?: Record<string, object>;
  archives?: Record<string, { url: string; hashes: string[] }>;
}

function editJson(file: string, edit: (doc: MirrorDocument) => void): void {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as MirrorDocument;
  edit(doc);
  writeFileSync(file, JSON.stringify(doc));
}

async function problemsOf(dir: string): Promise<string[]> {
  return (await verifyMirrorDir(dir)).problems.map((p) => `${p.path}: ${p.message}`);
}

describe('verifyMirrorDir', () => {
  before(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'repoxy-verify-mirror-'));
    pristine = path.join(scratch, 'mirror');
    await buildFixtureMirror(pristine, path.join(scratch, 'zips'), [HASHICORP_NULL, TOFU_RANDOM]);
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test('passes the mirror the writer wrote, counting what it checked', async () => {
    const report = await verifyMirrorDir(pristine);
    assert.deepEqual(report.problems, []);
    assert.deepEqual(report.providers, [NULL_DIR, 'registry.opentofu.org/hashicorp/random'].sort());
    assert.equal(report.versions, 2);
    assert.equal(report.archives, 3);
    assert.ok(report.archiveBytes > 40_000);
  });

  test('detects a tampered archive', async () => {
    const dir = copy();
    const zip = path.join(dir, NULL_ZIP);
    const bytes = readFileSync(zip);
    bytes[40] = bytes[40]! ^ 0xff;
    writeFileSync(zip, bytes);
    const report = await verifyMirrorDir(dir);
    assert.equal(report.archives, 2);
    assert.deepEqual(
      report.problems.map((p) => p.path),
      [NULL_ZIP],
    );
    assert.match(
      report.problems[0]!.message,
      /^is zh:[0-9a-f]{64}, but its VERSION\.json lists zh:[0-9a-f]{64}: the archive was altered/,
    );
    assert.match(
      describeMirrorProblems(report),
      /^ {2}- registry\.terraform\.io\/hashicorp\/null\/terraform-provider-null_3\.2\.1_linux_amd64\.zip: is zh:/,
    );
  });

  test('detects a VERSION.json that index.json does not list, and a listed version without one', async () => {
    const dir = copy();
    editJson(path.join(dir, NULL_DIR, 'index.json'), (doc) => {
      doc.versions = { '9.9.9': {} };
    });
    assert.deepEqual(await problemsOf(dir), [
      `${NULL_DIR}/3.2.1.json: version 3.2.1 is not listed in index.json`,
      `${NULL_DIR}/9.9.9.json: index.json lists version 9.9.9 but 9.9.9.json is missing`,
    ]);
  });

  test('verifies by h1: (HashZip) when a VERSION.json lists no zh:, and catches a wrong h1:', async () => {
    const dir = copy();
    const doc = path.join(dir, NULL_DIR, '3.2.1.json');
    editJson(doc, (d) => {
      for (const a of Object.values(d.archives!)) a.hashes = a.hashes.filter((h) => h.startsWith('h1:'));
    });
    assert.deepEqual(await problemsOf(dir), []);
    editJson(doc, (d) => {
      d.archives!['linux_amd64']!.hashes = ['h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='];
    });
    const problems = await problemsOf(dir);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /linux_amd64\.zip: is h1:.*, but its VERSION\.json lists h1:47DEQ/);
  });

  test('refuses archives it cannot verify: no usable hash, wrong url, missing, or not listed anywhere', async () => {
    const dir = copy();
    editJson(path.join(dir, NULL_DIR, '3.2.1.json'), (d) => {
      d.archives!['linux_amd64']!.hashes = ['h0:unusable'];
      d.archives!['darwin_arm64']!.url = '../../other/terraform-provider-null_3.2.1_darwin_arm64.zip';
      d.archives!['linux_arm64'] = {
        url: 'terraform-provider-null_3.2.1_linux_arm64.zip',
        hashes: ['zh:' + '0'.repeat(64)],
      };
    });
    assert.deepEqual(await problemsOf(dir), [
      `${NULL_DIR}/3.2.1.json: darwin_arm64: url "../../other/terraform-provider-null_3.2.1_darwin_arm64.zip" is not "terraform-provider-null_3.2.1_darwin_arm64.zip", the archive file of this version and platform`,
      `${NULL_DIR}/3.2.1.json: linux_amd64: no h1: or zh: hash, so nothing can be verified`,
      `${NULL_DIR}/terraform-provider-null_3.2.1_darwin_arm64.zip: archive not listed in any VERSION.json: a filesystem_mirror would install it unverified`,
      `${NULL_DIR}/terraform-provider-null_3.2.1_linux_amd64.zip: archive not listed in any VERSION.json: a filesystem_mirror would install it unverified`,
      `${NULL_DIR}/terraform-provider-null_3.2.1_linux_arm64.zip: listed in 3.2.1.json but missing`,
    ]);
  });

  test('refuses an unpacked package directory and malformed JSON', async () => {
    const dir = copy();
    mkdirSync(path.join(dir, NULL_DIR, '3.2.1', 'linux_amd64'), { recursive: true });
    writeFileSync(path.join(dir, 'registry.opentofu.org/hashicorp/random/index.json'), '{"versions":');
    const problems = await problemsOf(dir);
    assert.equal(problems.length, 3);
    assert.match(
      problems[0]!,
      /^registry\.opentofu\.org\/hashicorp\/random\/3\.6\.0\.json: version 3\.6\.0 is not listed in index\.json/,
    );
    assert.match(problems[1]!, /^registry\.opentofu\.org\/hashicorp\/random\/index\.json: is not valid JSON/);
    assert.match(
      problems[2]!,
      /^registry\.terraform\.io\/hashicorp\/null\/3\.2\.1: unexpected non-file in a provider directory/,
    );
  });

  test('reports a directory with no provider in it', async () => {
    const dir = path.join(scratch, 'empty');
    mkdirSync(dir);
    writeFileSync(path.join(dir, '.nojekyll'), '');
    assert.deepEqual(await problemsOf(dir), [
      '.: no provider directories (HOST/NAMESPACE/TYPE/index.json) found',
    ]);
  });
});
