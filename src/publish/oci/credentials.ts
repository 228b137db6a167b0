import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RepoxyError } from '../../domain/errors.ts';
import type { OciRepository } from './repository.ts';

/** A username and password (or token) for one registry; sent only to that registry's host. */
export interface OciCredentials {
  readonly username: string;
  readonly password: string;
  /** Where they came from, for messages (`--username`, a file path). Never the secret. */
  readonly source: string;
}

/**
 * The Docker-style files OpenTofu reads for ambient OCI credentials, in its order (PROTOCOL.md §6.2;
 * website/docs/cli/oci_registries/credentials.mdx). Credential helpers are not run.
 */
export function dockerConfigFiles(env: NodeJS.ProcessEnv): string[] {
  const home = env['HOME'] ?? os.homedir();
  const files: string[] = [];
  if (env['XDG_RUNTIME_DIR']) files.push(path.join(env['XDG_RUNTIME_DIR'], 'containers', 'auth.json'));
  files.push(path.join(env['XDG_CONFIG_HOME'] || path.join(home, '.config'), 'containers', 'auth.json'));
  files.push(path.join(env['DOCKER_CONFIG'] || path.join(home, '.docker'), 'config.json'));
  files.push(path.join(home, '.dockercfg'));
  return files;
}

/**
 * Credentials for `repo` from the first file of `files` with an entry for its registry: the longest
 * `registry[/prefix]` key that is a prefix of the repository wins. A missing file is skipped; a
 * malformed one throws INPUT_INVALID naming it.
 */
export async function credentialsFromFiles(
  files: readonly string[],
  repo: OciRepository,
): Promise<OciCredentials | undefined> {
  for (const file of files) {
    const auths = await readAuths(file);
    if (auths === undefined) continue;
    const found = bestEntry(auths, repo);
    if (found) return decodeEntry(found, file);
  }
  return undefined;
}

async function readAuths(file: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RepoxyError('IO', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new RepoxyError('INPUT_INVALID', `${file} is not valid JSON`);
  }
  if (!isObject(doc)) throw new RepoxyError('INPUT_INVALID', `${file} is not a JSON object`);
  // ~/.dockercfg is the old format: the hosts are the top-level keys.
  if (path.basename(file) === '.dockercfg') return doc;
  return isObject(doc['auths']) ? doc['auths'] : {};
}

function bestEntry(auths: Record<string, unknown>, repo: OciRepository): unknown {
  let best: { length: number; value: unknown } | undefined;
  const target = `${repo.registry}/${repo.repository}`;
  for (const [key, value] of Object.entries(auths)) {
    const name = normalizeKey(key);
    const matches = name === repo.registry || target === name || target.startsWith(`${name}/`);
    if (matches && (best === undefined || name.length > best.length)) best = { length: name.length, value };
  }
  return best?.value;
}

/** `https://index.docker.io/v1/` → `index.docker.io`; `ghcr.io/acme` stays. */
function normalizeKey(key: string): string {
  const bare = key.replace(/^https?:\/\//i, '').replace(/\/+$/, '');
  return /^[^/]+\/v[12]$/.test(bare) ? bare.split('/')[0]!.toLowerCase() : bare.toLowerCase();
}

function decodeEntry(entry: unknown, file: string): OciCredentials | undefined {
  if (!isObject(entry)) return undefined;
  if (typeof entry['auth'] === 'string' && entry['auth'] !== '') {
    const text = Buffer.from(entry['auth'], 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon < 0) throw new RepoxyError('INPUT_INVALID', `${file}: an "auth" value is not user:password`);
    return { username: text.slice(0, colon), password: text.slice(colon + 1), source: file };
  }
  const { username, password } = entry;
  if (typeof username === 'string' && typeof password === 'string')
    return { username, password, source: file };
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
