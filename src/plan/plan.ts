/**
 * The planner, pure: lock files in, the deduplicated list of provider versions and platforms to
 * mirror out (PROTOCOL.md §3: every (address, version) with the union of its hashes).
 */
import { compareAddresses, formatAddress, type ProviderAddress } from '../domain/address.ts';
import { formatDiagnostic, type Diagnostic } from '../domain/diagnostic.ts';
import { RepoxyError } from '../domain/errors.ts';
import { normalizeHashes } from '../domain/hash.ts';
import type { PackageRef, Plan, PlannedProvider } from '../domain/package.ts';
import { comparePlatforms, formatPlatform, type Platform } from '../domain/platform.ts';
import { compareVersions, parseCanonicalVersion, type Version } from '../domain/version.ts';
import type { LockedProvider, LockFile } from '../lockfile/parse.ts';
import { isSelected, parseProviderPattern, type ProviderPattern } from './patterns.ts';

export { formatPlanTable, planToJSON } from './format.ts';

export interface PlanOptions {
  /** At least one; the caller supplies the default (linux_amd64). */
  readonly platforms: readonly Platform[];
  /** Provider patterns (see patterns.ts); empty includes everything. */
  readonly include: readonly string[];
  /** Provider patterns; exclusion wins over inclusion. */
  readonly exclude: readonly string[];
}

interface Accumulated {
  readonly address: ProviderAddress;
  readonly version: Version;
  constraints: string | null;
  readonly hashes: string[];
  readonly lockfiles: { path: string; line: number }[];
}

/**
 * Merges lock files into a Plan: one entry per (address, version) across all files, hashes
 * unioned (sorted, unique), every `path:line` kept; providers sorted by address then version;
 * platforms deduplicated and sorted. Throws LOCK_INVALID carrying every error diagnostic of every
 * file, and INPUT_INVALID for a bad pattern or no platform. The plan may be empty.
 */
export function buildPlan(files: readonly LockFile[], options: PlanOptions): Plan {
  rejectInvalidFiles(files);
  if (options.platforms.length === 0) {
    throw new RepoxyError(
      'INPUT_INVALID',
      'no target platform given: name at least one, such as linux_amd64',
    );
  }
  const include = options.include.map(parseProviderPattern);
  const exclude = options.exclude.map(parseProviderPattern);
  const merged = mergeProviders(files, include, exclude);
  return { platforms: uniquePlatforms(options.platforms), providers: merged.map(toPlanned) };
}

/**
 * The include patterns (as given) that select no provider locked in any of `files`, whatever the
 * exclude patterns: most likely a typo, which would otherwise narrow the plan without a word.
 */
export function unmatchedIncludes(files: readonly LockFile[], include: readonly string[]): string[] {
  const locked = files.flatMap((f) => f.providers.map((p) => p.address));
  return include.filter((text) => {
    const pattern = parseProviderPattern(text);
    return !locked.some((address) => isSelected(address, [pattern], []));
  });
}

/** Every package the plan needs: each provider version for each platform, in plan order. */
export function packagesOf(plan: Plan): PackageRef[] {
  return plan.providers.flatMap((p) =>
    plan.platforms.map((platform) => ({ address: p.address, version: p.version, platform })),
  );
}

function rejectInvalidFiles(files: readonly LockFile[]): void {
  const errors: Diagnostic[] = files.flatMap((f) => f.diagnostics.filter((d) => d.severity === 'error'));
  if (errors.length === 0) return;
  const problems = errors.length === 1 ? 'problem' : 'problems';
  const shown = errors.slice(0, 10).map(formatDiagnostic);
  if (errors.length > shown.length) shown.push(`... and ${errors.length - shown.length} more`);
  throw new RepoxyError('LOCK_INVALID', `${errors.length} ${problems} in lock files`, {
    detail: shown.join('\n'),
    diagnostics: errors,
  });
}

function mergeProviders(
  files: readonly LockFile[],
  include: readonly ProviderPattern[],
  exclude: readonly ProviderPattern[],
): Accumulated[] {
  const byKey = new Map<string, Accumulated>();
  for (const file of files) {
    for (const locked of file.providers) {
      if (!isSelected(locked.address, include, exclude)) continue;
      const key = `${formatAddress(locked.address)} ${locked.version}`;
      const entry = byKey.get(key) ?? newEntry(locked);
      byKey.set(key, entry);
      // Constraints differ between lock files only as the configurations differ; the first one
      // seen (files in the order given, blocks in file order) is kept as a record, not re-checked.
      entry.constraints ??= locked.constraints;
      entry.hashes.push(...locked.hashes);
      entry.lockfiles.push({ path: file.path, line: locked.line });
    }
  }
  return [...byKey.values()].sort(
    (a, b) => compareAddresses(a.address, b.address) || compareVersions(a.version, b.version),
  );
}

function newEntry(locked: LockedProvider): Accumulated {
  const version = parseCanonicalVersion(locked.version);
  if (version === undefined) {
    // parseLockFile only returns canonical versions; a hand-built LockFile may not.
    throw new RepoxyError(
      'LOCK_INVALID',
      `version "${locked.version}" of ${formatAddress(locked.address)} is not canonical`,
    );
  }
  return { address: locked.address, version, constraints: null, hashes: [], lockfiles: [] };
}

function toPlanned(entry: Accumulated): PlannedProvider {
  const lockfiles = [...entry.lockfiles]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line))
    .map((l) => `${l.path}:${l.line}`);
  return {
    address: entry.address,
    version: entry.version.text,
    constraints: entry.constraints,
    hashes: normalizeHashes(entry.hashes),
    lockfiles: [...new Set(lockfiles)],
  };
}

function uniquePlatforms(platforms: readonly Platform[]): Platform[] {
  const byName = new Map(platforms.map((p) => [formatPlatform(p), { os: p.os, arch: p.arch }]));
  return [...byName.values()].sort(comparePlatforms);
}
