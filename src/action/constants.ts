/** Input, output and state names, exactly as in action.yml (actions/cache src/constants.ts). */
export const Inputs = {
  Lockfiles: 'lockfiles',
  Platforms: 'platforms',
  Output: 'output',
  Upstreams: 'upstreams',
  Include: 'include',
  Exclude: 'exclude',
  Concurrency: 'concurrency',
  RequireAllPlatforms: 'require-all-platforms',
  RequireSignatures: 'require-signatures',
  RegistryView: 'registry-view',
  Cache: 'cache',
  CacheKeyPrefix: 'cache-key-prefix',
  Publish: 'publish',
  MirrorUrl: 'mirror-url',
  ArtifactName: 'artifact-name',
  RetentionDays: 'retention-days',
  AllowPrivateProviders: 'allow-private-providers',
  GithubToken: 'github-token',
  OciRepositoryTemplate: 'oci-repository-template',
  OciUsername: 'oci-username',
  OciPassword: 'oci-password',
  UpdateLockfiles: 'update-lockfiles',
  KeepDays: 'keep-days',
} as const;

export const Outputs = {
  MirrorDir: 'mirror-dir',
  Providers: 'providers',
  Archives: 'archives',
  Bytes: 'bytes',
  CacheHit: 'cache-hit',
  ArchivesFetched: 'archives-fetched',
  ArchivesReused: 'archives-reused',
  MirrorUrl: 'mirror-url',
  ArtifactId: 'artifact-id',
  CliConfig: 'cli-config',
  OciRepositories: 'oci-repositories',
  OciPushed: 'oci-pushed',
  UpdatedLockfiles: 'updated-lockfiles',
  CacheBytesRestored: 'cache-bytes-restored',
  CacheBytesSaved: 'cache-bytes-saved',
} as const;

/** The action's keep-days default: a shared mirror keeps a month of what branches lock (README "Retention"). */
export const DEFAULT_KEEP_DAYS = 30;

export const DEFAULT_ARTIFACT_NAME = 'terraform-provider-mirror';
export const PAGES_ARTIFACT_NAME = 'github-pages';
