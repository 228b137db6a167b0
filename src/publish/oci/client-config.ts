/**
 * The CLI configuration block that points OpenTofu at the pushed repositories (PROTOCOL.md §6.1).
 * The template is written literally: OpenTofu parses `repository_template` as an HCL2 template itself,
 * so its `${namespace}` must reach it unexpanded. Lower-cased, like the repositories pushed (its
 * variable names are lower case already).
 */
export function ociMirrorConfig(repositoryTemplate: string, include: readonly string[]): string {
  const list = include.length ? `\n    include = [${include.map((p) => JSON.stringify(p)).join(', ')}]` : '';
  return (
    'provider_installation {\n  oci_mirror {\n' +
    `    repository_template = ${JSON.stringify(repositoryTemplate.toLowerCase())}${list}\n  }\n}\n`
  );
}
