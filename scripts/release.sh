#!/usr/bin/env bash
# Builds msnbench's release binaries into dist/: static (CGO_ENABLED=0), -trimpath, stripped, with the
# version stamped in (`msnbench version` prints it), plus SHA256SUMS.
#
#   scripts/release.sh                    # VERSION from `git describe`
#   VERSION=v0.2.0 scripts/release.sh
#   TARGETS='linux/amd64 darwin/arm64' scripts/release.sh
#
# Every target is tried; one that does not build is reported with the compiler's error and the script
# exits 1 at the end, so a broken platform is never skipped silently.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
TARGETS=${TARGETS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64}

rm -rf dist
mkdir -p dist
failed=()
for target in $TARGETS; do
  os=${target%/*} arch=${target#*/}
  out=dist/msnbench-$VERSION-$os-$arch
  [ "$os" = windows ] && out=$out.exe
  if log=$(CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath \
      -ldflags "-s -w -X main.version=$VERSION" -o "$out" ./cmd/msnbench 2>&1); then
    printf 'ok    %-14s %s (%s bytes)\n' "$target" "$out" "$(stat -c %s "$out")"
  else
    printf 'FAIL  %-14s\n%s\n' "$target" "$log" >&2
    failed+=("$target")
  fi
done
(cd dist && sha256sum msnbench-* >SHA256SUMS)
if [ ${#failed[@]} -gt 0 ]; then
  echo "release.sh: ${#failed[@]} target(s) did not build: ${failed[*]}" >&2
  exit 1
fi
echo "dist/: ${VERSION}, $(echo $TARGETS | wc -w) targets, SHA256SUMS"
