// Writes every ```yaml block of the given Markdown files into OUT_DIR as a workflow actionlint can
// check: a complete workflow (top-level `on:` and `jobs:`) as it is; `jobs:` without `on:` under an
// `on: push`; a job's body (steps:) or a list of steps inside one job. Prints each written file's path
// and its source line.
// Usage: node scripts/extract-workflows.mjs OUT_DIR FILE.md...
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const [outDir, ...files] = process.argv.slice(2);
if (!outDir || files.length === 0) {
  console.error('usage: node scripts/extract-workflows.mjs OUT_DIR FILE.md...');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
let written = 0;
for (const file of files) {
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ya?ml\s*$/.test(lines[i])) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    if (end >= lines.length) throw new Error(`${file}:${i + 1}: unterminated yaml block`);
    const body = lines.slice(start, end).join('\n') + '\n';
    const name = `${file.replace(/\.md$/, '').replace(/[^\w-]+/g, '_')}-line${start}.yml`;
    writeFileSync(path.join(outDir, name), asWorkflow(body, `${file}:${start}`));
    console.log(`${path.join(outDir, name)} ← ${file}:${start}`);
    written++;
    i = end;
  }
}
if (written === 0) console.log('no yaml blocks');

function asWorkflow(text, where) {
  const body = dedent(text);
  const hasOn = /^(on|"on"|'on'):/m.test(body);
  const hasJobs = /^jobs:/m.test(body);
  const header = `# extracted from ${where}\n`;
  if (hasOn && hasJobs) return header + body;
  if (hasJobs) return `${header}on: push\n${body}`;
  if (/^- /m.test(body)) {
    const steps = body
      .split('\n')
      .map((l) => (l === '' ? l : `      ${l}`))
      .join('\n');
    return `${header}on: push\njobs:\n  snippet:\n    runs-on: ubuntu-latest\n    steps:\n${steps}`;
  }
  if (/^steps:/m.test(body)) {
    const runsOn = /^runs-on:/m.test(body) ? '' : '    runs-on: ubuntu-latest\n';
    const job = body
      .split('\n')
      .map((l) => (l === '' ? l : `    ${l}`))
      .join('\n');
    return `${header}on: push\njobs:\n  snippet:\n${runsOn}${job}`;
  }
  throw new Error(`${where}: a yaml block that is neither a workflow, jobs, a job nor a list of steps`);
}

/** The block without the indentation all its lines share (a job's body shown inside a workflow). */
function dedent(text) {
  const lines = text.split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)[0].length);
  const cut = Math.min(...indents);
  return lines.map((l) => l.slice(cut)).join('\n');
}
