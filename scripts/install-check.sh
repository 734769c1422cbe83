#!/usr/bin/env bash
# Checks that `go install github.com/msnbench/msnbench/cmd/msnbench@latest` works as on a clean machine,
# without the network: the module comes from a clone of this checkout (committed state, tagged
# $TAG) that git serves in place of github.com, its dependencies from the local module cache; a fresh
# GOPATH and module cache, no GOFLAGS, and the installed binary must print the tag as its version.
#
#   scripts/install-check.sh            # TAG=v0.99.0
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
TAG=${TAG:-v0.99.0}
module=$(go list -m)
cache=$(go env GOMODCACHE)/cache/download
go mod download # the dependencies, into the local cache that serves them below

tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
git clone -q . "$tmp/src"
git -C "$tmp/src" tag "$TAG"
printf '[url "file://%s/src"]\n\tinsteadOf = https://%s\n' "$tmp" "$module" >"$tmp/gitconfig"

env -u GOFLAGS GIT_CONFIG_GLOBAL="$tmp/gitconfig" GOPATH="$tmp/gopath" GOMODCACHE="$tmp/gopath/pkg/mod" \
  GOBIN="$tmp/bin" GOPROXY="file://$cache" GOPRIVATE="$module" GOSUMDB=off GOTOOLCHAIN=local \
  go install "$module/cmd/msnbench@latest"
out=$("$tmp/bin/msnbench" version)
echo "$out"
[ "$out" = "msnbench $TAG" ] || { echo "install-check.sh: want 'msnbench $TAG'" >&2; exit 1; }
echo "ok: go install $module/cmd/msnbench@latest"
