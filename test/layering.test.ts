import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';

const src = path.resolve(import.meta.dirname, '../src');
/** The pipeline, left to right (STYLE.md): a stage imports domain/ and stages to its left only. */
const STAGES = ['domain', 'lockfile', 'plan', 'upstream', 'verify', 'store', 'mirror', 'publish', 'serve'];
const FRONT_DOORS = ['action', 'cli'];
/** Shared modules at the top of src/ that any stage may use (plain data and helpers, no stage logic). */
const SHARED_ROOT = ['events.ts', 'limit.ts'];

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sourceFiles(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

function importsOf(text: string): string[] {
  return [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]/g),
    ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
}

/** The stage (or front door, or root module) a src/ file belongs to. */
function areaOf(file: string): string {
  const rel = path.relative(src, file).split(path.sep);
  return rel.length === 1 ? rel[0]! : rel[0]!;
}

describe('layering (STYLE.md: one pipeline, one direction)', async () => {
  const files = await sourceFiles(src);

  it('finds the source tree', () => {
    assert.ok(files.length > 40);
  });

  it('the engine never imports @actions/*: only action/ and serve/action/ do', async () => {
    const offenders: string[] = [];
    for (const f of files) {
      const rel = path.relative(src, f);
      if (rel.startsWith(`action${path.sep}`) || rel.startsWith(`serve${path.sep}action${path.sep}`))
        continue;
      if (importsOf(await readFile(f, 'utf8')).some((i) => i.startsWith('@actions/'))) offenders.push(rel);
    }
    assert.deepEqual(offenders, []);
  });

  it('a stage imports domain/ and stages to its left, never to its right, nor a front door or the engine', async () => {
    const offenders: string[] = [];
    for (const f of files) {
      const from = areaOf(f);
      const rank = STAGES.indexOf(from);
      if (rank < 0) continue;
      const inFrontDoor = path.relative(src, f).startsWith(`serve${path.sep}action${path.sep}`);
      for (const spec of importsOf(await readFile(f, 'utf8')).filter((i) => i.startsWith('.'))) {
        const target = areaOf(path.resolve(path.dirname(f), spec));
        if (SHARED_ROOT.includes(target)) continue;
        const targetRank = STAGES.indexOf(target);
        // serve/action/ is a front door: it may share the build action's run() and constants.
        const ok = inFrontDoor ? target !== 'cli' : targetRank >= 0 && targetRank <= rank;
        if (!ok) offenders.push(`${path.relative(src, f)} → ${spec}`);
      }
    }
    assert.deepEqual(offenders, []);
  });

  it('the build action does not import serve/ (the later job): what both need lives to the left', async () => {
    const offenders: string[] = [];
    for (const f of files.filter((f) => areaOf(f) === 'action')) {
      for (const spec of importsOf(await readFile(f, 'utf8')).filter((i) => i.startsWith('.'))) {
        if (areaOf(path.resolve(path.dirname(f), spec)) === 'serve')
          offenders.push(`${path.relative(src, f)} → ${spec}`);
      }
    }
    assert.deepEqual(offenders, []);
  });

  it('no import cycles between files', async () => {
    const graph = new Map<string, string[]>();
    for (const f of files) {
      const deps = importsOf(await readFile(f, 'utf8'))
        .filter((i) => i.startsWith('.'))
        .map((i) => path.resolve(path.dirname(f), i));
      graph.set(f, deps);
    }
    assert.deepEqual(
      findCycles(graph).map((c) => c.map((f) => path.relative(src, f)).join(' → ')),
      [],
    );
  });

  it('the cycle finder finds a cycle', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    assert.deepEqual(findCycles(graph), [['a', 'b', 'c', 'a']]);
  });

  it('front doors exist and their entry files are a few lines', async () => {
    for (const door of FRONT_DOORS) {
      const text = await readFile(path.join(src, door, 'index.ts'), 'utf8');
      assert.ok(text.trim().split('\n').length <= 4, `${door}/index.ts is a thin entry`);
    }
  });
});

/** Every import cycle, each once, as the path from its first-visited file back to it (depth-first). */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}
