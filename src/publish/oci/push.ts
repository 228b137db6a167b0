import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { ProviderAddress } from '../../domain/address.ts';
import { formatAddress } from '../../domain/address.ts';
import { isRepoxyError, RepoxyError } from '../../domain/errors.ts';
import { formatPlatform } from '../../domain/platform.ts';
import { runLimited } from '../../limit.ts';
import { parseProviderPattern } from '../../plan/patterns.ts';
import type { UpstreamOptions } from '../../upstream/options.ts';
import type { OciCredentials } from './credentials.ts';
import { credentialsFromFiles, dockerConfigFiles } from './credentials.ts';
import type { OciRequestEvent } from './distribution.ts';
import { OciRegistryClient } from './distribution.ts';
import type { IndexEntry, OciDocument, PlatformManifest } from './layout.ts';
import {
  EMPTY_CONFIG,
  EMPTY_CONFIG_BYTES,
  entryOf,
  platformManifest,
  providerIndex,
  tagOfVersion,
} from './layout.ts';
import { mergeProviderIndex } from './merge-index.ts';
import type { MirrorArchive } from './mirror-archives.ts';
import { checkZh, readMirrorArchives } from './mirror-archives.ts';
import type { OciRepository } from './repository.ts';
import {
  checkRepositoryTemplate,
  clientInclude,
  repositoryFor,
  requireDistinctRepositories,
} from './repository.ts';

export interface OciPushOptions {
  /** A mirror directory repoxy wrote (`repoxy mirror --out`, the action's `mirror-dir`). */
  readonly mirror: string;
  readonly repositoryTemplate: string;
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  /** Archives uploaded at once (default 8). */
  readonly concurrency?: number;
  readonly plainHttp?: boolean;
  /** Used for every registry; otherwise the Docker-style files of `env` (PROTOCOL.md §6.2). */
  readonly credentials?: OciCredentials;
  readonly env?: NodeJS.ProcessEnv;
  readonly ca?: string;
  readonly httpOptions?: Partial<UpstreamOptions>;
  readonly onRequest?: (event: OciRequestEvent) => void;
  readonly onProgress?: (line: string) => void;
}

export interface OciPushResult {
  /** The `include` of the client's `oci_mirror` block (may be empty). */
  readonly clientInclude: string[];
  /** `registry/repository` of every provider pushed, sorted. */
  readonly repositories: string[];
  readonly versions: number;
  readonly archives: number;
  /** Manifests and indexes PUT this run (0 when the registry already had everything). */
  readonly manifestsPushed: number;
  readonly blobsUploaded: number;
}

/** One provider version to push: its repository, tag, platform manifests and index. */
interface VersionPush {
  readonly address: ProviderAddress;
  readonly repo: OciRepository;
  readonly client: OciRegistryClient;
  readonly tag: string;
  readonly platforms: readonly { archive: MirrorArchive; manifest: PlatformManifest }[];
  readonly index: OciDocument;
}

/**
 * Pushes every selected archive of a mirror as OpenTofu's `oci_mirror` reads it (PROTOCOL.md §6.3).
 * Incremental: a tag already at our index is skipped, blobs and manifests present are not uploaded.
 * A tag is written only after every manifest it references is in, and only to an index that keeps
 * every platform it had. Throws INPUT_INVALID, VERIFY_SHASUM, OCI_UNAUTHORIZED, OCI_CONFLICT, OCI_REGISTRY.
 */
export async function pushMirrorToOci(options: OciPushOptions): Promise<OciPushResult> {
  const include = (options.include ?? []).map(parseProviderPattern);
  const exclude = (options.exclude ?? []).map(parseProviderPattern);
  const concurrency = options.concurrency ?? 8;
  const archives = await readMirrorArchives(options.mirror, { include, exclude });
  if (archives.length === 0) throw new RepoxyError('INPUT_INVALID', `no archives in ${options.mirror} match`);
  const addresses = uniqueAddresses(archives);
  checkRepositoryTemplate(options.repositoryTemplate, include, addresses);
  const clients = new Map<string, OciRegistryClient>();
  const counts = { manifests: 0 };
  try {
    const versions = await planVersions(archives, options, clients);
    // Each tag's target is decided (and a conflicting archive refused) before any byte is uploaded.
    const targets: TagTarget[] = [];
    await runLimited(versions, concurrency, async (v) => {
      const index = await tagTarget(v);
      if (index) targets.push({ v, index });
    });
    options.onProgress?.(
      `${versions.length - targets.length} of ${versions.length} version(s) already up to date`,
    );
    await pushContent(
      targets.map((t) => t.v),
      concurrency,
      counts,
    );
    await runLimited(targets, concurrency, (t) => tagVersion(t, counts, options.onProgress));
    const blobsUploaded = [...clients.values()].reduce((n, c) => n + c.blobUploads, 0);
    const repositories = [...new Set(versions.map((v) => `${v.repo.registry}/${v.repo.repository}`))].sort();
    return {
      clientInclude: clientInclude(options.repositoryTemplate, include, addresses),
      repositories,
      versions: versions.length,
      archives: archives.length,
      manifestsPushed: counts.manifests,
      blobsUploaded,
    };
  } finally {
    await Promise.all([...clients.values()].map((c) => c.close()));
  }
}

async function planVersions(
  archives: readonly MirrorArchive[],
  options: OciPushOptions,
  clients: Map<string, OciRegistryClient>,
): Promise<VersionPush[]> {
  const groups = new Map<string, MirrorArchive[]>();
  for (const a of archives) {
    const key = `${formatAddress(a.address)} ${a.version}`;
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  const targets = [...groups.values()].map((g) => ({
    address: g[0]!.address,
    repo: repositoryFor(options.repositoryTemplate, g[0]!.address),
  }));
  requireDistinctRepositories(targets);
  const out: VersionPush[] = [];
  for (const [i, group] of [...groups.values()].entries()) {
    const { address, repo } = targets[i]!;
    const client = await clientFor(repo, options, clients);
    const platforms = group.map((archive) => ({
      archive,
      manifest: platformManifest(archive.platform, archive),
    }));
    const index = providerIndex(platforms.map((p) => entryOf(p.manifest)));
    out.push({ address, repo, client, tag: tagOfVersion(group[0]!.version), platforms, index });
  }
  return out;
}

/**
 * The client for `repo`: one per registry *and* credentials, since the config files pick credentials per
 * repository (the longest `registry/prefix` entry), so two repositories of one registry may need
 * different ones (a client per registry alone would send the first repository's to the second).
 */
async function clientFor(
  repo: OciRepository,
  options: OciPushOptions,
  clients: Map<string, OciRegistryClient>,
): Promise<OciRegistryClient> {
  const credentials =
    options.credentials ?? (await credentialsFromFiles(dockerConfigFiles(options.env ?? process.env), repo));
  const key = `${repo.registry}\n${JSON.stringify(credentials ?? null)}`;
  const known = clients.get(key);
  if (known) return known;
  const client = new OciRegistryClient({
    registry: repo.registry,
    plainHttp: options.plainHttp,
    credentials,
    options: options.httpOptions,
    ca: options.ca,
    env: options.env ?? process.env,
    onRequest: options.onRequest,
  });
  clients.set(key, client);
  return client;
}

/** The config blob of each repository, then every platform's zip and manifest (not yet any tag). */
async function pushContent(
  pending: readonly VersionPush[],
  concurrency: number,
  counts: { manifests: number },
): Promise<void> {
  const repos = new Map(pending.map((v) => [`${v.repo.registry}/${v.repo.repository}`, v]));
  await runLimited([...repos.values()], concurrency, (v) =>
    ensureBlob(v.client, v.repo.repository, EMPTY_CONFIG, () => EMPTY_CONFIG_BYTES),
  );
  const work = pending.flatMap((v) => v.platforms.map((p) => ({ v, p })));
  await runLimited(work, concurrency, async ({ v, p }) => {
    await pushArchive(v.client, v.repo.repository, p.archive);
    await ensureManifest(v.client, v.repo.repository, p.manifest.manifest, counts);
  });
}

/**
 * One zip, verified on the way as the serve action verifies an artifact (verify-mirror.ts: an archive
 * with a `zh:` is checked by its sha256; see mirror-archives.ts for the anchor): the registry checks the
 * sha256 on upload (a `PUT ?digest=` whose bytes do not hash to the `zh:` digest is refused, OCI
 * distribution spec), or we do when the registry already has the blob. The `h1:` is not recomputed: an
 * OCI mirror carries only the digest (OpenTofu checks the lock file's `zh:` against it), so no `h1:`
 * reaches a client from here. Nothing references the blob before it passed: its manifest comes after,
 * the tag after every manifest.
 */
async function pushArchive(client: OciRegistryClient, repo: string, archive: MirrorArchive): Promise<void> {
  if (await client.hasBlob(repo, archive.digest)) await checkZh(archive);
  else await uploadArchive(client, repo, archive);
}

/** Uploads the zip; when the registry finds another digest, says which file and what it hashes to. */
async function uploadArchive(client: OciRegistryClient, repo: string, archive: MirrorArchive): Promise<void> {
  try {
    await client.uploadBlob(repo, archive, () => createReadStream(archive.file));
  } catch (err) {
    if (isRepoxyError(err) && err.code === 'VERIFY_SHASUM') await checkZh(archive);
    throw err;
  }
}

async function ensureBlob(
  client: OciRegistryClient,
  repo: string,
  blob: { digest: string; size: number },
  body: () => Buffer | Readable,
): Promise<void> {
  if (await client.hasBlob(repo, blob.digest)) return;
  await client.uploadBlob(repo, blob, body);
}

async function ensureManifest(
  client: OciRegistryClient,
  repo: string,
  doc: OciDocument,
  counts: { manifests: number },
): Promise<void> {
  if ((await client.manifestDigest(repo, doc.digest)) === doc.digest) return;
  await client.putManifest(repo, doc.digest, doc);
  counts.manifests++;
}

/** A version whose tag must move, and the index it moves to. */
interface TagTarget {
  readonly v: VersionPush;
  readonly index: OciDocument;
}

/**
 * The index the version's tag must point at: ours when there is no tag, ours merged with the
 * platforms an existing index already has, or undefined when the tag is already right.
 */
async function tagTarget(v: VersionPush): Promise<OciDocument | undefined> {
  const repo = v.repo.repository;
  if ((await v.client.manifestDigest(repo, v.tag)) === v.index.digest) return undefined;
  const existing = await v.client.getManifest(repo, v.tag);
  if (!existing) return v.index;
  const key = (p: VersionPush['platforms'][number]) => formatPlatform(p.archive.platform);
  const ours = new Map<string, IndexEntry>(v.platforms.map((p) => [key(p), entryOf(p.manifest)]));
  const archives = new Map(v.platforms.map((p) => [key(p), p.archive.digest]));
  const where = `${v.repo.registry}/${repo}:${v.tag}`;
  return mergeProviderIndex(existing, ours, archives, { client: v.client, repo, where });
}

/** Points the tag at its index, once every manifest the index references is in. */
async function tagVersion(
  { v, index }: TagTarget,
  counts: { manifests: number },
  progress?: (line: string) => void,
): Promise<void> {
  await v.client.putManifest(v.repo.repository, v.tag, index);
  counts.manifests++;
  const platforms = `${v.platforms.length} platform(s)`;
  progress?.(
    `pushed ${v.repo.registry}/${v.repo.repository}:${v.tag} (${formatAddress(v.address)}, ${platforms})`,
  );
}

function uniqueAddresses(archives: readonly MirrorArchive[]): ProviderAddress[] {
  const seen = new Map(archives.map((a) => [formatAddress(a.address), a.address]));
  return [...seen.values()];
}
