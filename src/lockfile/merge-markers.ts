/**
 * Committed merge-conflict markers: git leaves `<<<<<<<`, `|||||||`, `=======` and `>>>>>>>` at the
 * start of a line. Reported as such, instead of as the syntax error they also cause.
 */
import type { Problem } from './lexer.ts';

const MARKERS = ['<<<<<<<', '|||||||', '=======', '>>>>>>>'];

/** One error per marker line, in line order; empty when the text has none. Linear in the text. */
export function findMergeMarkers(text: string): Problem[] {
  const problems: Problem[] = [];
  let line = 1;
  for (let start = 0; start <= text.length; line++) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl;
    const marker = markerAt(text, start, end);
    if (marker !== undefined) problems.push(markerProblem(marker, line));
    if (nl === -1) break;
    start = nl + 1;
  }
  return problems;
}

/** A marker is the whole line or is followed by a space or tab (git writes `<<<<<<< HEAD`). */
function markerAt(text: string, start: number, end: number): string | undefined {
  const marker = MARKERS.find((m) => text.startsWith(m, start));
  if (marker === undefined) return undefined;
  const after = text[start + marker.length];
  const lineEnd = start + marker.length === end || (after === '\r' && start + marker.length + 1 === end);
  return lineEnd || after === ' ' || after === '\t' ? marker : undefined;
}

function markerProblem(marker: string, line: number): Problem {
  return {
    severity: 'error',
    code: 'LOCK_MERGE_CONFLICT',
    line,
    col: 1,
    summary: 'merge conflict marker',
    detail: `resolve the conflict in this lock file: the line starts with "${marker}", left by a merge that was not finished (run "tofu init" or "terraform init" after resolving it)`,
  };
}
