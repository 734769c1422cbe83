#!/usr/bin/env bash
# Builds the msnbench container image without a Docker daemon and without the network, then runs
# `msnbench version` in it. The Go toolchain on this machine builds the static binary (CGO_ENABLED=0, as
# the Dockerfile's build stage does) and podman (or buildah) puts it into an image FROM scratch with the
# Dockerfile's final stage: nothing is pulled.
#
#   scripts/image.sh                          # builds localhost/msnbench:dev
#   IMAGE=ghcr.io/OWNER/msnbench:latest VERSION=v0.2.0 scripts/image.sh
#
# Needs podman or buildah (Debian: apt-get install podman) and the right to create containers (root, or
# rootless with subordinate ids). The image stays in the local container storage; push it with
# `podman push $IMAGE`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
IMAGE=${IMAGE:-localhost/msnbench:dev}
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}

if command -v podman >/dev/null; then tool=podman
elif command -v buildah >/dev/null; then tool=buildah
else echo "image.sh: neither podman nor buildah is installed (Debian: apt-get install podman)" >&2; exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== go build (static, version $VERSION)"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$VERSION" -o "$work/msnbench" ./cmd/msnbench
if command -v file >/dev/null && ! file "$work/msnbench" | grep -q 'statically linked'; then
  file "$work/msnbench"; echo "image.sh: the binary is not static" >&2; exit 1
fi

# The Dockerfile's final stage, taken from the Dockerfile itself so the two cannot drift apart; the
# binary comes from the build above instead of the build stage.
awk '/^FROM scratch/{on=1} on' Dockerfile | sed 's|^COPY --from=build /out/msnbench |COPY msnbench |' \
  >"$work/Containerfile"
grep -q '^COPY msnbench /msnbench$' "$work/Containerfile" || {
  cat "$work/Containerfile"; echo "image.sh: unexpected final stage in Dockerfile" >&2; exit 1; }

echo "== $tool build $IMAGE"
if [ "$tool" = podman ]; then
  podman build --network=none --pull=never -t "$IMAGE" -f "$work/Containerfile" "$work"
else
  buildah build --network=none --pull=never -t "$IMAGE" -f "$work/Containerfile" "$work"
fi

echo "== $tool run $IMAGE version"
if [ "$tool" = podman ]; then
  user=$(podman image inspect --format '{{.Config.User}}' "$IMAGE")
  # `version` needs no resources: lowered limits are allowed without CAP_SYS_RESOURCE (which a sandbox
  # may not grant, and podman's defaults raise). crun refuses a hybrid cgroup v1/v2 host; runc runs there.
  run=(podman run --rm --network=none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
  if ! out=$("${run[@]}" "$IMAGE" version); then
    command -v runc >/dev/null || { echo "image.sh: podman run failed (apt-get install runc may help)" >&2; exit 1; }
    echo "image.sh: podman run failed with the default OCI runtime; trying runc" >&2
    out=$(podman --runtime "$(command -v runc)" "${run[@]:1}" "$IMAGE" version)
  fi
  size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
else
  user=$(buildah inspect --type image --format '{{.OCIv1.Config.User}}' "$IMAGE")
  ctr=$(buildah from --pull=never "$IMAGE")
  out=$(buildah run --network=none "$ctr" -- /msnbench version; buildah rm "$ctr" >/dev/null)
  size=$(stat -c %s "$work/msnbench")
fi
echo "$out"
[ "$out" = "msnbench $VERSION" ] || { echo "image.sh: expected 'msnbench $VERSION'" >&2; exit 1; }
[ "$user" = 65532:65532 ] || { echo "image.sh: image user is '$user', want 65532:65532" >&2; exit 1; }
echo "ok: $IMAGE, user $user, $size bytes"
