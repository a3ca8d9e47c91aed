#!/usr/bin/env bash
# Builds a local stand-in for the official `node` image (CI plumbing: no container registry is
# reachable here, so nothing can be pulled). Debian bookworm minbase (debootstrap from the mirror
# apt already uses) + this host's node and npm, laid out like the official image: node in
# /usr/local/bin, npm in /usr/local/lib/node_modules, user `node` (uid/gid 1000), CMD ["node"].
# The host's CA bundle goes in as /etc/ssl/certs/ca-certificates.crt and is npm's `cafile`
# (/usr/local/etc/npmrc) and NODE_EXTRA_CA_CERTS, so `npm ci` in a container reaches the registry.
#
#   bash scripts/make-node-base-image.sh           # build unless the image exists
#   bash scripts/make-node-base-image.sh --force   # rebuild
#
# Then: docker build --build-arg NODE_IMAGE=cpm-lab/node-base:bookworm -t cpm-lab:dev .
#
# Environment: NODE_BASE_IMAGE (tag, default cpm-lab/node-base:bookworm), DEBIAN_MIRROR (default:
# the bookworm `main` URI from apt's sources), DEBIAN_SUITE (default bookworm), DEBOOTSTRAP_CACHE_DIR
# (downloaded .debs, default /var/cache/cpm-lab-debootstrap).
set -euo pipefail

IMAGE=${NODE_BASE_IMAGE:-cpm-lab/node-base:bookworm}
SUITE=${DEBIAN_SUITE:-bookworm}
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
DEBOOTSTRAP_CACHE_DIR=${DEBOOTSTRAP_CACHE_DIR:-/var/cache/cpm-lab-debootstrap}

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'make-node-base-image: %s\n' "$*" >&2; exit 1; }

force=0
case "${1:-}" in
  --force) force=1 ;;
  '') ;;
  *) die "usage: $0 [--force]" ;;
esac

if [ $force -eq 0 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  log "$IMAGE exists ($(docker image inspect -f '{{.Created}}' "$IMAGE")); --force rebuilds"
  exit 0
fi
[ "$(id -u)" -eq 0 ] || die "debootstrap needs root"
docker info >/dev/null 2>&1 || die "no docker engine answers (run scripts/docker-engine.sh)"
[ -f "$CA_BUNDLE" ] || die "$CA_BUNDLE missing"

start=$SECONDS

if ! command -v debootstrap >/dev/null 2>&1; then
  log "installing debootstrap"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

# The mirror apt uses here for `$SUITE main` (works for sources.list and deb822 .sources files).
if [ -z "${DEBIAN_MIRROR:-}" ]; then
  DEBIAN_MIRROR=$(apt-get indextargets --format '$(CODENAME) $(COMPONENT) $(REPO_URI)' 'Identifier: Packages' 2>/dev/null |
    awk -v s="$SUITE" '$1 == s && $2 == "main" { print $3; exit }')
  DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian/}
fi

# The host's node and npm (node's prefix: /usr for Debian/NodeSource packages, /usr/local otherwise).
NODE_BIN=$(node -p 'process.execPath')
NODE_PREFIX=$(dirname "$(dirname "$NODE_BIN")")
NODE_MODULES=$NODE_PREFIX/lib/node_modules
[ -f "$NODE_MODULES/npm/bin/npm-cli.js" ] || die "npm not found in $NODE_MODULES/npm"
NODE_VERSION=$(node -p 'process.versions.node')

ROOT=$(mktemp -d /tmp/node-base.XXXXXX)
cleanup() {
  # debootstrap mounts /proc and /sys inside the target; never rm -rf through a mount.
  if command -v findmnt >/dev/null 2>&1; then
    findmnt -rn -o TARGET | awk -v r="$ROOT/" 'index($0, r) == 1' | sort -r |
      while read -r m; do umount -l "$m" || true; done || true
  fi
  rm -rf --one-file-system "$ROOT"
}
trap cleanup EXIT

log "debootstrap --variant=minbase $SUITE from $DEBIAN_MIRROR"
# --cache-dir keeps the .debs, so a --force rebuild downloads nothing.
mkdir -p "$DEBOOTSTRAP_CACHE_DIR"
debootstrap --variant=minbase --cache-dir="$DEBOOTSTRAP_CACHE_DIR" "$SUITE" "$ROOT" "$DEBIAN_MIRROR" >/tmp/make-node-base-image.debootstrap.log 2>&1 ||
  { tail -n 30 /tmp/make-node-base-image.debootstrap.log >&2; die "debootstrap failed"; }
log "debootstrap done in $((SECONDS - start))s"

log "adding node $NODE_VERSION and npm $(npm -v 2>/dev/null) from $NODE_PREFIX"
install -D -m 0755 "$NODE_BIN" "$ROOT/usr/local/bin/node"
mkdir -p "$ROOT/usr/local/lib/node_modules"
cp -a "$NODE_MODULES/npm" "$ROOT/usr/local/lib/node_modules/"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOT/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOT/usr/local/bin/npx"
if [ -d "$NODE_MODULES/corepack" ]; then # the official image ships corepack too
  cp -a "$NODE_MODULES/corepack" "$ROOT/usr/local/lib/node_modules/"
  ln -sf ../lib/node_modules/corepack/dist/corepack.js "$ROOT/usr/local/bin/corepack"
fi

# CA bundle, npm's global config ($prefix/etc/npmrc, prefix = /usr/local).
install -D -m 0644 "$CA_BUNDLE" "$ROOT/etc/ssl/certs/ca-certificates.crt"
mkdir -p "$ROOT/usr/local/etc"
cat >"$ROOT/usr/local/etc/npmrc" <<EOF
cafile=/etc/ssl/certs/ca-certificates.crt
update-notifier=false
fund=false
audit=false
EOF

# User `node`, uid/gid 1000, like the official image.
if ! grep -q '^node:' "$ROOT/etc/passwd"; then
  chroot "$ROOT" groupadd --gid 1000 node
  chroot "$ROOT" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
fi

# Trim: apt caches and lists, host-specific files (Docker provides hostname/hosts/resolv.conf).
rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/log/* "$ROOT"/tmp/*
rm -f "$ROOT/etc/hostname" "$ROOT/etc/resolv.conf"
chroot "$ROOT" node -e 'process.exit(0)' || die "node does not run inside the new root"

log "docker import -> $IMAGE"
tar -C "$ROOT" --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -c . |
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$NODE_VERSION" \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change 'LABEL org.opencontainers.image.description="cpm-lab CI stand-in for node:bookworm (debootstrap minbase + host node/npm)"' \
    --change 'CMD ["node"]' \
    - "$IMAGE" >/dev/null

docker run --rm "$IMAGE" sh -c 'echo "node $(node -v), npm $(npm -v), user $(id -un 1000) uid $(id -u node)"'
log "$IMAGE built in $((SECONDS - start))s ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%d MB", $1 / 1e6 }'))"
