import type { Diagnostic } from './domain/diagnostic.ts';
import type { ArchiveRecord, CheckName, PackageRef, Plan, RetentionDecision } from './domain/package.ts';

/**
 * What the engine reports while it works. The engine never logs: front doors render these.
 * Every event is plain data so it can be printed, annotated or counted in tests.
 */
export type EngineEvent =
  | { readonly type: 'diagnostic'; readonly diagnostic: Diagnostic }
  | { readonly type: 'plan'; readonly plan: Plan }
  | { readonly type: 'archive-start'; readonly ref: PackageRef }
  | { readonly type: 'archive-done'; readonly record: ArchiveRecord }
  | {
      readonly type: 'archive-failed';
      readonly ref: PackageRef;
      readonly code: string;
      readonly message: string;
    }
  | { readonly type: 'platform-missing'; readonly ref: PackageRef; readonly message: string }
  | { readonly type: 'store-corrupt'; readonly ref: PackageRef; readonly message: string }
  /**
   * An archive was accepted with a check skipped that a cautious user wants to know about: no signature
   * (OpenTofu's registry serving no keys) or no lock-file hash for its version. Front doors show it as a
   * warning; `requireSignatures` turns a skipped signature into a failure instead.
   */
  | {
      readonly type: 'check-skipped';
      readonly ref: PackageRef;
      readonly check: Extract<CheckName, 'signature' | 'lock-hash'>;
      readonly message: string;
    }
  /** Which versions of the previous mirror stay published and which are dropped, with the reason. */
  | {
      readonly type: 'retention';
      readonly source: string;
      readonly decisions: readonly RetentionDecision[];
    }
  | { readonly type: 'warning'; readonly message: string }
  | { readonly type: 'debug'; readonly message: string }
  | { readonly type: 'written'; readonly out: string; readonly files: number; readonly bytes: number };

export type Reporter = (event: EngineEvent) => void;

export const silentReporter: Reporter = () => undefined;
