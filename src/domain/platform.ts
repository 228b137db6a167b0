import { RepoxyError } from './errors.ts';

/** A target platform, `os_arch` (PROTOCOL.md §1.6: exact string match on GOOS_GOARCH). */
export interface Platform {
  readonly os: string;
  readonly arch: string;
}

const PART = /^[a-z0-9]+$/;

export const KNOWN_OS = ['darwin', 'freebsd', 'linux', 'openbsd', 'solaris', 'windows'] as const;
export const KNOWN_ARCH = ['386', 'amd64', 'arm', 'arm64'] as const;

/** Parses `os_arch`; throws INPUT_INVALID when it is not exactly two lowercase parts. */
export function parsePlatform(text: string): Platform {
  const parts = text.split('_');
  if (parts.length !== 2 || !PART.test(parts[0] ?? '') || !PART.test(parts[1] ?? '')) {
    throw new RepoxyError(
      'INPUT_INVALID',
      `invalid platform "${text}": expected os_arch in lower case, e.g. linux_amd64 or darwin_arm64`,
    );
  }
  return { os: parts[0]!, arch: parts[1]! };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}_${p.arch}`;
}

export function comparePlatforms(a: Platform, b: Platform): number {
  const x = formatPlatform(a);
  const y = formatPlatform(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
