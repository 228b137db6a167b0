import type { BuildResult } from '../engine.ts';
import type { ActionInputs } from './inputs.ts';

export interface Published {
  readonly mirrorUrl?: string;
  readonly artifactId?: number;
}

/** Publishes the built mirror as the `publish` input says. */
export async function publishMirror(inputs: ActionInputs, _result: BuildResult): Promise<Published> {
  if (inputs.publish === 'none') return inputs.mirrorUrl ? { mirrorUrl: inputs.mirrorUrl } : {};
  throw new Error(`publish: ${inputs.publish} is not implemented yet`);
}
