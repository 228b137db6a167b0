#!/usr/bin/env bash
# Builds actionlint (the GitHub Actions workflow linter) from its Go module (served by the Go module
# proxy) at a pinned version and caches the binary outside the repository, like the real clients.
# Prints the binary's path on stdout.
#   ACTIONLINT_VERSION  the tag to build (default below; bump it here, the cache is per version).
set -euo pipefail
ACTIONLINT_VERSION="${ACTIONLINT_VERSION:-v1.7.12}"
CACHE_DIR="${REPOXY_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/repoxy-action}"
OUT="$CACHE_DIR/actionlint-$ACTIONLINT_VERSION/actionlint"
tool_version() { "$1" -version | head -1; }
# shellcheck source=scripts/go-install-tool.sh
. "$(dirname "$0")/go-install-tool.sh"
go_install_tool build-actionlint "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" "$OUT" \
  "$ACTIONLINT_VERSION" "-s -w -X github.com/rhysd/actionlint.version=$ACTIONLINT_VERSION"
