import type { ProviderAddress } from '../domain/address.ts';
import type { PackageRef } from '../domain/package.ts';
import { parsePlatform } from '../domain/platform.ts';
import { parseCanonicalVersion } from '../domain/version.ts';
import { checkLockLabel } from '../lockfile/address.ts';
import { MANIFEST_SCHEMA_VERSION, type ManifestArchive } from './manifest.ts';

/**
 * One archive of a mirror.json read back: the fields a reader acts on, checked. A manifest is never
 * an anchor: to retention it is a list of candidates (each fetched again and verified), to the serve
 * action a list of claims compared with VERSION.json and the bytes.
 */
export interface ReadArchive {
  readonly ref: PackageRef;
  readonly path: string;
  readonly size: number;
  readonly h1: string;
  readonly zh: string;
  readonly firstPublished: string;
  readonly lastLocked: string;
}

export interface ReadManifest {
  readonly archives: readonly ReadArchive[];
  /** What was wrong, one line each; archives with a problem are left out of `archives`. */
  readonly problems: readonly string[];
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const ZH = /^zh:[0-9a-f]{64}$/;
const H1 = /^h1:[A-Za-z0-9+/]{43}=$/;

/** Parses mirror.json text; never throws: a document it cannot use is all problems and no archives. */
export function readManifest(text: string): ReadManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { archives: [], problems: [`is not valid JSON (${(err as Error).message})`] };
  }
  if (!isObject(doc) || !Array.isArray(doc['archives']))
    return { archives: [], problems: ['has no "archives" list'] };
  if (doc['schemaVersion'] !== MANIFEST_SCHEMA_VERSION)
    return {
      archives: [],
      problems: [
        `has schemaVersion ${String(doc['schemaVersion'])}; this build reads ${MANIFEST_SCHEMA_VERSION}`,
      ],
    };
  const archives: ReadArchive[] = [];
  const problems: string[] = [];
  for (const [i, raw] of (doc['archives'] as unknown[]).entries()) {
    const read = readArchive(raw);
    if (typeof read === 'string') problems.push(`archives[${i}]: ${read}`);
    else archives.push(read);
  }
  return { archives, problems };
}

/** One archive entry, or the reason it cannot be used. */
function readArchive(raw: unknown): ReadArchive | string {
  if (!isObject(raw)) return 'is not an object';
  const a = raw as Partial<Record<keyof ManifestArchive, unknown>>;
  const address = typeof a.address === 'string' ? addressOf(a.address) : undefined;
  if (!address) return `address ${JSON.stringify(a.address)} is not a provider address`;
  if (typeof a.version !== 'string' || !parseCanonicalVersion(a.version))
    return `version ${JSON.stringify(a.version)} is not a canonical version`;
  let platform;
  try {
    platform = parsePlatform(String(a.platform));
  } catch {
    return `platform ${JSON.stringify(a.platform)} is not os_arch`;
  }
  if (typeof a.h1 !== 'string' || !H1.test(a.h1)) return `h1 ${JSON.stringify(a.h1)} is not an h1: hash`;
  if (typeof a.zh !== 'string' || !ZH.test(a.zh)) return `zh ${JSON.stringify(a.zh)} is not a zh: hash`;
  if (typeof a.path !== 'string' || typeof a.size !== 'number' || !Number.isSafeInteger(a.size))
    return 'needs a "path" string and a whole "size"';
  for (const day of [a.firstPublished, a.lastLocked])
    if (typeof day !== 'string' || !DAY.test(day)) return `${JSON.stringify(day)} is not a day (YYYY-MM-DD)`;
  return {
    ref: { address, version: a.version, platform },
    path: a.path,
    size: a.size,
    h1: a.h1,
    zh: a.zh,
    firstPublished: a.firstPublished as string,
    lastLocked: a.lastLocked as string,
  };
}

function addressOf(text: string): ProviderAddress | undefined {
  const checked = checkLockLabel(text);
  return checked.ok &&
    `${checked.address.hostname}/${checked.address.namespace}/${checked.address.type}` === text
    ? checked.address
    : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
