import { isRepoxyError } from '../domain/errors.ts';
import type { Reporter } from '../events.ts';
import type { Store } from '../store/store.ts';
import type { UpstreamHttp } from '../upstream/http.ts';
import { MANIFEST_FILE } from './manifest.ts';
import { readManifest, type ReadArchive } from './manifest-read.ts';

/** Where the store keeps a copy of the last mirror.json it was built into (untrusted, like the store). */
export const STORE_STATE_REF = 'state/mirror.json';

/** A published mirror.json is larger than a registry document: one record per archive. */
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

export interface PreviousMirror {
  /** Where it came from, for the summary: `store`, the URL, or `none`. */
  readonly source: string;
  readonly archives: readonly ReadArchive[];
}

/**
 * The previous build's archives: the store's copy of its mirror.json, else the mirror.json of the
 * published mirror at `mirrorUrl` (fetched over HTTPS with the engine's client; 404 means a first
 * publication). Only candidates: every version kept is fetched again and verified. Unusable entries
 * are warnings, and so is a published mirror that cannot be read (fail soft, as the cache does: the
 * store's state, when present, is read first, so this only matters when the cache was evicted too).
 */
export async function loadPreviousMirror(
  store: Store | undefined,
  mirrorUrl: string | undefined,
  http: UpstreamHttp,
  report: Reporter,
): Promise<PreviousMirror> {
  const stored = store ? await readStoredState(store, report) : undefined;
  if (stored) return parsed('store', stored.toString('utf8'), report);
  if (!mirrorUrl) return { source: 'none', archives: [] };
  const url = new URL(MANIFEST_FILE, mirrorUrl.endsWith('/') ? mirrorUrl : `${mirrorUrl}/`).href;
  try {
    const { bytes } = await http.getBytes(url, { maxBytes: MAX_MANIFEST_BYTES });
    return parsed(url, bytes.toString('utf8'), report);
  } catch (err) {
    if (isRepoxyError(err) && err.code === 'UPSTREAM_NOT_FOUND') {
      report({ type: 'debug', message: `${url}: not found; no previous mirror to keep versions from` });
      return { source: 'none', archives: [] };
    }
    if (!isRepoxyError(err)) throw err;
    report({
      type: 'warning',
      message:
        `reading the published mirror's ${MANIFEST_FILE} failed (${err.message}); no version it published is ` +
        'kept in this build beyond what the lock files lock',
    });
    return { source: 'none', archives: [] };
  }
}

/** The store's state file; one the store cannot vouch for as a regular file is a warning and no state. */
async function readStoredState(store: Store, report: Reporter): Promise<Buffer | undefined> {
  try {
    return await store.readRef(STORE_STATE_REF);
  } catch (err) {
    if (!isRepoxyError(err) || (err.code !== 'STORE_CORRUPT' && err.code !== 'IO')) throw err;
    report({
      type: 'warning',
      message: `the store's ${STORE_STATE_REF} is unusable (${err.message}); ignored`,
    });
    return undefined;
  }
}

function parsed(source: string, text: string, report: Reporter): PreviousMirror {
  const read = readManifest(text);
  for (const p of read.problems.slice(0, 20))
    report({ type: 'warning', message: `previous ${MANIFEST_FILE} (${source}) ${p}; ignored` });
  return { source, archives: read.archives };
}
