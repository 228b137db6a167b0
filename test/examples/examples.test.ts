/**
 * Examples that cannot rot (issue 16): every workflow in examples/ and every YAML block of the README,
 * docs/ and serve/README.md names only inputs and outputs that action.yml / serve/action.yml declare,
 * and the repoxy steps of the Pages and artifact examples run for real, from the action's source, with
 * the same harness as the action tests (a runner environment, the real @actions/cache and
 * @actions/artifact against Azurite, the fixture registry instead of the public ones).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { actionsEnv, readEnvFile, readOutputs } from '../support/actions-env.ts';
import {
  runWithActionsEnv,
  startActionsBackends,
  stopActionsBackends,
  type ActionsBackends,
} from '../support/actions-harness.ts';
import type { FixtureRegistry } from '../support/fixture-registry.ts';
import { startTwoHostRegistry, TF_NULL, TOFU_RANDOM } from '../engine/support/providers.ts';
import { startFakeGitHubApi, type FakeGitHubApi } from '../serve/github-api.ts';

// js-yaml comes with the dev tooling (eslint); it is only read here, to walk workflows as data.
const { load } = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

const ROOT = path.resolve(import.meta.dirname, '../..');
const ACTION_ENTRY = path.join(ROOT, 'src/action/index.ts');
const SERVE_ENTRY = path.join(ROOT, 'src/serve/action/index.ts');
const TOKEN = 'ghs_examples_test_token';
const PAGES_URL = 'https://owner.github.io/repo';
const GUARD = { timeout: 180_000 };

interface ActionMeta {
  readonly file: string;
  readonly name?: string;
  readonly description?: string;
  readonly author?: string;
  readonly branding?: { icon?: string; color?: string };
  readonly inputs: Record<string, { default?: string; required?: boolean }>;
  readonly outputs: Record<string, unknown>;
}

function readAction(file: string): ActionMeta {
  const meta = load(readFileSync(path.join(ROOT, file), 'utf8')) as Omit<ActionMeta, 'file'>;
  return { ...meta, file, inputs: meta.inputs ?? {}, outputs: meta.outputs ?? {} };
}

const BUILD = readAction('action.yml');
const SERVE = readAction('serve/action.yml');

/** The action a `uses:` names, when it is this repository's (as users write it, or `./` in this repo). */
function repoxyAction(uses: string): ActionMeta | undefined {
  const m = /^(?:org\/repoxy-action|\.)(\/serve)?\/?(?:@[\w.-]+)?$/.exec(uses);
  if (!m) return undefined;
  return m[1] ? SERVE : BUILD;
}

interface Step {
  readonly id?: string;
  readonly uses: string;
  readonly with?: Record<string, unknown>;
}

/** Every object with a string `uses:` anywhere in `doc` (workflows, jobs, step lists alike). */
function stepsOf(doc: unknown): Step[] {
  if (Array.isArray(doc)) return doc.flatMap(stepsOf);
  if (doc === null || typeof doc !== 'object') return [];
  const own = typeof (doc as { uses?: unknown }).uses === 'string' ? [doc as Step] : [];
  return [...own, ...Object.values(doc).flatMap(stepsOf)];
}

interface Source {
  readonly where: string;
  readonly text: string;
}

function exampleFiles(): Source[] {
  const dir = path.join(ROOT, 'examples');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ where: `examples/${f}`, text: readFileSync(path.join(dir, f), 'utf8') }));
}

function markdownBlocks(): Source[] {
  const files = [
    'README.md',
    'serve/README.md',
    ...readdirSync(path.join(ROOT, 'docs')).map((f) => `docs/${f}`),
  ];
  return files
    .filter((f) => f.endsWith('.md'))
    .flatMap((file) => {
      const lines = readFileSync(path.join(ROOT, file), 'utf8').split('\n');
      const blocks: Source[] = [];
      for (let i = 0; i < lines.length; i++) {
        if (!/^```ya?ml\s*$/.test(lines[i]!)) continue;
        const start = i + 1;
        while (++i < lines.length && !/^```\s*$/.test(lines[i]!));
        blocks.push({ where: `${file}:${start}`, text: dedent(lines.slice(start, i).join('\n')) });
      }
      return blocks;
    });
}

function dedent(text: string): string {
  const lines = text.split('\n');
  const cut = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(cut)).join('\n');
}

describe('examples and README workflows name only what the actions declare', () => {
  const sources = [...exampleFiles(), ...markdownBlocks()];

  it('finds the examples of every route, and YAML blocks in the README', () => {
    const names = exampleFiles().map((s) => s.where);
    for (const route of ['pages', 'artifact-serve', 'lockfile-check', 'oci']) {
      assert.ok(names.includes(`examples/${route}.yml`), route);
    }
    assert.ok(sources.some((s) => s.where.startsWith('README.md:')));
  });

  it('every with: key of every repoxy step is an input of the matching action.yml', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const source of sources) {
      for (const step of stepsOf(load(source.text))) {
        const action = repoxyAction(step.uses);
        if (!action) continue;
        checked++;
        for (const key of Object.keys(step.with ?? {})) {
          if (key in action.inputs) continue;
          problems.push(`${source.where}: ${step.uses} has no input "${key}" (${action.file})`);
        }
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(checked >= 6, `${checked} repoxy steps checked`);
  });

  it('every steps.<id>.outputs.<name> of a repoxy step is an output of its action.yml', () => {
    const problems: string[] = [];
    for (const source of sources) {
      for (const step of stepsOf(load(source.text))) {
        const action = repoxyAction(step.uses);
        if (!action || !step.id) continue;
        for (const m of source.text.matchAll(new RegExp(`steps\\.${step.id}\\.outputs\\.([\\w-]+)`, 'g'))) {
          if (!(m[1]! in action.outputs))
            problems.push(`${source.where}: ${action.file} has no output "${m[1]}"`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it('a renamed input is caught: the check sees an unknown key', () => {
    const renamed = stepsOf(load('steps:\n  - uses: org/repoxy-action@v1\n    with:\n      lockfile: x\n'));
    const action = repoxyAction(renamed[0]!.uses);
    assert.equal(action, BUILD);
    assert.ok(!('lockfile' in action.inputs));
    assert.equal(repoxyAction('org/repoxy-action/serve@v1'), SERVE);
    assert.equal(repoxyAction('./serve'), SERVE);
    assert.equal(repoxyAction('actions/checkout@v5'), undefined);
  });

  it('both action.yml files carry the Marketplace metadata', () => {
    for (const action of [BUILD, SERVE]) {
      assert.ok(action.name && action.name.length <= 100, `${action.file}: name`);
      assert.ok(action.description && action.description.length <= 125, `${action.file}: description`);
      assert.ok(action.author, `${action.file}: author`);
      assert.ok(action.branding?.icon && action.branding.color, `${action.file}: branding`);
    }
  });
});

describe('the repoxy steps of the Pages and artifact examples, run for real', () => {
  let registry: FixtureRegistry;
  let backends: ActionsBackends;
  let api: FakeGitHubApi;
  let scratch: string;
  let step = 0;

  before(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'repoxy-examples-'));
    registry = await startTwoHostRegistry();
    backends = await startActionsBackends();
    api = await startFakeGitHubApi({ backends, token: TOKEN, pagesUrl: PAGES_URL });
  });
  after(async () => {
    await api?.stop();
    await registry?.close();
    await stopActionsBackends(backends, scratch);
  });

  /** A job's step on a fresh runner: the checkout holds a lock file of two providers, both platforms. */
  async function newStep(jobBackendId: string) {
    const root = path.join(scratch, `step-${++step}`);
    const workspace = path.join(root, 'ws');
    await mkdir(path.join(workspace, 'infra'), { recursive: true });
    await writeFile(
      path.join(workspace, 'infra/.terraform.lock.hcl'),
      registry.lockFile([TF_NULL, TOFU_RANDOM], 'both'),
    );
    const env = actionsEnv({
      results: backends.results,
      workspace,
      temp: path.join(root, 'temp'),
      runBackendId: 'run-examples',
      jobBackendId,
      apiUrl: api.url,
    });
    return { env, workspace };
  }

  /**
   * INPUT_* as a runner sets them: every default of action.yml (expressions evaluated as a runner
   * would for this repository), then the example's `with:`, then `testOnly` (the fixture registry).
   */
  function inputEnv(
    action: ActionMeta,
    given: Record<string, unknown>,
    testOnly: Record<string, string> = {},
  ) {
    const values: Record<string, string> = {};
    for (const [name, input] of Object.entries(action.inputs)) {
      values[name] = String(input.default ?? '')
        .replace('${{ github.token }}', TOKEN)
        .replace('${{ github.repository }}', 'owner/repo');
    }
    for (const [name, value] of Object.entries(given)) {
      assert.doesNotMatch(String(value), /\$\{\{/, `${name}: an expression this test cannot evaluate`);
      values[name] = String(value);
    }
    Object.assign(values, testOnly);
    return Object.fromEntries(Object.entries(values).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]));
  }

  function repoxySteps(file: string): Step[] {
    const steps = stepsOf(load(readFileSync(path.join(ROOT, 'examples', file), 'utf8')));
    return steps.filter((s) => repoxyAction(s.uses) !== undefined);
  }

  it(
    'examples/pages.yml: the build step mirrors, uploads github-pages and reports the Pages URL',
    GUARD,
    async () => {
      const [build, ...rest] = repoxySteps('pages.yml');
      assert.ok(build);
      assert.deepEqual(rest, []);
      const { env, workspace } = await newStep('job-build');
      const inputs = inputEnv(BUILD, build.with ?? {}, { upstreams: registry.upstreamArgs().join('\n') });
      const r = await runWithActionsEnv(
        { file: ACTION_ENTRY },
        { ...env, ...inputs },
        { timeoutMs: 150_000 },
      );
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const outputs = readOutputs(env);
      assert.equal(outputs['providers'], '2');
      assert.equal(outputs['archives'], '4', 'two providers × linux_amd64, darwin_arm64');
      assert.equal(outputs['mirror-url'], `${PAGES_URL}/`);
      assert.match(outputs['artifact-id'] ?? '', /^\d+$/);
      assert.ok(existsSync(path.join(workspace, 'provider-mirror/.nojekyll')));
    },
  );

  it(
    'examples/artifact-serve.yml: the mirror job uploads the artifact, a later job serves it',
    GUARD,
    async () => {
      const [build, serve, ...rest] = repoxySteps('artifact-serve.yml');
      assert.ok(build && serve);
      assert.deepEqual(rest, []);
      assert.equal(repoxyAction(serve.uses), SERVE);

      const mirrorJob = await newStep('job-mirror');
      const inputs = inputEnv(BUILD, build.with ?? {}, { upstreams: registry.upstreamArgs().join('\n') });
      const r = await runWithActionsEnv(
        { file: ACTION_ENTRY },
        { ...mirrorJob.env, ...inputs },
        { timeoutMs: 150_000 },
      );
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(readOutputs(mirrorJob.env)['archives'], '2', 'two providers × linux_amd64');

      const planJob = await newStep('job-plan');
      const s = await runWithActionsEnv(
        { file: SERVE_ENTRY },
        { ...planJob.env, ...inputEnv(SERVE, serve.with ?? {}) },
      );
      assert.equal(s.code, 0, s.stdout + s.stderr);
      const exported = readEnvFile(planJob.env);
      const config = exported['TF_CLI_CONFIG_FILE'];
      assert.ok(config, s.stdout);
      assert.match(readFileSync(config, 'utf8'), /filesystem_mirror \{/);
    },
  );
});
