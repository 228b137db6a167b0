import { parseArgs } from 'node:util';
import { RepoxyError } from '../domain/errors.ts';
import { ociMirrorConfig } from '../publish/oci/client-config.ts';
import type { OciCredentials } from '../publish/oci/credentials.ts';
import { pushMirrorToOci } from '../publish/oci/push.ts';

export const PUSH_OCI_USAGE = `  repoxy push-oci --mirror DIR --repository-template TEMPLATE [--include p]... [--exclude p]...
                [--concurrency N] [--username USER] [--plain-http] [--json]`;

export const PUSH_OCI_HELP = `  push-oci  Push a mirror that 'repoxy mirror' wrote to an OCI registry for OpenTofu's oci_mirror
            (verified again on the way). TEMPLATE uses \${hostname}, \${namespace}, \${type}, e.g.
            'ghcr.io/acme/tofu-providers/\${namespace}/\${type}'. Credentials: --username with the
            password or token in REPOXY_OCI_PASSWORD, else the Docker-style files OpenTofu reads
            (~/.docker/config.json, containers auth.json). HTTPS (NODE_EXTRA_CA_CERTS is trusted);
            --plain-http only for loopback registries.`;

export interface PushOciArgs {
  readonly mirror: string;
  readonly repositoryTemplate: string;
  readonly include: string[];
  readonly exclude: string[];
  readonly concurrency: number | undefined;
  readonly username: string | undefined;
  readonly plainHttp: boolean;
  readonly json: boolean;
}

/** Parses the flags after `push-oci`; throws INPUT_INVALID naming the flag. */
export function parsePushOciArgs(argv: readonly string[]): PushOciArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        mirror: { type: 'string' },
        'repository-template': { type: 'string' },
        include: { type: 'string', multiple: true },
        exclude: { type: 'string', multiple: true },
        concurrency: { type: 'string' },
        username: { type: 'string' },
        'plain-http': { type: 'boolean' },
        json: { type: 'boolean' },
      },
    }));
  } catch (e) {
    throw new RepoxyError('INPUT_INVALID', `${(e as Error).message}; see 'repoxy --help'`);
  }
  if (!values.mirror) throw new RepoxyError('INPUT_INVALID', 'push-oci needs --mirror DIR');
  const template = values['repository-template'];
  if (!template) throw new RepoxyError('INPUT_INVALID', 'push-oci needs --repository-template TEMPLATE');
  return {
    mirror: values.mirror,
    repositoryTemplate: template,
    include: values.include ?? [],
    exclude: values.exclude ?? [],
    concurrency: values.concurrency === undefined ? undefined : concurrencyOf(values.concurrency),
    username: values.username,
    plainHttp: values['plain-http'] === true,
    json: values.json === true,
  };
}

/** `repoxy push-oci`: pushes, prints a summary on stderr and the oci_mirror block (or JSON) on stdout. */
export async function runPushOci(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const args = parsePushOciArgs(argv);
  const result = await pushMirrorToOci({
    mirror: args.mirror,
    repositoryTemplate: args.repositoryTemplate,
    include: args.include,
    exclude: args.exclude,
    concurrency: args.concurrency,
    plainHttp: args.plainHttp,
    credentials: credentialsOf(args, env),
    env,
    onProgress: (line) => process.stderr.write(`${line}\n`),
  });
  process.stderr.write(
    `push-oci: ${result.versions} version(s), ${result.archives} archive(s) in ${result.repositories.length} ` +
      `repositories; ${result.blobsUploaded} blob(s) uploaded, ${result.manifestsPushed} manifest(s) pushed\n`,
  );
  const config = ociMirrorConfig(args.repositoryTemplate, result.clientInclude);
  if (args.json) process.stdout.write(`${JSON.stringify({ ...result, cliConfig: config })}\n`);
  else process.stdout.write(`\nUse it from OpenTofu >= 1.10 (CLI configuration):\n\n${config}`);
  return 0;
}

/** `--username` with REPOXY_OCI_PASSWORD; neither means the Docker-style files. */
function credentialsOf(args: PushOciArgs, env: NodeJS.ProcessEnv): OciCredentials | undefined {
  const password = env['REPOXY_OCI_PASSWORD'];
  if (args.username === undefined && !password) return undefined;
  if (args.username === undefined || !password) {
    throw new RepoxyError('INPUT_INVALID', '--username and REPOXY_OCI_PASSWORD must be given together');
  }
  return { username: args.username, password, source: '--username' };
}

function concurrencyOf(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new RepoxyError(
      'INPUT_INVALID',
      `--concurrency must be a whole number from 1 to 64, got "${text}"`,
    );
  }
  return n;
}
