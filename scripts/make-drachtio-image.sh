#!/usr/bin/env bash
# Builds a local drachtio-server image (CI plumbing: no container registry is reachable here, so the public
# drachtio/drachtio-server image cannot be pulled). The binary comes from scripts/build-drachtio.sh (built
# from the source tarball, cached by its hash), the runtime libraries from Debian inside the image.
#
#   bash scripts/make-drachtio-image.sh TARBALL       # then: CPM_LAB_DRACHTIO_IMAGE=cpm-lab/drachtio-server:local
#
# Environment: CPM_LAB_DRACHTIO_IMAGE (tag, default cpm-lab/drachtio-server:local), DRACHTIO_BASE_IMAGE
# (default cpm-lab/node-base:bookworm, the stand-in made by scripts/make-node-base-image.sh).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
image=${CPM_LAB_DRACHTIO_IMAGE:-cpm-lab/drachtio-server:local}
base=${DRACHTIO_BASE_IMAGE:-cpm-lab/node-base:bookworm}
binary=$(bash "$here/build-drachtio.sh" --print-path "$@")
hash=$(basename "$(dirname "$binary")")
if docker image inspect "$image" --format '{{ index .Config.Labels "cpm-lab.drachtio-source" }}' 2>/dev/null | grep -qx "$hash"; then
  printf '== %s holds drachtio-server from source %s\n' "$image" "$hash" >&2
  exit 0
fi
context=$(mktemp -d /tmp/drachtio-image.XXXXXX)
trap 'rm -rf "$context"' EXIT
cp "$binary" "$context/drachtio"
cp "$root/interop/drachtio/Dockerfile" "$root/interop/drachtio/drachtio.conf.xml" "$context/"
docker buildx version >/dev/null 2>&1 || export DOCKER_BUILDKIT=0
printf '== docker build -t %s (base %s, drachtio-server source %s)\n' "$image" "$base" "$hash" >&2
docker build -q --build-arg "BASE_IMAGE=$base" --label "cpm-lab.drachtio-source=$hash" -t "$image" "$context" >/dev/null
