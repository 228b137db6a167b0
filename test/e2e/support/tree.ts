import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** Every regular file under `dir` (relative POSIX path → bytes), sorted by path. */
export async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
  const tree = new Map<string, Buffer>();
  for (const f of files) tree.set(f, await readFile(path.join(dir, f)));
  return tree;
}
