#!/usr/bin/env bash
# Builds the real OpenTofu CLI from its Go module (served by the Go module proxy) and caches the
# binary outside the repository. Prints the binary's path on stdout.
# `go install` refuses modules with `replace` directives, so a throw-away module requires OpenTofu
# at a release tag and repeats its replace line (../shared/spec/STACK.md).
set -euo pipefail
TOFU_VERSION="${TOFU_VERSION:-v1.12.6}"
HCL_REPLACE="${TOFU_HCL_REPLACE:-github.com/hashicorp/hcl/v2 v2.20.1 => github.com/opentofu/hcl/v2 v2.20.2-0.20251021132045-587d123c2828}"
CACHE_DIR="${REPOXY_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/repoxy-action}"
OUT="$CACHE_DIR/tofu-$TOFU_VERSION-r2/tofu"
if [ -x "$OUT" ] && "$OUT" version >/dev/null 2>&1; then
  echo "$OUT"
  exit 0
fi
command -v go >/dev/null || { echo "build-tofu: go is not installed" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$(dirname "$OUT")"
cd "$work"
cat > go.mod <<MOD
module repoxy.local/tofubuild

go 1.26

require github.com/opentofu/opentofu $TOFU_VERSION

replace $HCL_REPLACE
MOD
echo "build-tofu: resolving github.com/opentofu/opentofu@$TOFU_VERSION" >&2
GOFLAGS=-mod=mod go mod download github.com/opentofu/opentofu >&2
GOFLAGS=-mod=mod go get "github.com/opentofu/opentofu/cmd/tofu@$TOFU_VERSION" >&2
echo "build-tofu: compiling (a few minutes on 2 cores)" >&2
CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" -o "$OUT.tmp" github.com/opentofu/opentofu/cmd/tofu >&2
mv "$OUT.tmp" "$OUT"
echo "$OUT"
