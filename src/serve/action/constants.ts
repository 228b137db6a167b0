/** Input, output and state names of the serve action, exactly as in serve/action.yml. */
export const ServeInputs = {
  ArtifactName: 'artifact-name',
  RunId: 'run-id',
  GithubToken: 'github-token',
  Repository: 'repository',
  Path: 'path',
  Mode: 'mode',
  AllowDirect: 'allow-direct',
  MirrorDir: 'mirror-dir',
  Lockfiles: 'lockfiles',
  AllowForkArtifacts: 'allow-fork-artifacts',
} as const;

export const ServeOutputs = {
  MirrorDir: 'mirror-dir',
  CliConfig: 'cli-config',
  MirrorUrl: 'mirror-url',
} as const;

/** Saved by the main step for the post step (actions/checkout's isPost pattern). */
export const ServeState = {
  IsPost: 'isPost',
  ServerPid: 'server-pid',
  ServerStateFile: 'server-state-file',
} as const;

/** The variable Terraform and OpenTofu read their CLI configuration file from (PROTOCOL.md §7). */
export const CLI_CONFIG_VARIABLE = 'TF_CLI_CONFIG_FILE';
/** The variable Go (and curl, git, Python) read trusted roots from. */
export const CA_BUNDLE_VARIABLE = 'SSL_CERT_FILE';
