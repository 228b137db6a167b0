import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { ArchiveRecord } from '../../src/domain/package.ts';
import {
  networkMirrorFiles,
  versionArchivesDocument,
  versionIndexDocument,
  type MirrorFile,
} from '../../src/mirror/network-mirror.ts';
import { safeJoin, writeMirrorAtomically } from '../../src/mirror/write-mirror.ts';
import { removeAll, tempDir } from '../cache/support.ts';

function record(type: string, version: string, platform: string, localPath: string): ArchiveRecord {
  const [os, arch] = platform.split('_') as [string, string];
  return {
    ref: {
      address: { hostname: 'registry.terraform.io', namespace: 'hashicorp', type },
      version,
      platform: { os, arch },
    },
    filename: `terraform-provider-${type}_${version}_${platform}.zip`,
    size: 3,
    zh: `zh:${'b'.repeat(64)}`,
    h1: 'h1:AAAA',
    source: 'upstream',
    downloadUrl: 'https://example.invalid/x.zip',
    verification: { checks: [], signingKeyId: null, anchor: 'lock-file', anchorDetail: 'test' },
    localPath,
  };
}

describe('network-mirror documents (PROTOCOL.md §1.6, §5.3)', () => {
  it('index.json lists every version with an empty object, keys sorted bytewise (deterministic)', () => {
    assert.equal(
      versionIndexDocument(['1.2.0', '1.10.0', '1.2.0-rc1', '1.2.0']),
      '{\n  "versions": {\n    "1.10.0": {},\n    "1.2.0": {},\n    "1.2.0-rc1": {}\n  }\n}\n',
    );
  });

  it('VERSION.json has a relative url and sorted h1:/zh: per platform, keys sorted', () => {
    const doc = versionArchivesDocument([
      record('aws', '5.0.0', 'linux_amd64', '/x'),
      record('aws', '5.0.0', 'darwin_arm64', '/y'),
    ]);
    assert.deepEqual(JSON.parse(doc), {
      archives: {
        darwin_arm64: {
          hashes: ['h1:AAAA', `zh:${'b'.repeat(64)}`],
          url: 'terraform-provider-aws_5.0.0_darwin_arm64.zip',
        },
        linux_amd64: {
          hashes: ['h1:AAAA', `zh:${'b'.repeat(64)}`],
          url: 'terraform-provider-aws_5.0.0_linux_amd64.zip',
        },
      },
    });
    assert.ok(doc.indexOf('darwin_arm64') < doc.indexOf('linux_amd64'));
    assert.ok(doc.indexOf('"hashes"') < doc.indexOf('"url"'));
  });

  it('gives the same files whatever the order of the archives', () => {
    const a = [
      record('aws', '5.0.0', 'linux_amd64', '/1'),
      record('aws', '4.0.0', 'linux_amd64', '/2'),
      record('null', '3.0.0', 'linux_amd64', '/3'),
    ];
    assert.deepEqual(networkMirrorFiles(a), networkMirrorFiles([...a].reverse()));
  });
});

describe('writeMirrorAtomically', () => {
  const files = (text: string): MirrorFile[] => [
    { path: '.nojekyll', kind: 'text', text: '' },
    { path: 'a/b/index.json', kind: 'text', text },
  ];

  it('writes a new directory and replaces a previous mirror whole', async () => {
    const dir = await tempDir('repoxy-write-');
    try {
      const out = path.join(dir, 'out');
      await writeMirrorAtomically(out, [...files('one'), { path: 'old/only.json', kind: 'text', text: 'x' }]);
      await writeMirrorAtomically(out, files('two'));
      assert.equal(await readFile(path.join(out, 'a/b/index.json'), 'utf8'), 'two');
      assert.deepEqual(
        (await readdir(out)).sort(),
        ['.nojekyll', 'a'],
        'nothing of the previous mirror is left',
      );
      assert.deepEqual(await readdir(dir), ['out'], 'no staging or old directory is left beside it');
    } finally {
      await removeAll(dir);
    }
  });

  it('refuses to replace a non-empty directory that is not a mirror, and leaves it untouched', async () => {
    const dir = await tempDir('repoxy-write-');
    try {
      await writeFile(path.join(dir, 'precious.txt'), 'keep me');
      await assert.rejects(writeMirrorAtomically(dir, files('x')), { code: 'OUTPUT_CONFLICT' });
      assert.equal(await readFile(path.join(dir, 'precious.txt'), 'utf8'), 'keep me');
    } finally {
      await removeAll(dir);
    }
  });

  it('leaves the previous mirror untouched when writing fails, and cleans its staging directory', async () => {
    const dir = await tempDir('repoxy-write-');
    try {
      const out = path.join(dir, 'out');
      await writeMirrorAtomically(out, files('good'));
      const failing: MirrorFile[] = [
        ...files('bad'),
        { path: 'z/archive.zip', kind: 'copy', from: path.join(dir, 'missing.zip'), size: 1 },
      ];
      await assert.rejects(writeMirrorAtomically(out, failing));
      assert.equal(await readFile(path.join(out, 'a/b/index.json'), 'utf8'), 'good');
      assert.deepEqual(await readdir(dir), ['out']);
    } finally {
      await removeAll(dir);
    }
  });

  it('puts back a previous mirror left aside by a run that died between the two renames', async () => {
    const dir = await tempDir('repoxy-write-');
    try {
      const aside = path.join(dir, '.out.repoxy-old-999999999-0a1b2c3d');
      await mkdir(aside);
      await writeFile(path.join(aside, '.nojekyll'), '');
      await writeMirrorAtomically(path.join(dir, 'out'), files('new'));
      assert.equal(await readFile(path.join(dir, 'out/a/b/index.json'), 'utf8'), 'new');
      assert.deepEqual(await readdir(dir), ['out']);
    } finally {
      await removeAll(dir);
    }
  });

  it('refuses paths that could escape the mirror', () => {
    for (const bad of ['../x', '/abs', 'a/../../b', 'a\\b', 'a\0b', '', 'a//b', './a']) {
      assert.throws(() => safeJoin('/root', bad), { code: 'IO' }, JSON.stringify(bad));
    }
    assert.equal(safeJoin('/root', 'a/b.json'), path.join('/root', 'a', 'b.json'));
  });
});
