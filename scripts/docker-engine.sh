#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine (CI plumbing; Debian bookworm, run as root).
# Idempotent: installs Debian's docker.io and docker-compose (v1.29) when missing, starts dockerd in
# the background when `docker info` does not answer, waits (bounded) until it does, prints versions.
#
#   bash scripts/docker-engine.sh
#
# Environment:
#   DOCKERD_FLAGS        extra dockerd flags (default: none; overlay2 + bridge + iptables work here).
#                        If dockerd dies with the defaults, the script retries once with
#                        --storage-driver=vfs (slow, but works on any filesystem, e.g. overlay-on-overlay).
#   DOCKERD_LOG          dockerd's log (default /tmp/dockerd.log)
#   DOCKER_WAIT_SECONDS  how long to wait for the engine (default 60)
set -euo pipefail

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'docker-engine: %s\n' "$*" >&2; exit 1; }

DOCKERD_LOG=${DOCKERD_LOG:-/tmp/dockerd.log}
DOCKER_WAIT_SECONDS=${DOCKER_WAIT_SECONDS:-60}

engine_answers() { docker info >/dev/null 2>&1; }

# --- 1. packages --------------------------------------------------------------------------------
# Check dockerd (not `docker`): a standalone docker CLI may be on PATH without an engine.
need_apt=()
command -v dockerd >/dev/null 2>&1 || need_apt+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || need_apt+=(docker-compose)
command -v iptables >/dev/null 2>&1 || need_apt+=(iptables)
if [ ${#need_apt[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "need root to install ${need_apt[*]}"
  log "installing Debian packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# --- 2. engine ----------------------------------------------------------------------------------
start_dockerd() { # $@: dockerd flags
  # A pid file left by a dead daemon makes dockerd refuse to start.
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    rm -f /var/run/docker.pid
  fi
  log "starting dockerd $* (log: $DOCKERD_LOG)"
  # setsid: the daemon outlives this script and the shell/job that ran it.
  setsid dockerd "$@" >>"$DOCKERD_LOG" 2>&1 </dev/null &
  DOCKERD_PID=$!
}

wait_for_engine() { # returns 1 if dockerd died or the deadline passed
  local deadline=$((SECONDS + DOCKER_WAIT_SECONDS))
  while [ $SECONDS -lt $deadline ]; do
    engine_answers && return 0
    kill -0 "$DOCKERD_PID" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}

if engine_answers; then
  log "docker engine already answers"
else
  [ "$(id -u)" -eq 0 ] || die "no docker engine answers and not root: cannot start dockerd"
  if pgrep -x dockerd >/dev/null; then
    # A daemon is starting (or hung): give it the same bounded wait before anything else.
    DOCKERD_PID=$(pgrep -x dockerd | head -n1)
    log "dockerd (pid $DOCKERD_PID) is running but not answering yet; waiting"
    wait_for_engine || die "dockerd (pid $DOCKERD_PID) does not answer; see $DOCKERD_LOG"
  else
    read -r -a flags <<<"${DOCKERD_FLAGS:-}"
    start_dockerd "${flags[@]}"
    if ! wait_for_engine; then
      if [ -z "${DOCKERD_FLAGS:-}" ] && ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
        tail -n 20 "$DOCKERD_LOG" >&2 || true
        log "dockerd died with the default storage driver; retrying with --storage-driver=vfs"
        start_dockerd --storage-driver=vfs
        wait_for_engine || { tail -n 30 "$DOCKERD_LOG" >&2; die "dockerd does not answer; see $DOCKERD_LOG"; }
      else
        tail -n 30 "$DOCKERD_LOG" >&2 || true
        die "dockerd does not answer within ${DOCKER_WAIT_SECONDS}s; see $DOCKERD_LOG"
      fi
    fi
  fi
fi

# --- 3. versions --------------------------------------------------------------------------------
docker version --format 'docker client {{.Client.Version}} (API {{.Client.APIVersion}}), engine {{.Server.Version}} (API {{.Server.APIVersion}})'
docker info --format 'storage driver {{.Driver}}, cgroup {{.CgroupDriver}} v{{.CgroupVersion}}'
docker-compose version --short | sed 's/^/docker-compose /'
if docker compose version >/dev/null 2>&1; then
  docker compose version
else
  echo 'docker compose (v2 plugin): not installed (Debian bookworm does not ship it)'
fi
