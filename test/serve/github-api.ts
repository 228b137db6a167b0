import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BlobSASPermissions,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import type { ActionsBackends } from '../support/actions-harness.ts';

/**
 * The few GitHub REST endpoints the publish and serve actions call, on 127.0.0.1, answering from the
 * results service's artifact records: the public artifact list of a run and the artifact download
 * (a 302 to a SAS URL into Azurite, as api.github.com answers), and the Pages site.
 * Run IDs map to the results service's backend IDs as `run-<id>`.
 */

export interface FakeGitHubApi {
  /** `http://127.0.0.1:PORT`: use as GITHUB_API_URL. */
  readonly url: string;
  /** Every request as `METHOD path` with the Authorization header it carried. */
  readonly requests: readonly { line: string; authorization: string | undefined }[];
  stop(): Promise<void>;
}

export interface FakeGitHubApiOptions {
  readonly backends: ActionsBackends;
  /** The only token accepted. */
  readonly token: string;
  /**
   * `head_repository.full_name` of `GET /repos/owner/repo/actions/runs/{id}` by run ID (`null`: a
   * deleted fork); runs not listed came from `owner/repo` itself.
   */
  readonly runHeads?: Readonly<Record<number, string | null>>;
  /** `html_url` of `GET /repos/owner/repo/pages`; the endpoint answers 404 when absent. */
  readonly pagesUrl?: string;
}

/** Starts the fake API on 127.0.0.1 (OS-chosen port). */
export async function startFakeGitHubApi(options: FakeGitHubApiOptions): Promise<FakeGitHubApi> {
  const requests: { line: string; authorization: string | undefined }[] = [];
  const server = createServer((req, res) => {
    requests.push({ line: `${req.method} ${req.url}`, authorization: req.headers.authorization });
    try {
      route(options, req, res);
    } catch (err) {
      json(res, 500, { message: String(err) });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function route(options: FakeGitHubApiOptions, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://api.invalid');
  const auth = req.headers.authorization ?? '';
  if (!auth.endsWith(` ${options.token}`)) return json(res, 401, { message: 'Bad credentials' });
  const list = /^\/repos\/owner\/repo\/actions\/runs\/(\d+)\/artifacts$/.exec(url.pathname);
  if (req.method === 'GET' && list)
    return listArtifacts(options, `run-${list[1]}`, url.searchParams.get('name'), res);
  const run = /^\/repos\/owner\/repo\/actions\/runs\/(\d+)$/.exec(url.pathname);
  if (req.method === 'GET' && run) return workflowRun(options, Number(run[1]), res);
  const zip = /^\/repos\/owner\/repo\/actions\/artifacts\/(\d+)\/zip$/.exec(url.pathname);
  if (req.method === 'GET' && zip) return redirectToBlob(options, Number(zip[1]), res);
  if (req.method === 'GET' && url.pathname === '/repos/owner/repo/pages') {
    if (!options.pagesUrl) return json(res, 404, { message: 'Not Found' });
    return json(res, 200, { url: 'x', status: 'built', html_url: options.pagesUrl, build_type: 'workflow' });
  }
  json(res, 404, { message: `no fake for ${req.method} ${url.pathname}` });
}

function listArtifacts(
  options: FakeGitHubApiOptions,
  runBackendId: string,
  name: string | null,
  res: ServerResponse,
): void {
  const artifacts = options.backends.results.artifacts
    .filter((a) => a.finalized && a.runBackendId === runBackendId && (name === null || a.name === name))
    .map((a) => ({
      id: a.id,
      name: a.name,
      size_in_bytes: a.size ?? 0,
      created_at: a.createdAt.toISOString(),
      expired: false,
      ...(a.digest === undefined ? {} : { digest: a.digest }),
    }));
  json(res, 200, { total_count: artifacts.length, artifacts });
}

/** The fields of a workflow run the serve action reads: where it came from. */
function workflowRun(options: FakeGitHubApiOptions, id: number, res: ServerResponse): void {
  const head = options.runHeads?.[id] === undefined ? 'owner/repo' : options.runHeads[id];
  json(res, 200, {
    id,
    repository: { full_name: 'owner/repo' },
    head_repository: head === null ? null : { full_name: head },
  });
}

function redirectToBlob(options: FakeGitHubApiOptions, id: number, res: ServerResponse): void {
  const record = options.backends.results.artifacts.find((a) => a.finalized && a.id === id);
  if (!record) return json(res, 404, { message: 'Not Found' });
  const { azurite, results } = options.backends;
  const sas = generateBlobSASQueryParameters(
    {
      containerName: results.containerName,
      blobName: record.blobName,
      permissions: BlobSASPermissions.parse('r'),
      expiresOn: new Date(Date.now() + 10 * 60 * 1000),
      version: azurite.apiVersion,
    },
    new StorageSharedKeyCredential(azurite.accountName, azurite.accountKey),
  ).toString();
  const encoded = record.blobName.split('/').map(encodeURIComponent).join('/');
  res.writeHead(302, { Location: `${azurite.blobEndpoint}/${results.containerName}/${encoded}?${sas}` });
  res.end();
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}
