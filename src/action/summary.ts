import * as core from '@actions/core';
import { formatAddress, hostnameASCII } from '../domain/address.ts';
import type { ArchiveRecord } from '../domain/package.ts';
import { formatPlatform } from '../domain/platform.ts';
import type { BuildResult } from '../engine.ts';
import { networkMirrorConfig, registryViewConfig } from '../mirror/client-config.ts';
import { listTokens, redactMessage } from '../upstream/tokens.ts';
import type { CacheHit } from './cache.ts';

/**
 * The job summary: one row per provider version (platforms, size, checks passed and skipped), then the CLI
 * configuration to use the mirror. Skipped with a debug line where the runner offers no summary file.
 */
export async function writeJobSummary(
  result: BuildResult,
  info: { cacheHit: CacheHit; mirrorUrl?: string; ociConfig?: string },
): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) {
    core.debug('GITHUB_STEP_SUMMARY is not set; no job summary written');
    return;
  }
  const url = info.mirrorUrl || 'https://YOUR-MIRROR-HOST/PATH/';
  const hosts = [...new Set(result.archives.map((a) => hostnameASCII(a.ref.address.hostname)))].sort();
  const s = core.summary
    .addHeading('Provider mirror', 2)
    .addRaw(
      `${result.plan.providers.length} provider version(s), ${result.archives.length} archive(s) ` +
        `(${result.fetched} fetched, ${result.reused} reused from cache; cache hit: ${info.cacheHit}), ` +
        `${result.bytes} bytes, ${result.upstreamRequests} upstream request(s).`,
      true,
    )
    .addTable([
      [
        { data: 'Provider', header: true },
        { data: 'Version', header: true },
        { data: 'Platforms', header: true },
        { data: 'Size', header: true },
        { data: 'Checks passed', header: true },
        { data: 'Checks skipped', header: true },
      ],
      ...rows(result.archives),
    ]);
  if (result.missing.length) {
    s.addRaw(
      `Missing upstream: ${result.missing.map((r) => `${formatAddress(r.address)} ${r.version} ${formatPlatform(r.platform)}`).join('; ')}`,
      true,
    );
  }
  const decisions = result.retention.decisions;
  if (decisions.length) {
    s.addHeading(`Kept and dropped versions (previous mirror: ${result.retention.source})`, 3).addTable([
      [
        { data: 'Provider', header: true },
        { data: 'Version', header: true },
        { data: 'Outcome', header: true },
        { data: 'Reason', header: true },
      ],
      ...decisions.map((d) => [formatAddress(d.address), d.version, d.outcome, d.reason]),
    ]);
  }
  s.addHeading('Use it', 3)
    .addRaw('Network mirror (the URL must end with <code>/</code>):', true)
    .addCodeBlock(networkMirrorConfig(url), 'hcl')
    .addRaw(
      "Registry-protocol view (clients verify the upstream signatures and record every platform's <code>zh:</code>):",
      true,
    )
    .addCodeBlock(registryViewConfig(url, hosts), 'hcl');
  if (info.ociConfig) {
    s.addRaw(
      'OpenTofu (>= 1.10) from the OCI registry (Terraform does not read OCI mirrors):',
      true,
    ).addCodeBlock(info.ociConfig, 'hcl');
  }
  // Redacted as a whole: URL query strings dropped, TF_TOKEN_ values in every encoded form replaced.
  const text = redactMessage(s.stringify(), listTokens(process.env));
  await core.summary.emptyBuffer().addRaw(text).write();
}

function rows(archives: readonly ArchiveRecord[]): string[][] {
  const byVersion = new Map<string, ArchiveRecord[]>();
  for (const a of archives) {
    const k = `${formatAddress(a.ref.address)}\u0000${a.ref.version}`;
    byVersion.set(k, [...(byVersion.get(k) ?? []), a]);
  }
  return [...byVersion.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, list]) => {
      const [address, version] = k.split('\u0000') as [string, string];
      const checks = (outcome: 'passed' | 'skipped') =>
        [
          ...new Set(
            list.flatMap((a) =>
              a.verification.checks.filter((c) => c.outcome === outcome).map((c) => c.check),
            ),
          ),
        ].join(', ');
      return [
        address,
        version,
        list
          .map((a) => formatPlatform(a.ref.platform))
          .sort()
          .join(', '),
        String(list.reduce((n, a) => n + a.size, 0)),
        checks('passed'),
        checks('skipped') || 'none',
      ];
    });
}
