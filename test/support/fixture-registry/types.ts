/** The public vocabulary of the fixture registry (see ../fixture-registry.ts). */
import type { NetworkModel } from './network.ts';

export type { NetworkModel } from './network.ts';

/** One provider version on one host, published for the listed platforms. */
export interface FixtureProviderSpec {
  hostname: string;
  namespace: string;
  type: string;
  version: string;
  /** `os_arch`, e.g. 'linux_amd64'. */
  platforms: string[];
  /** Bytes of the main binary entry before compression; default 64 KiB. */
  size?: number;
  /** Per-platform override of `size`. */
  sizes?: Record<string, number>;
  /** Default ['5.0']. */
  protocols?: string[];
}

export type FaultKind =
  | '429'
  | '500'
  | '503'
  | 'reset'
  | 'truncate'
  | 'stall'
  | 'corrupt'
  | 'bad-signature'
  | 'wrong-shasum'
  | 'wrong-length'
  | 'redirect-other-host'
  | 'redirect-loop'
  | 'huge-json'
  | 'not-found';

/**
 * A scripted fault. `match` is tested against the request path (no query): a string matches when
 * the path contains it, a RegExp when it matches. A fault only counts requests it can affect:
 * 'bad-signature' only SHA256SUMS.sig, 'wrong-shasum' only download documents, 'huge-json' only JSON
 * documents. Faults apply on the primary origin only, never on the second origin.
 */
export interface FaultSpec {
  match: string | RegExp;
  kind: FaultKind;
  /** How many requests it hits; default Infinity. */
  times?: number;
  /** Seconds, sent as `Retry-After` for 429/503; no header when unset. */
  retryAfter?: number;
}

export interface RequestRecord {
  method: string;
  /** The provider host: the first path segment. */
  host: string;
  /** The request path without the query string. */
  path: string;
  status: number;
  authorization: string | undefined;
  /** Date.now() when the request arrived. */
  at: number;
  /** The origin that received it: the registry's `origin` or its second origin. */
  origin: string;
  /** The fault that shaped the response, if any. */
  fault: FaultSpec['kind'] | undefined;
}

/** One served archive and every hash of it. */
export interface FixtureArchive {
  filename: string;
  /** The zip bytes. For archives cached on disk this reads the file on each access. */
  bytes: Buffer;
  /** Length of the zip in bytes. */
  size: number;
  /** The file holding the bytes when the archive is cached on disk (binary > 8 MB). */
  path: string | undefined;
  /** Lower-case hex sha256 of the zip. */
  sha256: string;
  /** `zh:<sha256>` (PROTOCOL.md §4.2). */
  zh: string;
  /** HashZip (PROTOCOL.md §4.1). */
  h1: string;
  /** HashDir of the unpacked archive (equal to h1: the zips have no directory entries). */
  h1Unpacked: string;
}

export type LockHashes = 'zh' | 'h1' | 'both' | 'none' | 'all-platforms-zh';

export interface LockFileEntry {
  /** `host/namespace/type`. */
  address: string;
  version: string;
  /** Written verbatim as `constraints`, so give it in canonical form (PROTOCOL.md §3). */
  constraints?: string;
  /** The platforms "listed" for h1/zh; default every platform the version has. */
  platforms?: string[];
}

export interface FixtureRegistryOptions {
  providers: FixtureProviderSpec[];
  tls?: boolean;
  /** Listen address, default 127.0.0.1. */
  host?: string;
  port?: number;
  /** Require `Authorization: Bearer <token>` for that provider host: 401 without, 403 wrong. */
  tokens?: Record<string, string>;
  /** Also listen on 127.0.0.2 (another port) for 'redirect-other-host'. */
  secondOrigin?: boolean;
  /** Sign with a key that has expired (the signature itself dates from when it was valid). */
  keyExpired?: boolean;
  /**
   * The signing key's algorithm: 'ed25519' (default, fast) or 'rsa' (2048-bit, as the real
   * registries sign; Terraform 1.5.7 cannot read EdDSA keys).
   */
  keyType?: 'ed25519' | 'rsa';
  /** Keys listed in download documents: the signer ('one'), none, or a decoy then the signer ('two'). */
  signingKeys?: 'one' | 'none' | 'two';
  /** Where archives over 8 MB are cached between runs; default `<tmpdir>/repoxy-fixture-archives`. */
  archiveCacheDir?: string;
  /**
   * A network model (benchmarks): `latencyMs` before every response, each connection's bodies paced
   * to `bytesPerSecond`. Default: loopback speed.
   */
  network?: NetworkModel;
}

export interface FixtureRegistry {
  readonly origin: string;
  /** `${origin}/${hostname}/`: HOST's /.well-known/terraform.json is `${baseUrl}.well-known/terraform.json`. */
  baseUrl(hostname: string): string;
  /** Absolute providers.v1 URL for HOST (for CLI `host` blocks); ends with '/'. */
  providersUrl(hostname: string): string;
  /** ['HOST=URL', ...] for every host served, URL = baseUrl(host). */
  upstreamArgs(): string[];
  /** The second origin (http(s)://127.0.0.2:PORT2) when `secondOrigin` was set. */
  readonly secondOrigin: string | undefined;
  readonly requests: RequestRecord[];
  resetRequests(): void;
  addFault(f: FaultSpec): void;
  clearFaults(): void;
  addProvider(p: FixtureProviderSpec): Promise<void>;
  archive(address: string, version: string, platform: string): FixtureArchive;
  /** The SHA256SUMS bytes served for that provider version. */
  sums(address: string, version: string): Buffer;
  lockFile(providers: LockFileEntry[], hashes: LockHashes): string;
  readonly publicKeyArmored: string;
  readonly keyId: string;
  readonly caCertPem: string | undefined;
  close(): Promise<void>;
}
