/** Renderings of a Plan: the `plan.json` document and a table for people. */
import { formatAddress } from '../domain/address.ts';
import type { Plan } from '../domain/package.ts';
import { formatPlatform } from '../domain/platform.ts';

export interface PlanJSON {
  readonly platforms: string[];
  readonly providers: {
    readonly address: string;
    readonly version: string;
    readonly constraints: string | null;
    readonly hashes: string[];
    readonly lockfiles: string[];
  }[];
}

/** The plan as JSON-ready data, keys in a fixed order so serializations are byte-stable. */
export function planToJSON(plan: Plan): PlanJSON {
  return {
    platforms: plan.platforms.map(formatPlatform),
    providers: plan.providers.map((p) => ({
      address: formatAddress(p.address),
      version: p.version,
      constraints: p.constraints,
      hashes: [...p.hashes],
      lockfiles: [...p.lockfiles],
    })),
  };
}

/** A fixed-width table, one row per provider version, then a line counting the packages. */
export function formatPlanTable(plan: Plan): string {
  const header = ['PROVIDER', 'VERSION', 'CONSTRAINTS', 'HASHES', 'LOCKED IN'];
  const rows = plan.providers.map((p) => [
    formatAddress(p.address),
    p.version,
    p.constraints ?? '-',
    hashSummary(p.hashes),
    p.lockfiles.length === 1 ? p.lockfiles[0]! : `${p.lockfiles[0] ?? '-'} (+${p.lockfiles.length - 1} more)`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const platforms = plan.platforms.map(formatPlatform).join(', ');
  const count = plan.providers.length * plan.platforms.length;
  const total = `${plural(plan.providers.length, 'provider version')} × ${plural(plan.platforms.length, 'platform')} (${platforms}) = ${plural(count, 'package')}`;
  return [line(header), ...rows.map(line), '', total].join('\n') + '\n';
}

function hashSummary(hashes: readonly string[]): string {
  const h1 = hashes.filter((h) => h.startsWith('h1:')).length;
  const zh = hashes.filter((h) => h.startsWith('zh:')).length;
  const other = hashes.length - h1 - zh;
  return [`${h1} h1`, `${zh} zh`, ...(other > 0 ? [`${other} other`] : [])].join(', ');
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
