#!/usr/bin/env bash
# Builds actionlint (the GitHub Actions workflow linter) from its Go module (served by the Go module
# proxy) at a pinned version and caches the binary outside the repository, like the real clients.
# Prints the binary's path on stdout.
#   ACTIONLINT_VERSION  the tag to build (default below; bump it here, the cache is per version).
set -euo pipefail
ACTIONLINT_VERSION="${ACTIONLINT_VERSION:-v1.7.12}"
CACHE_DIR="${REPOXY_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/repoxy-action}"
OUT="$CACHE_DIR/actionlint-$ACTIONLINT_VERSION/actionlint"
if [ -x "$OUT" ] && [ "$("$OUT" -version 2>/dev/null | head -1)" = "$ACTIONLINT_VERSION" ]; then
  echo "$OUT"
  exit 0
fi
command -v go >/dev/null || { echo "build-actionlint: go is not installed" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$(dirname "$OUT")" "$work/bin"
cd "$work"
echo "build-actionlint: compiling github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >&2
CGO_ENABLED=0 GOBIN="$work/bin" GOFLAGS=-mod=mod go install -trimpath \
  -ldflags "-s -w -X github.com/rhysd/actionlint.version=$ACTIONLINT_VERSION" \
  "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >&2
version="$("$work/bin/actionlint" -version | head -1)"
if [ "$version" != "$ACTIONLINT_VERSION" ]; then
  echo "build-actionlint: the built binary reports '$version', expected '$ACTIONLINT_VERSION'" >&2
  exit 1
fi
mv "$work/bin/actionlint" "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "$OUT"
