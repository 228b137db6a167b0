import { createHash } from 'node:crypto';

/** One file as dirhash sees it: its name in the package and the sha256 of its content. */
export interface HashedFile {
  readonly name: string;
  readonly sha256Hex: string;
  readonly isDirectory?: boolean;
}

/**
 * Go dirhash Hash1 (PROTOCOL.md §4.1): names sorted bytewise, lines `<hex>  <name>\n`,
 * `h1:` + base64(sha256(lines)). A private test oracle, independent of src/verify.
 */
export function dirhashHash1(files: readonly HashedFile[]): string {
  const sorted = [...files].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  const summary = createHash('sha256');
  for (const f of sorted) {
    if (f.name.includes('\n')) throw new Error(`dirhash: file name with newline: ${JSON.stringify(f.name)}`);
    summary.update(`${f.sha256Hex}  ${f.name}\n`);
  }
  return `h1:${summary.digest('base64')}`;
}

/** HashZip: every entry name verbatim, directory entries included (PROTOCOL.md §4.1). */
export function h1OfZipEntries(entries: readonly HashedFile[]): string {
  return dirhashHash1(entries);
}

/** HashDir of the unpacked zip: regular files only, directories skipped (PROTOCOL.md §4.1). */
export function h1OfUnpackedEntries(entries: readonly HashedFile[]): string {
  return dirhashHash1(entries.filter((e) => !e.isDirectory && !e.name.endsWith('/')));
}

/** Lower-case hex sha256 of bytes. */
export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
