import type { Reporter } from '../events.ts';
import type { CachedSource } from './cached-source.ts';
import type { Store } from './store.ts';
import type { ChainOptions } from './trust.ts';
import type { VersionAnchors } from './version-anchors.ts';

/** What obtaining a package needs: the store, the cached upstream source, the run's anchors, the reporter. */
export interface PackageContext {
  readonly store: Store;
  readonly source: CachedSource;
  readonly report: Reporter;
  /** OpenTofu's verification switches, read from the environment once per run (chainOptionsFrom). */
  readonly chain: ChainOptions;
  /** A signature not verified in this run (no keys, or only a lock anchor) fails the archive. */
  readonly requireSignatures?: boolean;
  /** The run's upstream anchor of each provider version (its first documents fetched in this run). */
  readonly versions: VersionAnchors;
}
