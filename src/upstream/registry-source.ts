import type { ProviderAddress } from '../domain/address.ts';
import { formatAddress } from '../domain/address.ts';
import { isRepoxyError, RepoxyError } from '../domain/errors.ts';
import type { PackageRef } from '../domain/package.ts';
import { formatPlatform } from '../domain/platform.ts';
import type { ProvidersService } from './discovery.ts';
import { ServiceDiscovery } from './discovery.ts';
import type { UpstreamHttp } from './http.ts';
import { parseDownloadDoc, parseVersionsDoc } from './registry-docs.ts';
import type { BodyObserver } from './download.ts';
import type { DownloadMeta, DownloadResult, Source, SumsEvidence, VersionsDoc } from './source.ts';
import { listTokens, redactSecrets } from './tokens.ts';

export interface RegistrySourceInit {
  readonly http: UpstreamHttp;
  /** Read for TF_TOKEN_* credentials. */
  readonly env: NodeJS.ProcessEnv;
  /** host → base URL under which the host's `.well-known/terraform.json` is looked up. */
  readonly overrides?: ReadonlyMap<string, string>;
}

/**
 * The provider registry protocol client (PROTOCOL.md §2): discovery, versions, download documents,
 * SHA256SUMS + signature and archives. Credentials (TF_TOKEN_ for the provider host) go only to the
 * origin standing for that host; checksum files and archives are fetched without any (§2.3, §1.9).
 */
export class RegistrySource implements Source {
  readonly #http: UpstreamHttp;
  readonly #discovery: ServiceDiscovery;
  /** One fetch per (SHA256SUMS, signature) URL pair, shared by concurrent platform requests. */
  readonly #sums = new Map<string, Promise<SumsEvidence>>();
  /** Every TF_TOKEN_ value: redacted from every message that leaves (documents may echo them). */
  readonly #secrets: readonly string[];

  constructor(init: RegistrySourceInit) {
    this.#http = init.http;
    this.#discovery = new ServiceDiscovery(init);
    this.#secrets = listTokens(init.env);
  }

  /** PROTOCOL.md §2.2. 404 → UPSTREAM_NOT_FOUND "provider X not found on HOST". */
  async versions(address: ProviderAddress): Promise<VersionsDoc> {
    try {
      const service = await this.#discovery.providersService(address.hostname);
      const url = endpoint(service, [address.namespace, address.type, 'versions']);
      const got = await this.#http.getJson(url, { auth: service.auth }).catch((err: unknown) => {
        if (!isCode(err, 'UPSTREAM_NOT_FOUND')) throw err;
        const message = `provider ${formatAddress(address)} not found on ${address.hostname} (${err.message})`;
        throw new RepoxyError('UPSTREAM_NOT_FOUND', message, { cause: err });
      });
      return parseVersionsDoc(got.value, got.finalUrl);
    } catch (err) {
      // UPSTREAM_NOT_FOUND here is always the message built above, which already names the provider.
      throw this.#failure(
        err,
        isCode(err, 'UPSTREAM_NOT_FOUND') ? undefined : `versions of ${formatAddress(address)}`,
      );
    }
  }

  /** PROTOCOL.md §2.3. 404 → UPSTREAM_PLATFORM_MISSING naming provider, version and platform. */
  async downloadMeta(ref: PackageRef): Promise<DownloadMeta> {
    const { address, version, platform } = ref;
    try {
      const service = await this.#discovery.providersService(address.hostname);
      const url = endpoint(service, [
        address.namespace,
        address.type,
        version,
        'download',
        platform.os,
        platform.arch,
      ]);
      const got = await this.#http.getJson(url, { auth: service.auth }).catch((err: unknown) => {
        if (!isCode(err, 'UPSTREAM_NOT_FOUND')) throw err;
        const message =
          `${formatAddress(address)} ${version} is not available for ${formatPlatform(platform)} ` +
          `on ${address.hostname} (${err.message})`;
        throw new RepoxyError('UPSTREAM_PLATFORM_MISSING', message, { cause: err });
      });
      return parseDownloadDoc(got.value, ref, got.finalUrl);
    } catch (err) {
      const named = isCode(err, 'UPSTREAM_PLATFORM_MISSING');
      throw this.#failure(err, named ? undefined : `download document of ${describe(ref)}`);
    }
  }

  /** SHA256SUMS and its signature, without credentials, fetched once per URL pair. */
  sums(meta: DownloadMeta): Promise<SumsEvidence> {
    const key = `${meta.shasumsUrl}\n${meta.shasumsSignatureUrl}`;
    let pending = this.#sums.get(key);
    if (!pending) {
      pending = this.#fetchSums(meta);
      this.#sums.set(key, pending);
      // A failure is not remembered: a later caller may try again.
      pending.catch(() => this.#sums.delete(key));
    }
    return pending;
  }

  async #fetchSums(meta: DownloadMeta): Promise<SumsEvidence> {
    const what = `${formatAddress(meta.ref.address)} ${meta.ref.version}`;
    const [sums, signature] = await Promise.all([
      this.#http.getBytes(meta.shasumsUrl).catch((err: unknown) => {
        throw this.#failure(err, `SHA256SUMS of ${what}`);
      }),
      this.#http.getBytes(meta.shasumsSignatureUrl).catch((err: unknown) => {
        throw this.#failure(err, `SHA256SUMS signature of ${what}`);
      }),
    ]);
    return { sums: sums.bytes, signature: signature.bytes };
  }

  /**
   * Streams the archive to `destPath` without credentials. When the registry states a
   * `package_size` for this platform the body must be exactly that long; otherwise it is capped at
   * maxArchiveBytes.
   */
  async download<O extends BodyObserver = never>(
    meta: DownloadMeta,
    destPath: string,
    observe?: () => O,
  ): Promise<DownloadResult<O>> {
    const stated = meta.packages?.[formatPlatform(meta.ref.platform)]?.package_size;
    const expectedSize = stated !== undefined && stated > 0 ? stated : undefined;
    try {
      const got = await this.#http.downloadToFile(meta.downloadUrl, destPath, { expectedSize, observe });
      return { path: destPath, size: got.size, sha256: got.sha256, observer: got.observer };
    } catch (err) {
      throw this.#failure(err, `archive ${meta.filename} of ${describe(meta.ref)}`);
    }
  }

  /** The same error code, `what` (if any) in front of the message, secrets redacted. */
  #failure(err: unknown, what: string | undefined): unknown {
    if (!isRepoxyError(err)) return err;
    const message = redactSecrets(
      what === undefined ? err.message : `${what}: ${err.message}`,
      this.#secrets,
    );
    const detail = err.detail === undefined ? undefined : redactSecrets(err.detail, this.#secrets);
    return new RepoxyError(err.code, message, { detail, cause: err.cause });
  }
}

/** `service.baseUrl` ⊕ the path segments (each checked, percent-encoded except `+`). */
function endpoint(service: ProvidersService, segments: readonly string[]): string {
  const path = segments.map((segment) => {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new RepoxyError('INPUT_INVALID', `"${segment}" cannot be part of a registry request path`);
    }
    return encodeURIComponent(segment).replaceAll('%2B', '+');
  });
  return new URL(path.join('/'), service.baseUrl).href;
}

function isCode(err: unknown, code: string): err is RepoxyError {
  return isRepoxyError(err) && err.code === code;
}

function describe(ref: PackageRef): string {
  return `${formatAddress(ref.address)} ${ref.version} ${formatPlatform(ref.platform)}`;
}
