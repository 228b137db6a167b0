/**
 * Whether a lock file's `constraints` string is in the canonical form OpenTofu writes and requires
 * (PROTOCOL.md §3; getproviders VersionConstraintsString): clauses `[op ]X.Y.Z[-pre][+build]`
 * (`~> X.Y` for the minor-only pessimistic form), no duplicates, sorted by boundary then operator,
 * joined by ", ". A string in that form parses back to itself, so checking the form is exact.
 */
import { compareVersions, type Version } from '../domain/version.ts';

interface Clause {
  readonly op: string;
  readonly boundary: Version;
}

const NUM = '(0|[1-9][0-9]*)';
const EXTRA = '([0-9A-Za-z.-]+)';
// Anchored, no nested quantifiers: linear on any input.
const CLAUSE = new RegExp(
  `^(?:(>|<|>=|<=|!=|~>) )?${NUM}\\.${NUM}(?:\\.${NUM})?(?:-${EXTRA})?(?:\\+${EXTRA})?$`,
);

/** Operator order of VersionConstraintsString (types.go versionSelectionsBoundaryPriority). */
const OP_PRIORITY: Record<string, number> = {
  '>': 1,
  '>=': 2,
  '': 3,
  '~>3': 4,
  '~>2': 5,
  '<=': 6,
  '<': 7,
  '!=': 8,
};

/** Undefined when `raw` is canonical (the empty string is: no constraints); otherwise why not. */
export function constraintsProblem(raw: string): string | undefined {
  if (raw === '') return undefined;
  const clauses: Clause[] = [];
  for (const text of raw.split(', ')) {
    const clause = parseClause(text);
    if (!clause) return `"${text}" is not a canonical version constraint such as ">= 1.2.0" or "~> 1.2"`;
    const previous = clauses[clauses.length - 1];
    if (previous && compareClauses(previous, clause) >= 0) {
      return 'constraints must be unique and sorted by version, as OpenTofu writes them';
    }
    clauses.push(clause);
  }
  return undefined;
}

function parseClause(text: string): Clause | undefined {
  const m = CLAUSE.exec(text);
  if (!m) return undefined;
  const op = m[1] ?? '';
  const twoPart = m[4] === undefined;
  if (twoPart && op !== '~>') return undefined; // only `~> X.Y` (minor-only pessimistic) has two numbers
  const nums = [m[2], m[3], m[4] ?? '0'].map(Number);
  if (!nums.every(Number.isSafeInteger)) return undefined;
  const [major, minor, patch] = nums as [number, number, number];
  const boundary = { major, minor, patch, prerelease: m[5] ?? '', build: m[6] ?? '', text };
  return { op: op === '~>' ? `~>${twoPart ? 2 : 3}` : op, boundary };
}

function compareClauses(a: Clause, b: Clause): number {
  const byVersion = compareVersions({ ...a.boundary, build: '' }, { ...b.boundary, build: '' });
  if (byVersion !== 0) return byVersion;
  if (a.boundary.build !== b.boundary.build) return compareBuild(a.boundary.build, b.boundary.build);
  return OP_PRIORITY[a.op]! - OP_PRIORITY[b.op]!;
}

/** Build metadata ordered like prerelease identifiers (go-versions VersionExtra.LessThan). */
function compareBuild(a: string, b: string): number {
  const zero = { major: 0, minor: 0, patch: 0, build: '', text: '' };
  return compareVersions({ ...zero, prerelease: a }, { ...zero, prerelease: b });
}
