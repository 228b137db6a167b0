/**
 * The lock-file schema over the syntax tree (PROTOCOL.md §3; OpenTofu internal/depsfile/locks_file.go
 * decodeLocksFromHCL / decodeProviderLockFromHCL): `provider "<addr>"` blocks with `version`,
 * `constraints` and `hashes`; `module` blocks warned about once; everything else refused.
 */
import { formatAddress, type ProviderAddress } from '../domain/address.ts';
import { parseHash } from '../domain/hash.ts';
import { parseCanonicalVersion } from '../domain/version.ts';
import { checkLockLabel } from './address.ts';
import { constraintsProblem } from './constraints.ts';
import type { Pos, Problem } from './lexer.ts';
import type { Attribute, Block, Body, Expr } from './syntax.ts';

export interface DecodedProvider {
  readonly address: ProviderAddress;
  readonly version: string;
  readonly constraints: string | null;
  readonly hashes: string[];
  readonly line: number;
  readonly col: number;
}

const PROVIDER_ARGUMENTS = new Set(['version', 'constraints', 'hashes']);

/** Decodes every top-level item; a provider block with any error is reported and left out. */
export function decodeLockBody(body: Body): { providers: DecodedProvider[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const providers: DecodedProvider[] = [];
  const seen = new Map<string, Pos>();
  let moduleWarned = false;
  for (const item of body.items) {
    if (item.kind === 'attribute') {
      problems.push(unsupportedArgument(item, 'a lock file holds only provider blocks'));
    } else if (item.type === 'provider') {
      const decoded = decodeProviderBlock(item, problems);
      if (decoded === null) continue;
      const key = formatAddress(decoded.address);
      const first = seen.get(key);
      if (first) {
        problems.push(duplicate(item, key, first));
        continue;
      }
      seen.set(key, item.pos);
      if (decoded.provider) providers.push(decoded.provider);
    } else if (item.type === 'module') {
      // One warning is enough to make the point (locks_file.go).
      if (checkLabelCount(item, 'path', problems) && !moduleWarned) {
        problems.push(moduleWarning(item));
        moduleWarned = true;
      }
    } else {
      problems.push(unsupportedBlock(item, 'a lock file holds only provider blocks'));
    }
  }
  return { providers, problems };
}

interface ProviderBlock {
  readonly address: ProviderAddress;
  /** Undefined when the body had errors (they are in `problems`). */
  readonly provider: DecodedProvider | undefined;
}

/** Null when the label is unusable (its body is then not read, as in OpenTofu). */
function decodeProviderBlock(block: Block, problems: Problem[]): ProviderBlock | null {
  if (!checkLabelCount(block, 'source address', problems)) return null;
  const label = block.labels[0]!;
  const check = checkLockLabel(label.value);
  if (!check.ok) {
    problems.push(error('LOCK_BAD_ADDRESS', label, check.summary, check.detail));
    return null;
  }
  const address = check.address;
  const before = problems.length;
  const args = providerArguments(block, problems);
  const where = formatAddress(address);
  const version = decodeVersion(args.get('version'), block, where, problems);
  const constraints = decodeConstraints(args.get('constraints'), where, problems);
  const hashes = decodeHashes(args.get('hashes'), problems);
  if (problems.length > before || version === undefined) return { address, provider: undefined };
  const { line, col } = block.pos;
  return { address, provider: { address, version, constraints, hashes, line, col } };
}

function providerArguments(block: Block, problems: Problem[]): Map<string, Attribute> {
  const args = new Map<string, Attribute>();
  for (const item of block.body.items) {
    if (item.kind === 'block') problems.push(unsupportedBlock(item, 'a provider lock holds only arguments'));
    else if (!PROVIDER_ARGUMENTS.has(item.name)) {
      problems.push(
        unsupportedArgument(item, 'a provider lock takes only "version", "constraints" and "hashes"'),
      );
    } else args.set(item.name, item);
  }
  return args;
}

function decodeVersion(
  attr: Attribute | undefined,
  block: Block,
  where: string,
  problems: Problem[],
): string | undefined {
  const expr = attr?.expr;
  if (expr === undefined || expr.kind === 'null') {
    const at = expr?.pos ?? block.open;
    problems.push(
      error(
        'LOCK_MISSING_VERSION',
        at,
        'Missing required argument',
        'A provider lock block must contain a "version" argument.',
      ),
    );
    return undefined;
  }
  const text = staticString(expr, 'version', 'LOCK_BAD_VERSION', problems);
  if (text === undefined) return undefined;
  if (parseCanonicalVersion(text) === undefined) {
    const detail = `The selected version number for provider ${where} must be written in canonical form MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], such as "1.2.0"; got "${text}".`;
    problems.push(error('LOCK_BAD_VERSION', expr.pos, 'Invalid provider version number', detail));
    return undefined;
  }
  return text;
}

function decodeConstraints(attr: Attribute | undefined, where: string, problems: Problem[]): string | null {
  if (attr === undefined) return null;
  const text = staticString(attr.expr, 'constraints', 'LOCK_BAD_CONSTRAINTS', problems);
  if (text === undefined) return null;
  const problem = constraintsProblem(text);
  if (problem !== undefined) {
    const detail = `The recorded version constraints for provider ${where} must be in normalized form: ${problem}.`;
    problems.push(
      error('LOCK_BAD_CONSTRAINTS', attr.expr.pos, 'Invalid provider version constraints', detail),
    );
  }
  // OpenTofu reads "" as no constraints at all (VersionConstraintsString of none is "").
  return text === '' ? null : text;
}

function decodeHashes(attr: Attribute | undefined, problems: Problem[]): string[] {
  if (attr === undefined) return [];
  const expr = attr.expr;
  if (expr.kind === 'dynamic') return (problems.push(notStatic(expr, 'hashes')), []);
  if (expr.kind !== 'tuple') {
    problems.push(
      error(
        'LOCK_BAD_HASHES',
        expr.pos,
        'Invalid expression',
        'The "hashes" argument must be a list of quoted "scheme:value" strings.',
      ),
    );
    return [];
  }
  if (expr.items.length === 0) {
    const detail = 'The "hashes" argument must either be omitted or contain at least one hash value.';
    problems.push(error('LOCK_BAD_HASHES', expr.pos, 'Invalid provider hash set', detail));
    return [];
  }
  const hashes: string[] = [];
  for (const item of expr.items) {
    const text = staticString(item, 'hashes', 'LOCK_BAD_HASHES', problems);
    if (text === undefined) continue;
    if (parseHash(text) === undefined) {
      const detail = `Cannot interpret "${text}" as a provider hash: a hash is "scheme:value", such as "h1:..." or "zh:...".`;
      problems.push(error('LOCK_BAD_HASHES', item.pos, 'Invalid provider hash string', detail));
    } else hashes.push(text);
  }
  return hashes;
}

/** The value of a quoted string literal, or a problem naming what was written instead. */
function staticString(expr: Expr, name: string, code: string, problems: Problem[]): string | undefined {
  if (expr.kind === 'string') return expr.value;
  if (expr.kind === 'dynamic') problems.push(notStatic(expr, name));
  else {
    const what =
      expr.kind === 'tuple' ? 'a list' : expr.kind === 'null' ? 'null' : `the ${expr.kind} ${exprText(expr)}`;
    problems.push(
      error(code, expr.pos, 'Incorrect value type', `"${name}" must be a quoted string, not ${what}.`),
    );
  }
  return undefined;
}

function exprText(expr: Expr): string {
  return expr.kind === 'number' ? expr.text : expr.kind === 'bool' ? String(expr.value) : '';
}

function checkLabelCount(block: Block, labelName: string, problems: Problem[]): boolean {
  if (block.labels.length === 1) return true;
  const extra = block.labels[1];
  const summary = extra ? `Extraneous label for ${block.type}` : `Missing name for ${block.type}`;
  const detail = `A ${block.type} block takes exactly one label, its ${labelName}.`;
  problems.push(
    error(
      block.type === 'provider' ? 'LOCK_BAD_ADDRESS' : 'LOCK_SYNTAX',
      extra ?? block.pos,
      summary,
      detail,
    ),
  );
  return false;
}

function error(code: string, at: Pos, summary: string, detail: string): Problem {
  return { severity: 'error', code, line: at.line, col: at.col, summary, detail };
}

function notStatic(expr: Expr, name: string): Problem {
  const detail = `The "${name}" argument must be a literal value; lock files cannot hold references, function calls or operators.`;
  return error('LOCK_NOT_STATIC', expr.pos, 'Static value required', detail);
}

function unsupportedArgument(attr: Attribute, why: string): Problem {
  return error(
    'LOCK_UNKNOWN_ATTRIBUTE',
    attr.pos,
    'Unsupported argument',
    `An argument named "${attr.name}" is not expected here: ${why}.`,
  );
}

function unsupportedBlock(block: Block, why: string): Problem {
  return error(
    'LOCK_UNKNOWN_BLOCK',
    block.pos,
    'Unsupported block type',
    `Blocks of type "${block.type}" are not expected here: ${why}.`,
  );
}

function duplicate(block: Block, address: string, first: Pos): Problem {
  const detail = `This lock file already declared a lock for provider ${address} at line ${first.line}.`;
  return error('LOCK_DUPLICATE_PROVIDER', block.pos, 'Duplicate provider lock', detail);
}

function moduleWarning(block: Block): Problem {
  return {
    ...error(
      'LOCK_MODULE_BLOCK',
      block.pos,
      'Dependency locks for modules are not yet supported',
      'OpenTofu locks only providers; this module block is ignored.',
    ),
    severity: 'warning',
  };
}
