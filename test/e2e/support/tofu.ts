import { clientEnv, resolveClient, TOFU, type Client, type ClientEnvOptions } from './client.ts';

/**
 * The OpenTofu client under its first names, kept for bench/ (which compares against
 * `tofu providers mirror`). The suite itself uses client.ts, for both OpenTofu and Terraform.
 */

export type Tofu = Client;
export type TofuEnvOptions = ClientEnvOptions;
export { runProcess, describe, type ProcessResult } from './process.ts';

/** The OpenTofu client (once per process): TOFU_BIN when set, else `bash scripts/build-tofu.sh`. */
export function resolveTofu(): Promise<Tofu> {
  return resolveClient(TOFU);
}

/** See clientEnv. */
export function tofuEnv(options: TofuEnvOptions): Record<string, string> {
  return clientEnv(options);
}
