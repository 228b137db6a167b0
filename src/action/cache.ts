import { createHash } from 'node:crypto';
import * as cache from '@actions/cache';
import * as core from '@actions/core';
import type { Plan } from '../domain/package.ts';
import { formatAddress } from '../domain/address.ts';
import { formatPlatform } from '../domain/platform.ts';

export type CacheHit = 'true' | 'partial' | 'false';

/**
 * The cache key: a digest of the normalized plan (platforms, provider addresses, versions and their
 * hashes), so comments, reordering or new lock-file paths do not bust it.
 */
export function cacheKeyFor(prefix: string, plan: Plan): { key: string; restoreKeys: string[] } {
  const normalized = {
    platforms: plan.platforms.map(formatPlatform),
    providers: plan.providers.map((p) => [formatAddress(p.address), p.version, p.hashes]),
  };
  const digest = createHash('sha256').update(JSON.stringify(normalized)).digest('hex').slice(0, 32);
  return { key: `${prefix}-v1-${digest}`, restoreKeys: [`${prefix}-v1-`] };
}

/** Restores the store. A cache failure is a warning and a cold run (actions/cache saveImpl.ts). */
export async function restoreStore(
  dir: string,
  plan: Plan,
  prefix: string,
): Promise<{ hit: CacheHit; key: string }> {
  const { key, restoreKeys } = cacheKeyFor(prefix, plan);
  if (!cache.isFeatureAvailable()) {
    core.warning('The cache service is not available here; building without a cache.');
    return { hit: 'false', key };
  }
  try {
    const matched = await cache.restoreCache([dir], key, restoreKeys);
    const hit: CacheHit = matched === undefined ? 'false' : matched === key ? 'true' : 'partial';
    core.info(
      matched ? `Restored provider store from cache key ${matched}` : 'No cached provider store found',
    );
    return { hit, key };
  } catch (err) {
    core.warning(
      `Restoring the provider store failed (${(err as Error).message}); building without a cache.`,
    );
    return { hit: 'false', key };
  }
}

/** Saves the store under `key` when it changed. Failures are warnings. */
export async function saveStore(dir: string, key: string, changed: boolean): Promise<void> {
  if (!changed) {
    core.info('Provider store unchanged since it was restored; not saving the cache.');
    return;
  }
  try {
    const id = await cache.saveCache([dir], key);
    if (id !== -1) core.info(`Saved provider store to cache key ${key}`);
  } catch (err) {
    core.warning(
      `Saving the provider store failed (${(err as Error).message}); the mirror itself is complete.`,
    );
  }
}
