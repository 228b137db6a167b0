import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { getInputs } from '../../src/action/inputs.ts';

// The real @actions/core reads INPUT_* from the environment, as on a runner.
describe('action input publish: a list of targets', () => {
  const set = (name: string, value: string) => (process.env[`INPUT_${name.toUpperCase()}`] = value);
  afterEach(() => {
    for (const name of ['PUBLISH', 'OCI-REPOSITORY-TEMPLATE']) delete process.env[`INPUT_${name}`];
  });

  it('accepts none, one target, or several separated by lines or commas', () => {
    set('publish', 'none');
    assert.deepEqual(getInputs().publish, []);
    set('publish', 'pages, oci');
    assert.deepEqual(getInputs().publish, ['pages', 'oci']);
    set('publish', 'artifact\noci\nartifact');
    assert.deepEqual(getInputs().publish, ['artifact', 'oci']);
  });

  it('names the input and what it accepts for anything else', () => {
    set('publish', 'pages, ghcr');
    assert.throws(() => getInputs(), {
      code: 'INPUT_INVALID',
      message: 'input "publish" must list pages, artifact and/or oci (or be none), got "ghcr"',
    });
  });

  it('lower-cases the OCI repository template (repository names are lower case)', () => {
    set('oci-repository-template', 'ghcr.io/Octo-Org/tofu-providers/${namespace}/${type}');
    assert.equal(getInputs().ociRepositoryTemplate, 'ghcr.io/octo-org/tofu-providers/${namespace}/${type}');
  });
});
