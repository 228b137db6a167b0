import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ActionInputs } from '../../src/action/inputs.ts';
import type { BuildResult } from '../../src/engine.ts';
import { readOutputs } from '../support/actions-env.ts';
import { runWithActionsEnv, type ChildResult } from '../support/actions-harness.ts';

/**
 * Runs the build action's `publishMirror` in a child process with a runner environment (the real
 * @actions/artifact and @actions/github read process.env), on a BuildResult built by the test.
 */

const publishModule = pathToFileURL(path.resolve(import.meta.dirname, '../../src/action/publish.ts')).href;

const PUBLISH_CODE = `
import { readFileSync } from 'node:fs';
import * as core from '@actions/core';
const { publishMirror } = await import(${JSON.stringify(publishModule)});
const inputs = JSON.parse(process.env.PUBLISH_INPUTS);
const result = JSON.parse(readFileSync(process.env.BUILD_RESULT_FILE, 'utf8'));
try {
  core.setOutput('published', JSON.stringify(await publishMirror(inputs, result)));
} catch (err) {
  core.setOutput('error', err.code + ': ' + err.message);
}
`;

/** The build action's inputs with their action.yml defaults, then `overrides`. */
export function actionInputs(overrides: Partial<ActionInputs>): ActionInputs {
  return {
    lockfiles: ['**/.terraform.lock.hcl'],
    platforms: ['linux_amd64'],
    output: 'provider-mirror',
    upstreams: [],
    include: [],
    exclude: [],
    concurrency: undefined,
    requireAllPlatforms: false,
    requireSignatures: false,
    registryView: true,
    cache: false,
    cacheKeyPrefix: 'repoxy-providers',
    publish: [],
    mirrorUrl: '',
    artifactName: 'terraform-provider-mirror',
    retentionDays: undefined,
    allowPrivateProviders: false,
    githubToken: '',
    ociRepositoryTemplate: '',
    ociUsername: '',
    ociPassword: '',
    updateLockfiles: 'none',
    keepDays: 30,
    ...overrides,
  };
}

export interface PublishOutcome {
  readonly child: ChildResult;
  readonly published?: {
    mirrorUrl?: string;
    artifactId?: number;
    oci?: { repositories: string[]; manifestsPushed: number; blobsUploaded: number; cliConfig: string };
  };
  /** `CODE: message` when publishMirror threw. */
  readonly error?: string;
}

/** Runs publishMirror(inputs, result) in a step with `env`; the child itself must exit 0. */
export async function runPublishStep(
  env: Record<string, string>,
  inputs: ActionInputs,
  result: BuildResult,
  scratch: string,
): Promise<PublishOutcome> {
  const resultFile = path.join(scratch, `build-result-${process.hrtime.bigint()}.json`);
  writeFileSync(resultFile, JSON.stringify(result));
  const child = await runWithActionsEnv(
    { code: PUBLISH_CODE },
    { ...env, PUBLISH_INPUTS: JSON.stringify(inputs), BUILD_RESULT_FILE: resultFile },
  );
  if (child.code !== 0)
    throw new Error(`publish step crashed (${child.code}):\n${child.stderr}\n${child.stdout}`);
  const outputs = readOutputs(env);
  return {
    child,
    ...(outputs['published']
      ? { published: JSON.parse(outputs['published']) as PublishOutcome['published'] }
      : {}),
    ...(outputs['error'] ? { error: outputs['error'] } : {}),
  };
}
