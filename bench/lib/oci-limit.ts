import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Agent, request } from 'undici';
import { runLimited } from '../../src/limit.ts';
import { findProviderDirs } from '../../src/publish/verify-mirror.ts';

/** One zip of a written mirror with the digest its VERSION.json states (`zh:`). */
export interface MirrorBlob {
  readonly file: string;
  readonly size: number;
  readonly digest: string;
}

/** Every archive of the mirror at `root` (HOST/NS/TYPE/VERSION.json), with its listed zh: as digest. */
export async function mirrorBlobs(root: string): Promise<MirrorBlob[]> {
  const out: MirrorBlob[] = [];
  for (const rel of await findProviderDirs(path.resolve(root))) {
    const dir = path.join(root, rel);
    for (const name of (await readdir(dir)).filter((n) => n.endsWith('.json') && n !== 'index.json')) {
      const doc = JSON.parse(await readFile(path.join(dir, name), 'utf8')) as {
        archives: Record<string, { url: string; hashes: string[] }>;
      };
      for (const { url, hashes } of Object.values(doc.archives)) {
        const file = path.join(dir, url);
        const zh = hashes.find((h) => h.startsWith('zh:'))!;
        out.push({ file, size: (await stat(file)).size, digest: `sha256:${zh.slice(3)}` });
      }
    }
  }
  return out;
}

/**
 * The limit of a push: the same blobs uploaded with plain streaming requests (POST, then PUT
 * `?digest=` with the file streamed), `concurrency` at once, no HEADs, no hashing, no manifests.
 * Returns the wall time in seconds.
 */
export async function uploadBlobsPlainly(
  host: string,
  ca: string,
  blobs: readonly MirrorBlob[],
  concurrency: number,
): Promise<number> {
  const dispatcher = new Agent({ connect: { ca }, connections: concurrency });
  const started = performance.now();
  try {
    await runLimited(
      blobs.map((b, i) => ({ b, repo: `limit/r${i % 12}` })),
      concurrency,
      async ({ b, repo }) => {
        const post = await request(`https://${host}/v2/${repo}/blobs/uploads/`, {
          dispatcher,
          method: 'POST',
        });
        await post.body.dump();
        const location = new URL(String(post.headers['location']), `https://${host}`);
        location.searchParams.set('digest', b.digest);
        const put = await request(location.href, {
          dispatcher,
          method: 'PUT',
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(b.size) },
          body: createReadStream(b.file),
        });
        await put.body.dump();
        if (put.statusCode !== 201) throw new Error(`limit upload of ${b.file}: HTTP ${put.statusCode}`);
      },
    );
    return (performance.now() - started) / 1000;
  } finally {
    await dispatcher.close();
  }
}
