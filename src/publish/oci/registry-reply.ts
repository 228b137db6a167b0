import type { Dispatcher } from 'undici';
import { RepoxyError } from '../../domain/errors.ts';

/** Registry answers as the distribution client reads them: bounded bodies, tokens, error texts. */

const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

/** Failures worth another attempt: 429, 5xx and transport errors, with the server's `Retry-After`. */
export class Transient extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
  }
}

/** The body, at most 4 MiB (manifests, tokens and errors are small); OCI_REGISTRY beyond. */
export async function readLimited(res: Dispatcher.ResponseData): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_DOCUMENT_BYTES) {
      res.body.destroy();
      throw new RepoxyError('OCI_REGISTRY', `a registry response exceeded ${MAX_DOCUMENT_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** `token` or `access_token` of a token-server answer (distribution token spec). */
export function tokenOf(body: Buffer): string | undefined {
  try {
    const doc = JSON.parse(body.toString('utf8')) as { token?: unknown; access_token?: unknown };
    const token = doc.token ?? doc.access_token;
    return typeof token === 'string' && token !== '' ? token : undefined;
  } catch {
    return undefined;
  }
}

/** The distribution spec's `{"errors":[{"code","message"}]}`, shortened, for messages. */
export function errorText(body: Buffer): string {
  try {
    const doc = JSON.parse(body.toString('utf8')) as { errors?: { code?: string; message?: string }[] };
    return (doc.errors ?? [])
      .map((e) => `${e.code ?? ''}: ${e.message ?? ''}`)
      .join('; ')
      .slice(0, 300);
  } catch {
    return body.toString('utf8').slice(0, 200);
  }
}
