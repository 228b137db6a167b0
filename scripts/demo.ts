// `npm run demo`: the offline tour for a newcomer. Starts the bundled fixture registry on 127.0.0.1,
// writes a sample lock file with real hashes, mirrors it with the CLI (dist/cli.js), walks the result
// the way a network-mirror client does (PROTOCOL.md §1), prints the CLI configuration, and stops.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startFixtureRegistry } from '../test/support/fixture-registry.ts';

const root = path.resolve(import.meta.dirname, '..');
const work = await mkdtemp(path.join(os.tmpdir(), 'repoxy-demo-'));
const registry = await startFixtureRegistry({
  providers: [
    {
      hostname: 'registry.terraform.io',
      namespace: 'hashicorp',
      type: 'random',
      version: '3.6.3',
      platforms: ['linux_amd64', 'darwin_arm64', 'windows_amd64'],
      size: 2 << 20,
    },
    {
      hostname: 'registry.opentofu.org',
      namespace: 'hashicorp',
      type: 'null',
      version: '3.2.3',
      platforms: ['linux_amd64', 'darwin_arm64'],
      size: 1 << 20,
    },
    {
      hostname: 'registry.terraform.io',
      namespace: 'integrations',
      type: 'github',
      version: '6.4.0-beta.1',
      platforms: ['linux_amd64', 'darwin_arm64'],
      size: 3 << 20,
    },
  ],
});
try {
  const lock = registry.lockFile(
    [
      { address: 'registry.terraform.io/hashicorp/random', version: '3.6.3', constraints: '~> 3.6' },
      { address: 'registry.opentofu.org/hashicorp/null', version: '3.2.3' },
      { address: 'registry.terraform.io/integrations/github', version: '6.4.0-beta.1' },
    ],
    'all-platforms-zh',
  );
  const lockPath = path.join(work, 'infra', '.terraform.lock.hcl');
  await mkdir(path.dirname(lockPath), { recursive: true });
  await writeFile(lockPath, lock);
  console.log(`fixture registry: ${registry.origin} (signing key ${registry.keyId})`);
  console.log(`lock file:        ${lockPath}\n`);
  const out = path.join(work, 'mirror');
  const args = [
    path.join(root, 'dist/cli.js'),
    'mirror',
    '--lockfile',
    lockPath,
    '--out',
    out,
    '--platform',
    'linux_amd64',
    '--platform',
    'darwin_arm64',
    // Where a real mirror would be published: the CLI prints its configuration with this URL, as below.
    '--mirror-url',
    'https://YOUR-ORG.github.io/YOUR-REPO/',
  ];
  for (const u of registry.upstreamArgs()) args.push('--upstream', u);
  console.log(
    `$ repoxy ${args
      .slice(1)
      .map((a) => (a.includes(' ') ? JSON.stringify(a) : a))
      .join(' ')}\n`,
  );
  // Asynchronous spawn: the fixture registry lives in this process and must keep answering.
  const child = spawn(process.execPath, args, { stdio: 'inherit' });
  const [status] = (await once(child, 'exit')) as [number | null];
  if (status !== 0) throw new Error(`repoxy mirror exited ${status}`);
  console.log(
    '\nChecking the mirror as a network-mirror client would (index.json → VERSION.json → zip → hash):',
  );
  for (const p of [
    'registry.terraform.io/hashicorp/random',
    'registry.opentofu.org/hashicorp/null',
    'registry.terraform.io/integrations/github',
  ]) {
    const index = JSON.parse(await readFile(path.join(out, p, 'index.json'), 'utf8')) as {
      versions: Record<string, object>;
    };
    for (const version of Object.keys(index.versions)) {
      const doc = JSON.parse(await readFile(path.join(out, p, `${version}.json`), 'utf8')) as {
        archives: Record<string, { url: string; hashes: string[] }>;
      };
      for (const [platform, a] of Object.entries(doc.archives)) {
        const bytes = await readFile(path.join(out, p, a.url));
        const zh = `zh:${createHash('sha256').update(bytes).digest('hex')}`;
        if (!a.hashes.includes(zh))
          throw new Error(`${p} ${version} ${platform}: zip does not match its hashes`);
        console.log(`  ok  ${p} ${version} ${platform}  ${zh.slice(0, 19)}…`);
      }
    }
  }
  console.log(`\nThe mirror is in ${out}. Serve it over https and point Terraform/OpenTofu at it:\n`);
  console.log(
    'provider_installation {\n  network_mirror {\n    url = "https://YOUR-ORG.github.io/YOUR-REPO/"   # the trailing / matters\n  }\n}',
  );
} finally {
  await registry.close();
}
