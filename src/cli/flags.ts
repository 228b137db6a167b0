/** The flags every command that reads lock files and fetches from upstream shares (node:util parseArgs). */
export const SOURCE_FLAGS = {
  lockfile: { type: 'string', multiple: true },
  platform: { type: 'string', multiple: true },
  include: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
  upstream: { type: 'string', multiple: true },
  'cache-dir': { type: 'string' },
} as const;
