#!/usr/bin/env bash
# Builds the real Terraform CLI from its Go module (served by the Go module proxy) and caches the binary
# outside the repository, one directory per version. Prints the binary's path on stdout.
#   TERRAFORM_VERSION  the tag to build (default v1.5.7, the last MPL-licensed release; v1.8.5 is the
#                      newest that builds this way: from v1.9 on, Terraform's go.mod replaces nested
#                      modules that its module zip does not contain, so `go install` cannot build it).
# Up to v1.8.5, Terraform's go.mod has no `replace` directive, so `go install MODULE@VERSION` builds it
# as is. The version package of 1.5.7 has Prerelease = "" at the tag (set anyway); from 1.6 on it says
# "-dev" unless `dev` is "no", so both are set and the binary reports exactly "Terraform vX.Y.Z".
set -euo pipefail
TERRAFORM_VERSION="${TERRAFORM_VERSION:-v1.5.7}"
case "$TERRAFORM_VERSION" in
  v[0-9]*.[0-9]*.[0-9]*) ;;
  *) echo "build-terraform: TERRAFORM_VERSION must look like v1.8.5, got '$TERRAFORM_VERSION'" >&2; exit 2 ;;
esac
CACHE_DIR="${REPOXY_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/repoxy-action}"
OUT="$CACHE_DIR/terraform-$TERRAFORM_VERSION/terraform"
# `terraform version` offline and without reading ~/.terraformrc.
tool_version() { CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null "$1" version | head -1; }
# shellcheck source=scripts/go-install-tool.sh
. "$(dirname "$0")/go-install-tool.sh"
go_install_tool build-terraform "github.com/hashicorp/terraform@$TERRAFORM_VERSION" "$OUT" \
  "Terraform $TERRAFORM_VERSION" \
  "-s -w -X github.com/hashicorp/terraform/version.Prerelease= -X github.com/hashicorp/terraform/version.dev=no" \
  "about 10 minutes on 2 cores"
