/**
 * Hostile archives (issue 9), served by a registry that vouches for them: SHA256SUMS lists them, the
 * signature is good, `shasum` and the lock's `zh:` match. So only the zip checks stand between them
 * and the mirror. Unsafe or unusable zips are refused with VERIFY_BAD_ZIP naming the package; shapes
 * `tofu init` installs are mirrored byte for byte and never unpacked.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { dirhashHash1, sha256Hex } from '../support/fixture-registry/hashes.ts';
import { buildZip, type ZipEntrySpec } from '../support/zip-builder.ts';
import { failedWith, snapshotTree, succeeded, eventsOf } from '../engine/support/harness.ts';
import { assertNothingPublished, cacheDirOf } from './support/containment.ts';
import { hostileSuite } from './support/suite.ts';

const HOST = 'registry.example.com';
const PACKAGE = `${HOST}/acme/widget 1.0.0 linux_amd64`;
const ARCHIVE = 'terraform-provider-widget_1.0.0_linux_amd64.zip';
const BINARY: ZipEntrySpec = { name: 'terraform-provider-widget_v1.0.0', data: 'binary '.repeat(500) };
const GUARD = { timeout: 60_000 };

describe('hostile archives', () => {
  const hostile = hostileSuite();

  async function mirror(zip: Buffer) {
    const { run } = await hostile.attempt({
      host: HOST,
      namespace: 'acme',
      type: 'widget',
      version: '1.0.0',
      platform: 'linux_amd64',
      zip,
      packagesExtension: true,
    });
    return run;
  }

  const refused: [string, () => Buffer, RegExp][] = [
    [
      'an entry named ../evil',
      () => buildZip([BINARY, { name: '../evil', data: 'x' }]),
      /unsafe entry name "\.\.\/evil"/,
    ],
    [
      'an entry named a\\..\\..\\evil',
      () => buildZip([BINARY, { name: 'a\\..\\..\\evil', data: 'x' }]),
      /"\.\." path component/,
    ],
    [
      'an absolute entry name',
      () => buildZip([BINARY, { name: '/etc/cron.d/evil', data: 'x' }]),
      /is an absolute path/,
    ],
    [
      'a drive-letter entry name',
      () => buildZip([BINARY, { name: 'C:\\evil.exe', data: 'x' }]),
      /is an absolute path/,
    ],
    [
      'an entry that inflates 1000-fold (8 MiB of zeros)',
      () => buildZip([BINARY, { name: 'bomb', data: Buffer.alloc(8 * 1024 * 1024) }]),
      /expands \d+ bytes to 8388608 \(ratio 10\d\d:1, limit 1000:1\)/,
    ],
    [
      'headers declaring 3 GB for a few bytes',
      () => buildZip([BINARY, { name: 'liar', data: 'tiny'.repeat(64), declaredSize: 3_000_000_000 }]),
      /expands \d+ bytes to 3000000000/,
    ],
    [
      'data that does not match its CRC-32',
      () => buildZip([BINARY, { name: 'x', data: 'abc', crc32: 1 }]),
      /CRC-32 mismatch/,
    ],
    [
      'more than 10,000 entries',
      () => buildZip(Array.from({ length: 10_001 }, (_, i) => ({ name: `f${i}`, data: '' }))),
      /10001 entries, more than the limit of 10000/,
    ],
    ['no entries at all', () => buildZip([]), /has no entries/],
    ['an HTML page', () => Buffer.from('<!doctype html><title>Sign in</title>'), /is not a valid zip file/],
    [
      'random bytes',
      () => Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)),
      /is not a valid zip file/,
    ],
  ];
  for (const [what, zip, says] of refused) {
    it(`refuses ${what} (VERIFY_BAD_ZIP), naming package and archive`, GUARD, async () => {
      const err = failedWith(await mirror(zip()), 'VERIFY_BAD_ZIP');
      assert.match(err.message, says);
      assert.ok(err.message.includes(`  - ${PACKAGE}: archive ${ARCHIVE} is not a `), err.message);
      assert.ok(
        !err.message.includes(cacheDirOf(hostile.ws)),
        `the message shows a temp path: ${err.message}`,
      );
      await assertNothingPublished(hostile.ws, ['lock.hcl']);
    });
  }

  /** What, entries, their h1, the warning expected, and whether the zip is hashed from the file after the download. */
  const installable: [string, ZipEntrySpec[], string, RegExp, boolean][] = [
    [
      'a symlink entry (unpacked by tofu as a file holding the link text)',
      [BINARY, { name: 'link', data: '/etc/passwd', symlink: true }],
      dirhashHash1([
        { name: BINARY.name, sha256Hex: sha256Hex(BINARY.data as string) },
        { name: 'link', sha256Hex: sha256Hex('/etc/passwd') },
      ]),
      /symlink entry "?link"?: unpacked as a regular file holding the link text/,
      false,
    ],
    [
      'duplicate names (HashZip lists both, with the last content)',
      [BINARY, { name: 'LICENSE', data: 'first' }, { name: 'LICENSE', data: 'second' }],
      dirhashHash1([
        { name: BINARY.name, sha256Hex: sha256Hex(BINARY.data as string) },
        { name: 'LICENSE', sha256Hex: sha256Hex('second') },
        { name: 'LICENSE', sha256Hex: sha256Hex('second') },
      ]),
      /duplicate entry "?LICENSE"?: the last one wins when unpacked/,
      false,
    ],
    [
      'an entry with a data descriptor next to a symlink (hashed from the file, not while downloading)',
      [
        { ...BINARY, dataDescriptor: true },
        { name: 'link', data: 'x', symlink: true },
      ],
      dirhashHash1([
        { name: BINARY.name, sha256Hex: sha256Hex(BINARY.data as string) },
        { name: 'link', sha256Hex: sha256Hex('x') },
      ]),
      /symlink entry "?link"?: unpacked as a regular file/,
      true,
    ],
  ];
  for (const [what, entries, h1, reported, fromFile] of installable) {
    it(`mirrors ${what} byte for byte, unpacking nothing, and reports it`, GUARD, async () => {
      const zip = buildZip(entries);
      const run = await mirror(zip);
      succeeded(run);
      const warnings = eventsOf(run.events, 'warning').map((e) => e.message);
      assert.ok(
        warnings.some((m) => reported.test(m) && m.startsWith(PACKAGE)),
        `reported: ${warnings.join(' | ')}`,
      );
      const dir = path.join(hostile.ws.out(), HOST, 'acme', 'widget');
      assert.deepEqual(await readFile(path.join(dir, ARCHIVE)), zip);
      const doc = JSON.parse(await readFile(path.join(dir, '1.0.0.json'), 'utf8')) as {
        archives: Record<string, { hashes: string[] }>;
      };
      assert.deepEqual(doc.archives['linux_amd64']!.hashes, [h1, `zh:${sha256Hex(zip)}`]);
      const again = eventsOf(run.events, 'debug').filter((e) =>
        /hashing \S+ again from the file/.test(e.message),
      );
      assert.equal(again.length, fromFile ? 1 : 0, again.map((e) => e.message).join(' | '));
      const tree = await snapshotTree(hostile.ws.root);
      for (const [rel, entry] of tree) {
        assert.notEqual(entry.kind, 'symlink', rel);
        assert.ok(!/(^|\/)(link|LICENSE)$/.test(rel), `${rel} was unpacked`);
      }
    });
  }
});
