import { compareAddresses, formatAddress, type ProviderAddress } from '../domain/address.ts';
import { RepoxyError } from '../domain/errors.ts';
import type {
  ArchiveRecord,
  PackageRef,
  Plan,
  PlannedProvider,
  RetentionDecision,
} from '../domain/package.ts';
import { formatPlatform } from '../domain/platform.ts';
import { compareVersionText } from '../domain/version.ts';
import { isSelected, parseProviderPattern } from '../plan/patterns.ts';
import type { ArchiveHistory } from './manifest.ts';
import type { ReadArchive } from './manifest-read.ts';

export type { RetentionDecision };

export interface RetentionOptions {
  /** Days a version stays published after the last build whose lock files asked for it; 0: never. */
  readonly keepDays: number;
  /** The build's UTC day, YYYY-MM-DD. */
  readonly today: string;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

/** The outcome of retention: what joins the plan, why, and what the previous mirror published. */
export interface Retention {
  /** Kept versions as planned providers with no lock hashes: they are fetched and verified like any other. */
  readonly kept: readonly PlannedProvider[];
  readonly decisions: readonly RetentionDecision[];
  /** The previous mirror's archives by `address version platform`. */
  readonly previous: ReadonlyMap<string, ReadArchive>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The build's UTC day: mirror.json dates are days, so a rebuild on the same day is byte-identical. */
export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/**
 * Decides, from the previous mirror's archives (untrusted: only candidates), which provider versions
 * the current lock files no longer lock stay published: those last locked at most `keepDays` days ago
 * and still selected by include/exclude. Pure.
 */
export function decideRetention(
  previous: readonly ReadArchive[],
  plan: Plan,
  o: RetentionOptions,
): Retention {
  const current = new Set(plan.providers.map((p) => versionKey(p.address, p.version)));
  const include = o.include.map(parseProviderPattern);
  const exclude = o.exclude.map(parseProviderPattern);
  const kept: PlannedProvider[] = [];
  const decisions: RetentionDecision[] = [];
  for (const [key, archives] of byVersion(previous)) {
    if (current.has(key)) continue;
    const { address, version } = archives[0]!.ref;
    const lastLocked = clampDay(
      archives
        .map((a) => a.lastLocked)
        .sort()
        .at(-1)!,
      o.today,
    );
    const age = Math.round((Date.parse(o.today) - Date.parse(lastLocked)) / DAY_MS);
    const decide = (outcome: RetentionDecision['outcome'], reason: string) =>
      decisions.push({ address, version, lastLocked, outcome, reason });
    if (!isSelected(address, include, exclude)) decide('dropped', 'no longer selected by include/exclude');
    else if (o.keepDays === 0)
      decide('dropped', 'keep-days is 0: only what the lock files lock is published');
    else if (age > o.keepDays)
      decide('dropped', `last locked ${lastLocked}, ${age} day(s) ago: past keep-days ${o.keepDays}`);
    else {
      decide(
        'kept',
        `last locked ${lastLocked} (${age} day(s) ago); kept through ${addDays(lastLocked, o.keepDays)}`,
      );
      kept.push({ address, version, constraints: null, hashes: [], lockfiles: [] });
    }
  }
  const previousByRef = new Map(previous.map((a) => [refKey(a.ref), a] as const));
  return { kept, decisions: decisions.sort(compareDecisions), previous: previousByRef };
}

/** The plan with the kept versions added (sorted by address then version, as buildPlan sorts). */
export function withKept(plan: Plan, kept: readonly PlannedProvider[]): Plan {
  const providers = [...plan.providers, ...kept].sort(
    (a, b) => compareAddresses(a.address, b.address) || compareVersionText(a.version, b.version),
  );
  return { platforms: plan.platforms, providers };
}

/**
 * Fails closed when a kept archive's verified bytes differ from what the previous mirror published
 * for it: clients whose lock files recorded the old hashes would refuse it, and upstream changing a
 * released version is what an attack looks like. Throws VERIFY_KEPT_CHANGED naming every such archive.
 */
export function assertKeptUnchanged(records: readonly ArchiveRecord[], retention: Retention): void {
  const kept = new Set(retention.kept.map((p) => versionKey(p.address, p.version)));
  const changed = records.filter((r) => {
    const before = retention.previous.get(refKey(r.ref));
    return (
      kept.has(versionKey(r.ref.address, r.ref.version)) &&
      before &&
      (before.zh !== r.zh || before.h1 !== r.h1)
    );
  });
  if (changed.length === 0) return;
  const lines = changed.map((r) => {
    const before = retention.previous.get(refKey(r.ref))!;
    return `  - ${refKey(r.ref)}: published before as ${before.zh}, upstream now serves ${r.zh}`;
  });
  throw new RepoxyError(
    'VERIFY_KEPT_CHANGED',
    `${changed.length} kept archive(s) changed upstream since the mirror published them; nothing was published:\n` +
      `${lines.join('\n')}\nIf the change is legitimate, lock the version again (or drop it with keep-days 0).`,
  );
}

/** `address version` of each kept provider version. */
export function keptKeys(kept: readonly PlannedProvider[]): Set<string> {
  return new Set(kept.map((p) => versionKey(p.address, p.version)));
}

/** The decisions after the build: a kept version that got no archive (gone upstream) is dropped. */
export function settleKept(
  decisions: readonly RetentionDecision[],
  records: readonly ArchiveRecord[],
): RetentionDecision[] {
  const published = new Set(records.map((r) => versionKey(r.ref.address, r.ref.version)));
  return decisions.map((d) =>
    d.outcome === 'kept' && !published.has(versionKey(d.address, d.version))
      ? { ...d, outcome: 'dropped', reason: 'no longer served upstream (or none of the platforms)' }
      : d,
  );
}

/** The kept versions the settled decisions still keep (those upstream still serves). */
export function stillKept(
  kept: readonly PlannedProvider[],
  decisions: readonly RetentionDecision[],
): PlannedProvider[] {
  const keep = new Set(
    decisions.filter((d) => d.outcome === 'kept').map((d) => versionKey(d.address, d.version)),
  );
  return kept.filter((p) => keep.has(versionKey(p.address, p.version)));
}

/** Lock files and dates of each archive for mirror.json: current versions locked today, kept ones carried. */
export function historyFor(
  plan: Plan,
  retention: Retention,
  today: string,
): (r: ArchiveRecord) => ArchiveHistory {
  const lockfiles = new Map(
    plan.providers.map((p) => [versionKey(p.address, p.version), p.lockfiles] as const),
  );
  const lastLocked = new Map(
    retention.decisions.map((d) => [versionKey(d.address, d.version), d.lastLocked]),
  );
  return (r) => {
    const key = versionKey(r.ref.address, r.ref.version);
    return {
      lockfiles: lockfiles.get(key) ?? [],
      firstPublished: retention.previous.get(refKey(r.ref))?.firstPublished ?? today,
      lastLocked: lockfiles.has(key) ? today : (lastLocked.get(key) ?? today),
    };
  };
}

function byVersion(archives: readonly ReadArchive[]): Map<string, ReadArchive[]> {
  const out = new Map<string, ReadArchive[]>();
  for (const a of archives) {
    const key = versionKey(a.ref.address, a.ref.version);
    out.set(key, [...(out.get(key) ?? []), a]);
  }
  return out;
}

/** A day after `today` (a clock gone wrong, or a doctored manifest) counts as today. */
function clampDay(day: string, today: string): string {
  return day > today ? today : day;
}

function addDays(day: string, days: number): string {
  return utcDay(new Date(Date.parse(day) + days * DAY_MS));
}

/** `address version`: how retention (and the engine's kept set) names a provider version. */
export function versionKey(address: ProviderAddress, version: string): string {
  return `${formatAddress(address)} ${version}`;
}

function refKey(ref: PackageRef): string {
  return `${formatAddress(ref.address)} ${ref.version} ${formatPlatform(ref.platform)}`;
}

function compareDecisions(a: RetentionDecision, b: RetentionDecision): number {
  return (
    formatAddress(a.address).localeCompare(formatAddress(b.address)) ||
    compareVersionText(a.version, b.version)
  );
}
