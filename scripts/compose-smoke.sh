#!/usr/bin/env bash
# The Compose lab by hand, in one command: build and start docker-compose.yml under its own project name
# with free host ports (a lab already running here is not disturbed), wait until the `lab` service is
# healthy (groups provisioned), run scenarios with this checkout's CLI through the published lab API,
# then remove the project and its volumes. Exit status: the scenarios' verdict.
#
#   bash scripts/compose-smoke.sh                       # deferred-inactive
#   bash scripts/compose-smoke.sh all                   # every scenario
#   KEEP=1 bash scripts/compose-smoke.sh                # leave the lab running (prints how to stop it)
#
# Environment: NODE_IMAGE (without a registry: cpm-lab/node-base:bookworm, see scripts/ci-docker.sh),
# COMPOSE_SMOKE_PROJECT (default cpm-lab-smoke), COMPOSE_SMOKE_WAIT (seconds, default 180), KEEP.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

scenario=${1:-deferred-inactive}
project=${COMPOSE_SMOKE_PROJECT:-cpm-lab-smoke}
wait_s=${COMPOSE_SMOKE_WAIT:-180}
log() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'compose-smoke: %s\n' "$*" >&2; exit 1; }

docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || die "no Docker engine answers (bash scripts/docker-engine.sh)"
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
else
  die "neither 'docker compose' nor 'docker-compose' is installed"
fi
docker buildx version >/dev/null 2>&1 || export DOCKER_BUILDKIT=0
compose+=(-f "$root/docker-compose.yml" -p "$project")
# Free host ports for every published control port.
for s in LAB CSCF PF ALICE BOB CAROL; do export "CPM_LAB_HOST_PORT_$s="; done

cleanup() {
  local rc=$?
  if [ "${KEEP:-}" = 1 ]; then
    log "kept running; stop with: ${compose[*]} down -v"
  else
    [ $rc -eq 0 ] || "${compose[@]}" logs --no-color --tail 30 >&2 || true
    "${compose[@]}" down --volumes --remove-orphans --timeout 5 >/dev/null 2>&1 || true
  fi
  exit $rc
}
trap cleanup EXIT

log "npm run build (the host CLI that drives the lab)"
npm run build --silent

start=$SECONDS
log "${compose[*]} up --build -d (NODE_IMAGE=${NODE_IMAGE:-node:22-bookworm-slim})"
"${compose[@]}" up --build -d --remove-orphans >/tmp/cpm-lab-compose-smoke.log 2>&1 ||
  { tail -n 40 /tmp/cpm-lab-compose-smoke.log >&2; die "up failed; full log: /tmp/cpm-lab-compose-smoke.log"; }

lab_id=$("${compose[@]}" ps -q lab)
[ -n "$lab_id" ] || die "no lab container"
deadline=$((SECONDS + wait_s))
until [ "$(docker inspect -f '{{.State.Health.Status}}' "$lab_id")" = healthy ]; do
  [ "$(docker inspect -f '{{.State.Status}}' "$lab_id")" = running ] || die "the lab service stopped"
  [ $SECONDS -lt $deadline ] || die "the lab service is not healthy after ${wait_s}s"
  sleep 0.5
done
url="http://$("${compose[@]}" port lab 8080 | tr -d '\r')"
log "Compose lab healthy in $((SECONDS - start))s at $url"

node bin/cpm-lab.js run "$scenario" --lab "$url"
