/** The paths the fixture registry serves, all under `/HOST/` (PROTOCOL.md §2). */
export type Route =
  | { kind: 'discovery'; host: string }
  | { kind: 'versions'; host: string; namespace: string; type: string }
  | {
      kind: 'download';
      host: string;
      namespace: string;
      type: string;
      version: string;
      platform: string;
    }
  | {
      kind: 'file';
      host: string;
      namespace: string;
      type: string;
      version: string;
      filename: string;
    }
  | { kind: 'unknown'; host: string };

/** True for routes whose bodies are JSON documents. */
export function isJsonRoute(route: Route): boolean {
  return route.kind === 'discovery' || route.kind === 'versions' || route.kind === 'download';
}

/** Parses a request path (no query). The first segment is always the provider host. */
export function parseRoute(pathname: string): Route {
  const segments = pathname.split('/').slice(1).map(safeDecode);
  const [host = '', ...rest] = segments;
  const path = rest.join('/');
  if (path === '.well-known/terraform.json') return { kind: 'discovery', host };
  const [a, b, namespace, type, ...tail] = rest;
  if (a === 'v1' && b === 'providers' && namespace && type) {
    if (tail.length === 1 && tail[0] === 'versions') return { kind: 'versions', host, namespace, type };
    const [version, download, os, arch] = tail;
    if (tail.length === 4 && download === 'download' && version && os && arch) {
      return { kind: 'download', host, namespace, type, version, platform: `${os}_${arch}` };
    }
  }
  if (rest[0] === 'files' && rest.length === 5) {
    const [, ns, t, version, filename] = rest as [string, string, string, string, string];
    return { kind: 'file', host, namespace: ns, type: t, version, filename };
  }
  return { kind: 'unknown', host };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
