/**
 * Lock completion (`repoxy lock`, the action's `update-lockfiles`): adds to every provider block of
 * every lock file what `tofu providers lock -platform=...` records for the requested platforms, from
 * one fetch of each archive for the whole run (OpenTofu internal/command/providers_lock.go).
 *
 * Trust anchors: an `h1:` is computed from archive bytes that passed the verification chain of this
 * run (registry shasum, SHA256SUMS line, its signature, the lock's own hashes); the other hashes come
 * from the SHA256SUMS and registry documents fetched and cross-checked in this run, exactly those
 * OpenTofu's installer records (see evidenceByVersion). Nothing restored from the store is written
 * unless it verified again in this run (mirrorPackage).
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_OPENTOFU_HOST, formatAddress, type ProviderAddress } from './domain/address.ts';
import { RepoxyError } from './domain/errors.ts';
import type { PackageRef, Plan } from './domain/package.ts';
import { formatPlatform } from './domain/platform.ts';
import { mirrorAll, openPackageContext, planFromLockFiles, type BuildOptions } from './engine.ts';
import type { Reporter } from './events.ts';
import { parseLockFile } from './lockfile/parse.ts';
import { readLockFiles } from './lockfile/read.ts';
import { updateLockFile, type FileUpdate, type VersionEvidence } from './lockfile/update.ts';
import type { MirroredPackage } from './store/obtain.ts';
import { zhHashesFromSums } from './verify/sums-line.ts';

export type LockOptions = Omit<BuildOptions, 'out' | 'registryView' | 'requireAllPlatforms'>;

export interface LockResult {
  /** One per lock file read, sorted by path; `text` is set when the file lacked something. */
  readonly files: readonly FileUpdate[];
  /** Files rewritten (none with `check`). */
  readonly written: readonly string[];
  readonly fetched: number;
  readonly reused: number;
  readonly upstreamRequests: number;
  readonly seconds: number;
}

/**
 * Plans, fetches and verifies each archive once, then completes every lock file: writes each that
 * changed atomically, or with `check` writes nothing. Throws LOCK_INVALID / INPUT_INVALID (exit 2),
 * UPSTREAM_PLATFORM_MISSING for a provider without a requested platform, VERIFY_LOCK_HASH for a
 * `zh:` the signed SHA256SUMS does not list: in each case before any file is written.
 */
export async function lockFiles(options: LockOptions, check: boolean, report: Reporter): Promise<LockResult> {
  const started = performance.now();
  const plan = await planFromLockFiles(options, report);
  const opened = await openPackageContext(options, report);
  try {
    const outcome = await mirrorAll(plan, opened.ctx, { ...options, requireAllPlatforms: false });
    const done = await completeLockFiles(options, plan, outcome.evidence, outcome.missing, check);
    const records = outcome.archives;
    return {
      ...done,
      fetched: records.filter((a) => a.source === 'upstream').length,
      reused: records.filter((a) => a.source === 'store').length,
      upstreamRequests: opened.upstream.requestCount(),
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await opened.close();
  }
}

/**
 * The lock half of a run whose archives are already verified (`lockFiles`, or the action after its
 * mirror build: one pass for both). Re-reads the lock files, merges, checks, then writes (or not).
 */
export async function completeLockFiles(
  options: Pick<LockOptions, 'lockfiles' | 'cwd' | 'env'>,
  plan: Plan,
  packages: readonly MirroredPackage[],
  missing: readonly PackageRef[],
  check: boolean,
): Promise<{ files: FileUpdate[]; written: string[] }> {
  if (missing.length > 0) throw missingPlatforms(plan, missing);
  const evidence = evidenceByVersion(packages, options.env);
  const platforms = plan.platforms.map(formatPlatform);
  const lookup = (a: ProviderAddress, v: string): VersionEvidence | undefined => evidence.get(key(a, v));
  const read = await readLockFiles([...options.lockfiles], { cwd: options.cwd });
  const files: FileUpdate[] = [];
  for (const { path: shown } of read) {
    const text = await readFile(path.resolve(options.cwd, shown), 'utf8');
    files.push(updateLockFile(text, parseLockFile(text, shown), platforms, lookup));
  }
  const unknown = files.flatMap((f) => f.unknown);
  if (unknown.length > 0) {
    const lines = unknown.map((u) => `  - ${u.path}:${u.line}: ${u.hash} (${u.address} ${u.version})`);
    throw new RepoxyError(
      'VERIFY_LOCK_HASH',
      `${unknown.length} zh: hash(es) in the lock files are not listed in the version's signed SHA256SUMS; nothing was written:\n${lines.join('\n')}`,
      { detail: 'a zh: hash names one file of the release; remove the line, or find out who added it' },
    );
  }
  const written: string[] = [];
  if (check) return { files, written };
  for (const f of files) {
    if (f.text === undefined) continue;
    await writeFileAtomically(path.resolve(options.cwd, f.path), f.text);
    written.push(f.path);
  }
  return { files, written };
}

function key(a: ProviderAddress, version: string): string {
  return `${formatAddress(a)} ${version}`;
}

/**
 * Per provider version: the `h1:` of each verified archive, and what OpenTofu's installer records for
 * any platform (installer.go ensureProviderVersionInDirectory): the `zh:` of every SHA256SUMS line —
 * signature-checked, except on registry.opentofu.org when it sends no keys (skipped as OpenTofu does,
 * a `check-skipped` event) — and, where signing is not enforced, the hashes the registry's `packages`
 * extension reports (ReportedByRegistry). Anchor: those documents, fetched and cross-checked this run.
 */
function evidenceByVersion(
  packages: readonly MirroredPackage[],
  env: NodeJS.ProcessEnv,
): Map<string, VersionEvidence> {
  const out = new Map<string, { h1: Map<string, string>; reported: Set<string> }>();
  for (const p of packages) {
    const { ref } = p.record;
    const k = key(ref.address, ref.version);
    const entry = out.get(k) ?? { h1: new Map<string, string>(), reported: new Set<string>() };
    entry.h1.set(formatPlatform(ref.platform), p.record.h1);
    for (const zh of zhHashesFromSums(p.sums.sums)) entry.reported.add(zh);
    if (!signingEnforced(ref.address, env)) {
      for (const listed of Object.values(p.meta.packages ?? {}))
        for (const h of listed.hashes) if (h.startsWith('h1:') || h.startsWith('zh:')) entry.reported.add(h);
    }
    out.set(k, entry);
  }
  return out;
}

/** ShouldEnforceGPGValidationForProvider: every host but registry.opentofu.org, unless forced. */
function signingEnforced(address: ProviderAddress, env: NodeJS.ProcessEnv): boolean {
  return address.hostname !== DEFAULT_OPENTOFU_HOST || env.OPENTOFU_ENFORCE_GPG_VALIDATION === 'true';
}

/** OpenTofu's "Could not retrieve providers for locking", naming each provider, platform and lock. */
function missingPlatforms(plan: Plan, missing: readonly PackageRef[]): RepoxyError {
  const lines = missing.map((ref) => {
    const planned = plan.providers.find((p) => key(p.address, p.version) === key(ref.address, ref.version));
    const where = planned ? ` (locked at ${planned.lockfiles.join(', ')})` : '';
    return `  - ${describe(ref)}: the registry has no package for ${formatPlatform(ref.platform)}${where}`;
  });
  return new RepoxyError(
    'UPSTREAM_PLATFORM_MISSING',
    `cannot complete the lock files for every requested platform; nothing was written:\n${lines.join('\n')}`,
    { detail: 'drop the platform (--platform), or the provider version does not support it' },
  );
}

function describe(ref: PackageRef): string {
  return `${formatAddress(ref.address)} ${ref.version}`;
}

/** Temp file beside `file`, then rename: a reader sees the old or the new bytes, never a mix. */
async function writeFileAtomically(file: string, text: string): Promise<void> {
  const mode = (await stat(file)).mode & 0o777;
  const temp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.repoxy-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  try {
    await writeFile(temp, text, { mode });
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw new RepoxyError('IO', `cannot write lock file ${file}: ${(err as Error).message}`, { cause: err });
  }
}
