/** Plain-text tables for the benchmark scripts (Markdown-compatible: pipes and a rule line). */

export type Cell = string | number;

/** A Markdown table whose columns are padded to line up in a terminal too. */
export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((r) => r.map(String));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(headers), rule, ...text.map(line)].join('\n');
}

/** Seconds with 2 decimals. */
export function secs(n: number | null | undefined): string {
  return n === null || n === undefined ? 'n/a' : `${n.toFixed(2)} s`;
}

/** Milliseconds, no decimals. */
export function ms(seconds: number | null | undefined): string {
  return seconds === null || seconds === undefined ? 'n/a' : `${(seconds * 1000).toFixed(0)} ms`;
}

/** A ratio with 2 decimals and a multiplication sign. */
export function ratio(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? 'n/a' : `${n.toFixed(2)}×`;
}

/** Bytes as MB (10^6, like network speeds). */
export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
