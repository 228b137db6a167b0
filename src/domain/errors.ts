import type { Diagnostic } from './diagnostic.ts';

/**
 * Every failure the engine reports is a RepoxyError with a stable `code`. Callers match on
 * `code` (see `isRepoxyError`), never on the message and never with `instanceof` across bundles.
 */
export type ErrorCode =
  // input (exit 2)
  | 'INPUT_INVALID'
  | 'LOCK_INVALID'
  | 'LOCK_NOT_FOUND'
  | 'PLAN_EMPTY'
  // upstream (exit 1)
  | 'UPSTREAM_DISCOVERY'
  | 'UPSTREAM_UNAUTHORIZED'
  | 'UPSTREAM_NOT_FOUND'
  | 'UPSTREAM_PLATFORM_MISSING'
  | 'UPSTREAM_HTTP'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_BAD_RESPONSE'
  | 'UPSTREAM_TOO_LARGE'
  | 'UPSTREAM_REDIRECT'
  // verification (exit 1)
  | 'VERIFY_SHASUM'
  | 'VERIFY_SUMS_LINE'
  | 'VERIFY_FILENAME'
  | 'VERIFY_BAD_SIGNATURE'
  | 'VERIFY_NO_KEYS'
  | 'VERIFY_LOCK_HASH'
  | 'VERIFY_PACKAGE_SIZE'
  | 'VERIFY_BAD_ZIP'
  | 'VERIFY_KEPT_CHANGED'
  // local state
  | 'STORE_CORRUPT'
  | 'OUTPUT_CONFLICT'
  | 'IO'
  | 'PUBLISH'
  // OCI registry publishing (exit 1; OCI_CONFLICT: the registry holds other bytes for a version)
  | 'OCI_UNAUTHORIZED'
  | 'OCI_CONFLICT'
  | 'OCI_REGISTRY'
  | 'SERVE';

/** Codes that mean "the user gave us something invalid" (CLI exit 2). */
export const INPUT_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INPUT_INVALID',
  'LOCK_INVALID',
  'LOCK_NOT_FOUND',
  'PLAN_EMPTY',
]);

export class RepoxyError extends Error {
  readonly code: ErrorCode;
  readonly detail: string | undefined;
  /** For LOCK_INVALID: every problem found, each with its `path:line:col`. */
  readonly diagnostics: readonly Diagnostic[];
  constructor(
    code: ErrorCode,
    message: string,
    options?: { detail?: string; cause?: unknown; diagnostics?: readonly Diagnostic[] },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RepoxyError';
    this.code = code;
    this.detail = options?.detail;
    this.diagnostics = options?.diagnostics ?? [];
  }
}

/** True for any error carrying a RepoxyError code, whichever bundle created it. */
export function isRepoxyError(err: unknown): err is RepoxyError {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { name?: unknown }).name === 'RepoxyError' &&
    typeof (err as { code?: unknown }).code === 'string'
  );
}
