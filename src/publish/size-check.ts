import { RepoxyError } from '../domain/errors.ts';
import type { ArchiveRecord, RetentionDecision } from '../domain/package.ts';
import { versionKey } from '../mirror/retention.ts';
import type { MirrorTreeEntry } from './mirror-tree.ts';

/** Size limits of a GitHub Pages site, in bytes of the uploaded tar. */
export interface PagesSizeLimits {
  /** Over this, warn: Pages officially supports sites up to 1 GB, and deploys time out after 10 minutes. */
  readonly warnBytes: number;
  /** Over this, fail: Pages does not even attempt to deploy an artifact over 10 GB. */
  readonly failBytes: number;
}

export const PAGES_SIZE_LIMITS: PagesSizeLimits = {
  warnBytes: 1024 ** 3,
  failBytes: 10 * 1024 ** 3,
};

/** How many of the heaviest providers a size message names. */
const HEAVIEST_NAMED = 5;

/** Bytes per provider (`HOST/NS/TYPE`), heaviest first; other files (JSON at the root, `.nojekyll`) apart. */
export interface MirrorSizeReport {
  readonly totalBytes: number;
  readonly providers: readonly { readonly provider: string; readonly bytes: number }[];
  readonly otherBytes: number;
  /** What retention adds: versions no lock file locks now, kept for keep-days. */
  readonly retained?: RetentionCost;
}

/** The archives of kept versions (retention), counted apart so a size message can name their cost. */
export interface RetentionCost {
  readonly keepDays: number;
  readonly versions: number;
  readonly bytes: number;
}

/** The bytes and count of the kept versions among `archives`. */
export function retentionCost(
  archives: readonly ArchiveRecord[],
  decisions: readonly RetentionDecision[],
  keepDays: number,
): RetentionCost {
  const kept = new Set(
    decisions.filter((d) => d.outcome === 'kept').map((d) => versionKey(d.address, d.version)),
  );
  const bytes = archives
    .filter((a) => kept.has(versionKey(a.ref.address, a.ref.version)))
    .reduce((n, a) => n + a.size, 0);
  return { keepDays, versions: kept.size, bytes };
}

/**
 * Attributes every file to its provider: `HOST/NS/TYPE/...` and the registry view's
 * `v1/providers/HOST/NS/TYPE/...` both count for `HOST/NS/TYPE`.
 */
export function measureMirror(
  entries: readonly Pick<MirrorTreeEntry, 'path' | 'kind' | 'size'>[],
): MirrorSizeReport {
  const byProvider = new Map<string, number>();
  let totalBytes = 0;
  let otherBytes = 0;
  for (const e of entries) {
    if (e.kind !== 'file') continue;
    totalBytes += e.size;
    const provider = providerOf(e.path);
    if (provider === undefined) otherBytes += e.size;
    else byProvider.set(provider, (byProvider.get(provider) ?? 0) + e.size);
  }
  const providers = [...byProvider]
    .map(([provider, bytes]) => ({ provider, bytes }))
    .sort((a, b) => b.bytes - a.bytes || (a.provider < b.provider ? -1 : 1));
  return { totalBytes, providers, otherBytes };
}

function providerOf(rel: string): string | undefined {
  const parts = rel.split('/');
  const start = parts[0] === 'v1' && parts[1] === 'providers' ? 2 : 0;
  if (parts[0]?.startsWith('.') || parts.length < start + 4) return undefined;
  return parts.slice(start, start + 3).join('/');
}

/**
 * Checks a Pages tar of `tarBytes` against `limits`. Returns a warning to log when it is over
 * `warnBytes`; throws PUBLISH over `failBytes`. Both name the heaviest providers.
 */
export function checkPagesSize(
  tarBytes: number,
  report: MirrorSizeReport,
  limits: PagesSizeLimits = PAGES_SIZE_LIMITS,
): { warning?: string } {
  if (tarBytes > limits.failBytes) {
    throw new RepoxyError(
      'PUBLISH',
      `the Pages site would be ${formatBytes(tarBytes)}, over the ${formatBytes(limits.failBytes)} GitHub Pages ` +
        `will deploy. Heaviest providers: ${heaviest(report)}.${retentionNote(report)} Mirror fewer platforms or ` +
        `providers (include/exclude), or use publish: artifact or an OCI registry.`,
    );
  }
  if (tarBytes > limits.warnBytes) {
    return {
      warning:
        `the Pages site is ${formatBytes(tarBytes)}, over the ${formatBytes(limits.warnBytes)} GitHub Pages supports; ` +
        `the deployment may fail or time out. Heaviest providers: ${heaviest(report)}.${retentionNote(report)}`,
    };
  }
  return {};
}

/** What retention costs and how to lower it; empty when nothing is kept. */
function retentionNote(report: MirrorSizeReport): string {
  const r = report.retained;
  if (!r || r.versions === 0) return '';
  return (
    ` Retention keeps ${r.versions} version(s) no lock file locks now (${formatBytes(r.bytes)}, keep-days ${r.keepDays}):` +
    ' lower keep-days, narrow include/exclude, or publish to an OCI registry, which has no site size limit.'
  );
}

function heaviest(report: MirrorSizeReport): string {
  const named = report.providers
    .slice(0, HEAVIEST_NAMED)
    .map((p) => `${p.provider} (${formatBytes(p.bytes)})`);
  return named.length ? named.join(', ') : 'none (only metadata files)';
}

/** Bytes for people: `512 B`, `1.5 KiB`, `3.2 GiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`;
}
