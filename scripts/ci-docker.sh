#!/usr/bin/env bash
# CI's Docker setup (no container registry reachable): a running engine, the local stand-in for the
# `node` base image, and the lab image built from it, tagged as docker-compose.yml names it.
# Idempotent; a few seconds when everything exists (engine up, base image present, build cached).
#
#   bash scripts/ci-docker.sh                 # then: NODE_IMAGE=cpm-lab/node-base:bookworm docker-compose ...
#   source scripts/ci-docker.sh               # same, and exports NODE_IMAGE into the calling shell
#
# The Compose tests (NODE_IMAGE=cpm-lab/node-base:bookworm npm run test:compose) build through Compose from
# the same layer cache, so after this script their build is all cache hits.
#
# Environment: NODE_IMAGE (default cpm-lab/node-base:bookworm: built here when it is that tag),
# CPM_LAB_IMAGE (default cpm-lab:local, the `image:` of docker-compose.yml).

__cpm_ci_docker() (
  set -euo pipefail
  local here root start
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  root=$(dirname "$here")
  local node_image=${NODE_IMAGE:-cpm-lab/node-base:bookworm}
  local image=${CPM_LAB_IMAGE:-cpm-lab:local}
  log() { printf '\n== %s\n' "$*" >&2; }

  start=$SECONDS
  log "docker engine"
  bash "$here/docker-engine.sh"

  if [ "$node_image" = cpm-lab/node-base:bookworm ]; then
    log "base image $node_image"
    NODE_BASE_IMAGE=$node_image bash "$here/make-node-base-image.sh"
  fi

  log "docker build -t $image (NODE_IMAGE=$node_image)"
  local t=$SECONDS
  # No buildx here: the classic builder, which takes FROM images from the local store.
  docker buildx version >/dev/null 2>&1 || export DOCKER_BUILDKIT=0
  local build_log=/tmp/cpm-lab-docker-build.log
  if ! docker build --force-rm --build-arg "NODE_IMAGE=$node_image" -t "$image" "$root" >"$build_log" 2>&1; then
    tail -n 40 "$build_log" >&2
    printf 'ci-docker: docker build failed; full log: %s\n' "$build_log" >&2
    exit 1
  fi
  log "$image built in $((SECONDS - t))s; docker setup took $((SECONDS - start))s"
  docker run --rm "$image" --version >/dev/null
)

if (return 0 2>/dev/null); then
  # Sourced: run in a subshell (no set -e leaking into the caller), then export for compose.
  __cpm_ci_docker && export NODE_IMAGE=${NODE_IMAGE:-cpm-lab/node-base:bookworm}
else
  __cpm_ci_docker
fi
