/** A problem found in an input file, pointing at `path:line:col` (1-based). */
export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  /** Stable code, e.g. LOCK_BAD_VERSION. */
  readonly code: string;
  readonly path: string;
  readonly line: number;
  readonly col: number;
  readonly summary: string;
  readonly detail?: string;
}

/** `path:line:col: summary` (+ `: detail`), the form editors and CI annotations understand. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = `${d.path}:${d.line}:${d.col}`;
  const sev = d.severity === 'warning' ? 'warning: ' : '';
  return `${where}: ${sev}${d.summary}${d.detail ? `: ${d.detail}` : ''}`;
}
