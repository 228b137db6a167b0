/**
 * A minimal, independent tar reader for tests: every header as stored (ustar name + prefix, pax `path`
 * records applied), so assertions see exactly what deploy-pages would see.
 */

export interface TarHeader {
  readonly name: string;
  readonly typeflag: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtime: number;
  readonly linkname: string;
  readonly magic: string;
  readonly checksumValid: boolean;
  readonly data: Buffer;
}

const BLOCK = 512;

function field(h: Buffer, start: number, length: number): string {
  const raw = h.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString('utf8');
}

function octal(h: Buffer, start: number, length: number): number {
  return parseInt(field(h, start, length).trim() || '0', 8);
}

function checksumValid(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum === octal(h, 148, 8);
}

/** Parses a whole tar; pax `x` headers are consumed and applied to the next entry. Throws on garbage. */
export function readTar(tar: Buffer): TarHeader[] {
  const out: TarHeader[] = [];
  let pax: Record<string, string> = {};
  for (let offset = 0; offset + BLOCK <= tar.length;) {
    const h = tar.subarray(offset, offset + BLOCK);
    if (h.every((b) => b === 0)) break;
    const prefix = field(h, 345, 155);
    const header = {
      name: prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100),
      typeflag: String.fromCharCode(h[156]!),
      mode: octal(h, 100, 8),
      uid: octal(h, 108, 8),
      gid: octal(h, 116, 8),
      size: octal(h, 124, 12),
      mtime: octal(h, 136, 12),
      linkname: field(h, 157, 100),
      magic: h.subarray(257, 265).toString('latin1'),
      checksumValid: checksumValid(h),
    };
    const size = pax['size'] ? Number(pax['size']) : header.size;
    const data = tar.subarray(offset + BLOCK, offset + BLOCK + size);
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (header.typeflag === 'x') {
      pax = parsePax(data);
      continue;
    }
    out.push({ ...header, name: pax['path'] ?? header.name, size, data });
    pax = {};
  }
  return out;
}

function parsePax(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let rest = data;
  while (rest.length > 0) {
    const space = rest.indexOf(0x20);
    const length = Number(rest.subarray(0, space).toString('ascii'));
    const record = rest.subarray(space + 1, length - 1).toString('utf8');
    const eq = record.indexOf('=');
    records[record.slice(0, eq)] = record.slice(eq + 1);
    rest = rest.subarray(length);
  }
  return records;
}
