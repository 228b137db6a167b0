import * as core from '@actions/core';
import { RepoxyError } from '../domain/errors.ts';
import type { BuildResult } from '../engine.ts';
import { ociMirrorConfig } from '../publish/oci/client-config.ts';
import { pushMirrorToOci } from '../publish/oci/push.ts';
import { Inputs } from './constants.ts';
import type { ActionInputs } from './inputs.ts';

/** What `publish: oci` did: the repositories, what it pushed, and the block clients paste. */
export interface OciPublished {
  readonly repositories: string[];
  readonly manifestsPushed: number;
  readonly blobsUploaded: number;
  /** `provider_installation { oci_mirror { … } }` for OpenTofu >= 1.10. */
  readonly cliConfig: string;
}

/**
 * `publish: oci`: pushes the mirror the build just wrote (read back and verified again, see
 * publish/oci/mirror-archives.ts) to the `oci-repository-template` registry with `oci-username` and
 * `oci-password` (default: the actor and the job token, which needs `packages: write` on ghcr.io).
 */
export async function publishOci(inputs: ActionInputs, result: BuildResult): Promise<OciPublished> {
  if (!inputs.ociRepositoryTemplate) {
    throw new RepoxyError(
      'INPUT_INVALID',
      `input "${Inputs.OciRepositoryTemplate}" is required with publish: oci`,
    );
  }
  if (inputs.ociPassword) core.setSecret(inputs.ociPassword);
  const credentials =
    inputs.ociUsername && inputs.ociPassword
      ? {
          username: inputs.ociUsername,
          password: inputs.ociPassword,
          source: `the ${Inputs.OciUsername} and ${Inputs.OciPassword} inputs`,
        }
      : undefined;
  const pushed = await pushMirrorToOci({
    mirror: result.out,
    repositoryTemplate: inputs.ociRepositoryTemplate,
    include: inputs.include,
    exclude: inputs.exclude,
    concurrency: inputs.concurrency,
    credentials,
    env: process.env,
    onProgress: (line) => core.info(line),
  });
  core.info(
    `Pushed ${pushed.versions} version(s) to ${pushed.repositories.length} repositories: ` +
      `${pushed.blobsUploaded} blob(s) uploaded, ${pushed.manifestsPushed} manifest(s) pushed`,
  );
  return {
    repositories: pushed.repositories,
    manifestsPushed: pushed.manifestsPushed,
    blobsUploaded: pushed.blobsUploaded,
    cliConfig: ociMirrorConfig(inputs.ociRepositoryTemplate, pushed.clientInclude),
  };
}
