# Sourced by the build scripts of Go tools (build-terraform.sh, build-actionlint.sh): one
# `go install PACKAGE@VERSION` into a throw-away GOBIN, checked, then moved into the cache outside the
# repository. The caller defines `tool_version BIN` (prints the binary's version line).
#   go_install_tool LABEL PACKAGE@VERSION OUT EXPECTED_VERSION_LINE LDFLAGS [NOTE]
# Prints OUT on stdout; reuses OUT when it already reports EXPECTED_VERSION_LINE.
go_install_tool() {
  local label="$1" package="$2" out="$3" expected="$4" ldflags="$5" note="${6:-}"
  if [ -x "$out" ] && [ "$(tool_version "$out" 2>/dev/null)" = "$expected" ]; then
    echo "$out"
    return 0
  fi
  command -v go >/dev/null || { echo "$label: go is not installed" >&2; return 1; }
  GO_TOOL_WORK="$(mktemp -d)"
  trap 'rm -rf "$GO_TOOL_WORK"' EXIT
  mkdir -p "$(dirname "$out")" "$GO_TOOL_WORK/bin"
  echo "$label: compiling $package${note:+ ($note)}" >&2
  (cd "$GO_TOOL_WORK" && CGO_ENABLED=0 GOBIN="$GO_TOOL_WORK/bin" GOFLAGS=-mod=mod \
    go install -trimpath -ldflags "$ldflags" "$package") >&2
  local built version
  built="$GO_TOOL_WORK/bin/$(basename "$out")"
  version="$(tool_version "$built")"
  if [ "$version" != "$expected" ]; then
    echo "$label: the built binary reports '$version', expected '$expected'" >&2
    return 1
  fi
  mv "$built" "$out.tmp"
  mv "$out.tmp" "$out"
  echo "$out"
}
