import os from 'node:os';
import path from 'node:path';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { formatAddress } from './domain/address.ts';
import { RepoxyError, isRepoxyError } from './domain/errors.ts';
import type { ArchiveRecord, PackageRef, Plan, PlannedProvider } from './domain/package.ts';
import { formatPlatform, parsePlatform } from './domain/platform.ts';
import type { Reporter } from './events.ts';
import { readLockFiles } from './lockfile/read.ts';
import { archivePath, mirrorFileSize, networkMirrorFiles, type MirrorFile } from './mirror/network-mirror.ts';
import { buildManifest, MANIFEST_FILE, manifestDocument, stateDocument } from './mirror/manifest.ts';
import { loadPreviousMirror, STORE_STATE_REF } from './mirror/previous.ts';
import { registryViewFiles } from './mirror/registry-view.ts';
import {
  assertKeptUnchanged,
  decideRetention,
  historyFor,
  keptKeys,
  settleKept,
  stillKept,
  utcDay,
  versionKey,
  withKept,
  type RetentionDecision,
} from './mirror/retention.ts';
import { isProcessAlive, MirrorStaging } from './mirror/write-mirror.ts';
import { buildPlan, unmatchedIncludes } from './plan/plan.ts';
import { CachedSource } from './store/cached-source.ts';
import type { PackageContext } from './store/context.ts';
import { mirrorPackage, type MirroredPackage } from './store/obtain.ts';
import { pruneStore, type PruneResult } from './store/prune.ts';
import { Store } from './store/store.ts';
import { chainOptionsFrom } from './store/trust.ts';
import { VersionAnchors } from './store/version-anchors.ts';
import { createUpstream, type Upstream } from './upstream/create.ts';
import { skippedCheckEvents } from './verify/check-report.ts';
import type { UpstreamOptions } from './upstream/options.ts';
import { runLimited } from './limit.ts';

/** Everything `buildMirror` needs. Front doors build this from inputs or flags. */
export interface BuildOptions {
  readonly lockfiles: readonly string[];
  readonly cwd: string;
  readonly platforms: readonly string[];
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly out: string;
  /** `HOST=URL` overrides of where HOST's `.well-known/terraform.json` lives. */
  readonly upstreams: readonly string[];
  /** Persistent store (refs/ + packages/); a temporary one is used and removed when absent. */
  readonly cacheDir?: string;
  readonly concurrency?: number;
  /** A requested platform missing upstream fails the run instead of warning. */
  readonly requireAllPlatforms?: boolean;
  /** An archive whose SHA256SUMS signature was not checked in this run fails instead of warning. */
  readonly requireSignatures?: boolean;
  /** Also write the registry-protocol view (`.well-known/terraform.json`, `v1/providers/...`). */
  readonly registryView?: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly upstreamOptions?: Partial<UpstreamOptions>;
  /** Days a previously published version stays after the last build that locked it; default 0. */
  readonly keepDays?: number;
  /** The published mirror, read for its mirror.json when the store holds no previous state. */
  readonly previousMirrorUrl?: string;
  /** The build's clock (mirror.json dates are its UTC day); default now. */
  readonly now?: Date;
}

export interface BuildResult {
  readonly plan: Plan;
  readonly archives: readonly ArchiveRecord[];
  /** Each verified archive with the upstream evidence that proved it (for lock completion). */
  readonly packages: readonly MirroredPackage[];
  readonly missing: readonly PackageRef[];
  readonly out: string;
  readonly bytes: number;
  readonly files: number;
  readonly fetched: number;
  readonly reused: number;
  readonly upstreamRequests: number;
  readonly seconds: number;
  /** Where the previous mirror's state came from (`store`, a URL, `none`) and each version kept or dropped. */
  readonly retention: { readonly source: string; readonly decisions: readonly RetentionDecision[] };
  /** What pruning removed from a persistent store (cacheDir); undefined without one. */
  readonly pruned: PruneResult | undefined;
}

/** Reads lock files and plans; throws LOCK_INVALID (with diagnostics) or INPUT_INVALID. */
export async function planFromLockFiles(
  options: Pick<BuildOptions, 'lockfiles' | 'cwd' | 'platforms' | 'include' | 'exclude'>,
  report: Reporter,
): Promise<Plan> {
  const files = await readLockFiles([...options.lockfiles], { cwd: options.cwd });
  for (const f of files) for (const d of f.diagnostics) report({ type: 'diagnostic', diagnostic: d });
  const platforms = (options.platforms.length ? options.platforms : ['linux_amd64']).map(parsePlatform);
  const plan = buildPlan(files, { platforms, include: [...options.include], exclude: [...options.exclude] });
  for (const pattern of unmatchedIncludes(files, options.include)) {
    report({
      type: 'warning',
      message: `include pattern "${pattern}" matches no provider in the lock files`,
    });
  }
  report({ type: 'plan', plan });
  return plan;
}

/**
 * Plans, fetches, verifies and writes the mirror at `options.out`, atomically.
 * Throws RepoxyError; on any failure the previous output is untouched. Verified archives stay in the
 * store either way, so a re-run only fetches what failed.
 */
export async function buildMirror(options: BuildOptions, report: Reporter): Promise<BuildResult> {
  const started = performance.now();
  const plan = await planFromLockFiles(options, report);
  if (plan.providers.length === 0) {
    throw new RepoxyError(
      'PLAN_EMPTY',
      'the lock files lock no providers (after include/exclude): there is nothing to mirror',
    );
  }
  // Refuses a user's unrelated directory before anything is fetched (checked again at the swap). Each
  // verified archive is copied into the staging directory at once, overlapping the rest of the build.
  const staging = await MirrorStaging.open(options.out);
  let opened: OpenedContext | undefined;
  try {
    opened = await openPackageContext(options, report);
    const { ctx, upstream, store } = opened;
    const onVerified = (r: ArchiveRecord) => staging.stageArchive(archivePath(r), r.localPath);
    const { previous, retention, today, keepDays } = await retainFromPrevious(
      plan,
      store,
      upstream,
      options,
      report,
    );
    // Kept versions join the plan with no lock hashes: anchored, like any such version, by the registry's
    // signed SHA256SUMS fetched in this run; the previous mirror.json only names candidates.
    const full = withKept(plan, retention.kept);
    const outcome = await mirrorAll(full, ctx, options, keptKeys(retention.kept), onVerified);
    const decisions = settleKept(retention.decisions, outcome.archives);
    report({ type: 'retention', source: previous.source, decisions });
    assertKeptUnchanged(outcome.archives, retention);
    const built = buildManifest(outcome.evidence, historyFor(plan, retention, today), today, keepDays);
    const manifest = manifestDocument(built);
    const files = mirrorFiles(outcome, manifest, options);
    await staging.commit(files);
    const bytes = files.reduce((n, f) => n + mirrorFileSize(f), 0);
    report({ type: 'written', out: path.resolve(options.out), files: files.length, bytes });
    const pruned = options.cacheDir
      ? await keepOnlyPublished(store, outcome.archives, stateDocument(built))
      : undefined;
    return {
      plan: withKept(plan, stillKept(retention.kept, decisions)),
      archives: outcome.archives,
      packages: outcome.evidence,
      missing: outcome.missing,
      out: path.resolve(options.out),
      bytes,
      files: files.length,
      fetched: outcome.archives.filter((a) => a.source === 'upstream').length,
      reused: outcome.archives.filter((a) => a.source === 'store').length,
      upstreamRequests: upstream.requestCount(),
      seconds: (performance.now() - started) / 1000,
      retention: { source: previous.source, decisions },
      pruned,
    };
  } finally {
    await staging.abort(); // a failed build leaves no staging directory beside the output
    await opened?.close();
  }
}

/** Where packages come from: the store (cacheDir, or a temporary one) over the upstreams. */
export interface OpenedContext {
  readonly ctx: PackageContext;
  readonly upstream: ReturnType<typeof createUpstream>;
  readonly store: Store;
  /** Closes the upstream, cleans the store's tmp/ and removes a temporary store. */
  readonly close: () => Promise<void>;
}

export async function openPackageContext(
  options: Pick<BuildOptions, 'cacheDir' | 'env' | 'upstreams' | 'upstreamOptions' | 'requireSignatures'>,
  report: Reporter,
): Promise<OpenedContext> {
  const tempStore = options.cacheDir ? undefined : await createTempStore();
  const store = new Store(options.cacheDir ?? tempStore!);
  for (const rel of await store.init())
    report({
      type: 'warning',
      message: `the store's ${rel} was not a directory (a symlink?): replaced by an empty one`,
    });
  const upstream = createUpstream({
    env: options.env,
    upstreams: options.upstreams,
    options: options.upstreamOptions,
  });
  const source = new CachedSource(store, upstream.source);
  const ctx: PackageContext = {
    store,
    source,
    report,
    chain: chainOptionsFrom(options.env),
    requireSignatures: options.requireSignatures ?? false,
    versions: new VersionAnchors(),
  };
  const close = async (): Promise<void> => {
    await upstream.close();
    await store.cleanTmp();
    if (tempStore) await rm(tempStore, { recursive: true, force: true });
  };
  return { ctx, upstream, store, close };
}

/** The network mirror, the registry view (unless turned off) and mirror.json. */
function mirrorFiles(outcome: MirrorOutcome, manifest: string, options: BuildOptions): MirrorFile[] {
  return [
    ...networkMirrorFiles(outcome.archives),
    ...(options.registryView === false ? [] : registryViewFiles(outcome.evidence)),
    { path: MANIFEST_FILE, kind: 'text', text: manifest },
  ];
}

/** What the previous build published (store state, else the published mirror) and what of it to keep. */
async function retainFromPrevious(
  plan: Plan,
  store: Store,
  upstream: Upstream,
  options: BuildOptions,
  report: Reporter,
) {
  const stored = options.cacheDir ? store : undefined;
  const previous = await loadPreviousMirror(stored, options.previousMirrorUrl, upstream.http, report);
  const today = utcDay(options.now ?? new Date());
  const keepDays = options.keepDays ?? 0;
  const retention = decideRetention(previous.archives, plan, { ...options, keepDays, today });
  return { previous, retention, today, keepDays };
}

/** Prunes the store to the published archives and keeps this build's state (`stateDocument`) for the next. */
async function keepOnlyPublished(
  store: Store,
  archives: readonly ArchiveRecord[],
  state: string,
): Promise<PruneResult> {
  const pruned = await pruneStore(store, archives);
  await store.writeRef(STORE_STATE_REF, state); // a planted state (a link, a directory) is replaced
  return pruned;
}

const TEMP_STORE = /^repoxy-store-(\d+)-[A-Za-z0-9]{6}$/;

/**
 * A store for a run without cacheDir, under the OS temp dir and named with our PID. Stores that killed
 * runs left behind (their PID is gone) are removed first, so partial downloads do not pile up.
 */
async function createTempStore(): Promise<string> {
  const tmp = os.tmpdir();
  for (const name of await readdir(tmp).catch(() => [] as string[])) {
    const pid = TEMP_STORE.exec(name)?.[1];
    if (!pid || isProcessAlive(Number(pid))) continue;
    await rm(path.join(tmp, name), { recursive: true, force: true }).catch(() => undefined);
  }
  return mkdtemp(path.join(tmp, `repoxy-store-${process.pid}-`));
}

export interface MirrorOutcome {
  readonly archives: ArchiveRecord[];
  readonly evidence: MirroredPackage[];
  readonly missing: PackageRef[];
}

/**
 * Mirrors every package of `plan`, each once. A kept version (`kept`: `address version`) that upstream no
 * longer serves is left out with a warning rather than failing the build (a yanked version would otherwise
 * block every publication for keep-days); every other failure fails the build.
 */
export async function mirrorAll(
  plan: Plan,
  ctx: PackageContext,
  options: Pick<BuildOptions, 'concurrency' | 'requireAllPlatforms'>,
  kept: ReadonlySet<string> = new Set(),
  onVerified?: (record: ArchiveRecord) => Promise<void>,
): Promise<MirrorOutcome> {
  const jobs = plan.providers.flatMap((p) =>
    plan.platforms.map((platform) => ({ provider: p, ref: refOf(p, platform) })),
  );
  const archives: ArchiveRecord[] = [];
  const missing: PackageRef[] = [];
  const failures: { ref: PackageRef; err: unknown }[] = [];
  const evidence: MirroredPackage[] = [];
  await runLimited(jobs, options.concurrency ?? 8, async ({ provider, ref }) => {
    ctx.report({ type: 'archive-start', ref });
    try {
      const done = await mirrorPackage(ref, provider, ctx);
      await onVerified?.(done.record);
      archives.push(done.record);
      evidence.push(done);
      ctx.report({ type: 'archive-done', record: done.record });
      for (const skipped of skippedCheckEvents(done.record)) ctx.report(skipped);
    } catch (err) {
      if (kept.has(versionKey(ref.address, ref.version)) && isGone(err)) {
        ctx.report({
          type: 'warning',
          message: `kept version no longer served upstream, dropped: ${(err as Error).message}`,
        });
        return;
      }
      if (isRepoxyError(err) && err.code === 'UPSTREAM_PLATFORM_MISSING' && !options.requireAllPlatforms) {
        missing.push(ref);
        ctx.report({ type: 'platform-missing', ref, message: err.message });
        return;
      }
      failures.push({ ref, err });
      const code = isRepoxyError(err) ? err.code : 'IO';
      ctx.report({
        type: 'archive-failed',
        ref,
        code,
        message: err instanceof Error ? err.message : String(err),
      });
    }
  });
  if (failures.length) throw aggregateFailure(failures);
  assertEveryVersionHasArchives(
    {
      ...plan,
      providers: plan.providers.filter((p) => !kept.has(versionKey(p.address, p.version))),
    },
    archives,
  );
  return { archives, evidence, missing };
}

function isGone(err: unknown): boolean {
  return (
    isRepoxyError(err) && (err.code === 'UPSTREAM_NOT_FOUND' || err.code === 'UPSTREAM_PLATFORM_MISSING')
  );
}

function refOf(p: PlannedProvider, platform: Plan['platforms'][number]): PackageRef {
  return { address: p.address, version: p.version, platform };
}

function aggregateFailure(failures: { ref: PackageRef; err: unknown }[]): RepoxyError {
  const first = failures[0]!.err;
  const code = isRepoxyError(first) ? first.code : 'IO';
  const lines = failures.map(({ ref, err }) => {
    const what = `${formatAddress(ref.address)} ${ref.version} ${formatPlatform(ref.platform)}`;
    const text = err instanceof Error ? err.message : String(err);
    return `  - ${text.startsWith(`${what}: `) ? text : `${what}: ${text}`}`;
  });
  return new RepoxyError(
    code,
    `${failures.length} archive(s) failed; nothing was published:\n${lines.join('\n')}`,
    { cause: first },
  );
}

function assertEveryVersionHasArchives(plan: Plan, archives: readonly ArchiveRecord[]): void {
  const have = new Set(archives.map((a) => `${formatAddress(a.ref.address)} ${a.ref.version}`));
  const empty = plan.providers.filter((p) => !have.has(`${formatAddress(p.address)} ${p.version}`));
  if (empty.length) {
    const names = empty.map((p) => `${formatAddress(p.address)} ${p.version}`).join(', ');
    throw new RepoxyError(
      'UPSTREAM_PLATFORM_MISSING',
      `no requested platform (${plan.platforms.map(formatPlatform).join(', ')}) is available upstream for: ${names}`,
    );
  }
}
