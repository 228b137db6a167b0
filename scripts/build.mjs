// Builds the committed bundles: tsc (rewriting .ts import extensions) into .build/, then ncc per entry.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, renameSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const build = path.join(root, '.build');
const entries = [
  { src: 'src/action/index.js', out: 'dist', name: 'index.js' },
  { src: 'src/cli/index.js', out: 'dist', name: 'cli.js' },
  { src: 'src/serve/action/index.js', out: 'dist/serve', name: 'index.js' },
];
rmSync(build, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
rmSync(path.join(root, 'dist'), { recursive: true, force: true });
for (const e of entries) {
  const tmp = path.join(build, 'ncc', e.name + '-' + path.basename(e.out));
  execFileSync(
    process.execPath,
    [
      path.join(root, 'node_modules/@vercel/ncc/dist/ncc/cli.js'),
      'build',
      path.join(build, e.src),
      '-o',
      tmp,
      '--quiet',
      '--target',
      'es2022',
    ],
    { cwd: root, stdio: 'inherit' },
  );
  mkdirSync(path.join(root, e.out), { recursive: true });
  for (const f of readdirSync(tmp)) {
    const target = f === 'index.js' ? e.name : f;
    cpSync(path.join(tmp, f), path.join(root, e.out, target), { recursive: true });
  }
}
rmSync(build, { recursive: true, force: true });
void renameSync;
