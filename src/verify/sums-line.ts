import { RepoxyError } from '../domain/errors.ts';
import { normalizeHashes, zhHash } from '../domain/hash.ts';
import type { HashString } from '../domain/hash.ts';

// Go's bytes.Fields separators (unicode.IsSpace), so a line splits exactly as OpenTofu splits it.
const GO_SPACE = /[\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+/;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

function fieldsOf(line: string): string[] {
  return line.split(GO_SPACE).filter((field) => field !== '');
}

/**
 * SHA256SUMS as OpenTofu reads it (PROTOCOL.md §2.4 step 2): per `\n`-separated line, the 2nd
 * whitespace-separated field is the file name and the 1st its checksum; the FIRST line naming a file
 * wins. Values are lower-cased but not validated (see `findSumsLine`). Lines with < 2 fields are ignored.
 */
export function parseSums(bytes: Buffer): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of bytes.toString('utf8').split('\n')) {
    const [checksum, filename] = fieldsOf(line);
    if (checksum !== undefined && filename !== undefined && !sums.has(filename)) {
      sums.set(filename, checksum.toLowerCase());
    }
  }
  return sums;
}

/**
 * The SHA256SUMS checksum of `filename` (case-sensitive match), which must equal `shasum`
 * (matchingChecksumAuthentication). Throws VERIFY_SUMS_LINE when the line is absent, is not a
 * sha256, or differs; the message names the file, the expected and the actual value.
 */
export function findSumsLine(sums: Buffer, filename: string, shasum: string): string {
  const listed = parseSums(sums).get(filename);
  if (listed === undefined) {
    throw new RepoxyError(
      'VERIFY_SUMS_LINE',
      `SHA256SUMS has no line for "${filename}" (expected a line "${shasum}  ${filename}")`,
    );
  }
  if (!SHA256_HEX.test(listed)) {
    throw new RepoxyError(
      'VERIFY_SUMS_LINE',
      `SHA256SUMS lists "${listed}" for "${filename}", which is not a sha256 (expected ${shasum})`,
    );
  }
  if (listed !== shasum.toLowerCase()) {
    throw new RepoxyError(
      'VERIFY_SUMS_LINE',
      `SHA256SUMS lists sha256 ${listed} for "${filename}", expected ${shasum} (the registry's shasum)`,
    );
  }
  return listed;
}

/**
 * Every line of a signed SHA256SUMS as a `zh:` hash, sorted and unique (signatureAuthentication
 * acceptableHashes, PROTOCOL.md §2.4 step 4). Like OpenTofu, a document with any line that is not
 * `<64 hex> <name>` is "not a checksums file" and yields no hashes at all. Blank lines are skipped.
 */
export function zhHashesFromSums(bytes: Buffer): HashString[] {
  const hashes: HashString[] = [];
  for (const line of bytes.toString('utf8').split('\n')) {
    const fields = fieldsOf(line);
    if (fields.length === 0) continue;
    const [checksum] = fields;
    if (fields.length < 2 || checksum === undefined || !SHA256_HEX.test(checksum)) return [];
    hashes.push(zhHash(checksum));
  }
  return normalizeHashes(hashes);
}
