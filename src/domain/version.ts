/**
 * Provider versions: `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]` in canonical form only
 * (PROTOCOL.md §3: ParseVersion must succeed and String() must equal the raw text).
 */
export interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly prerelease: string;
  readonly build: string;
  /** The canonical text. */
  readonly text: string;
}

const NUM = '(0|[1-9][0-9]*)';
const IDENT = '[0-9A-Za-z-]+';
const CANONICAL = new RegExp(
  `^${NUM}\\.${NUM}\\.${NUM}(?:-(${IDENT}(?:\\.${IDENT})*))?(?:\\+(${IDENT}(?:\\.${IDENT})*))?$`,
);

/** Parses a canonical version; returns undefined for anything else (`v1.0.0`, `1.0`, `1.02`, ``). */
export function parseCanonicalVersion(text: string): Version | undefined {
  const m = CANONICAL.exec(text);
  if (!m) return undefined;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const patch = Number(m[3]);
  if (![major, minor, patch].every(Number.isSafeInteger)) return undefined;
  return { major, minor, patch, prerelease: m[4] ?? '', build: m[5] ?? '', text };
}

/** Semver precedence; build metadata breaks ties lexically so sorting is total and stable. */
export function compareVersions(a: Version, b: Version): number {
  return (
    a.major - b.major ||
    a.minor - b.minor ||
    a.patch - b.patch ||
    comparePrerelease(a.prerelease, b.prerelease) ||
    (a.build < b.build ? -1 : a.build > b.build ? 1 : 0)
  );
}

function comparePrerelease(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return 1;
  if (b === '') return -1;
  const xs = a.split('.');
  const ys = b.split('.');
  for (let i = 0; i < Math.max(xs.length, ys.length); i++) {
    const x = xs[i];
    const y = ys[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xn = /^[0-9]+$/.test(x);
    const yn = /^[0-9]+$/.test(y);
    if (xn && yn) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
    } else if (xn !== yn) {
      return xn ? -1 : 1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

export function compareVersionText(a: string, b: string): number {
  const x = parseCanonicalVersion(a);
  const y = parseCanonicalVersion(b);
  if (x && y) return compareVersions(x, y);
  return a < b ? -1 : a > b ? 1 : 0;
}
