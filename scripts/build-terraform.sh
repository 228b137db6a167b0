#!/usr/bin/env bash
# Builds the real Terraform CLI at its last MPL-licensed release (1.5.7) from its Go module (served by
# the Go module proxy) and caches the binary outside the repository. Prints the binary's path on stdout.
# Terraform 1.5.7's go.mod has no `replace` directive, so `go install MODULE@VERSION` builds it as is.
# Its version package already has Prerelease = "" at the tag; it is set anyway, so the binary
# reports exactly "Terraform v1.5.7".
set -euo pipefail
TERRAFORM_VERSION="v1.5.7"
CACHE_DIR="${REPOXY_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/repoxy-action}"
OUT="$CACHE_DIR/terraform-$TERRAFORM_VERSION/terraform"
# `terraform version` offline and without reading ~/.terraformrc.
client_version() { CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null "$1" version | head -1; }
if [ -x "$OUT" ] && [ "$(client_version "$OUT" 2>/dev/null)" = "Terraform $TERRAFORM_VERSION" ]; then
  echo "$OUT"
  exit 0
fi
command -v go >/dev/null || { echo "build-terraform: go is not installed" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$(dirname "$OUT")" "$work/bin"
cd "$work"
echo "build-terraform: compiling github.com/hashicorp/terraform@$TERRAFORM_VERSION (about 10 minutes on 2 cores)" >&2
CGO_ENABLED=0 GOBIN="$work/bin" GOFLAGS=-mod=mod go install -trimpath \
  -ldflags "-s -w -X github.com/hashicorp/terraform/version.Prerelease=" \
  "github.com/hashicorp/terraform@$TERRAFORM_VERSION" >&2
version="$(client_version "$work/bin/terraform")"
if [ "$version" != "Terraform $TERRAFORM_VERSION" ]; then
  echo "build-terraform: the built binary reports '$version', expected 'Terraform $TERRAFORM_VERSION'" >&2
  exit 1
fi
mv "$work/bin/terraform" "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "$OUT"
