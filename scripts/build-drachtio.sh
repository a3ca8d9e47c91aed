#!/usr/bin/env bash
# Builds drachtio-server (the SIP engine drachtio-srf applications connect to) from a source tarball and
# installs the binary as `drachtio` on the PATH. CI plumbing: drachtio-server is on no package registry
# reachable from CI, so CI builds it from a vendored source tarball. Users elsewhere take the public
# `drachtio/drachtio-server` image or build it from its repository (docs/drachtio.md).
#
# The build takes about 4 minutes on 2 cores, so the result is cached by the tarball's SHA-256: a binary
# built from the same source is reused, and the build is skipped.
#
#   bash scripts/build-drachtio.sh TARBALL               # a drachtio-server source tree with its deps/, tarred
#   bash scripts/build-drachtio.sh --print-path TARBALL  # the cached binary's path (built if missing)
#
# The tarball is drachtio-server's repository with its dependencies under deps/ (sofia-sip, jansson, hiredis,
# prometheus-cpp), unpacked ready for `./bootstrap.sh && ./configure && make`.
#
# Environment: DRACHTIO_CACHE_DIR (default ${XDG_CACHE_HOME:-$HOME/.cache}/cpm-lab/drachtio),
# DRACHTIO_INSTALL_DIR (where the `drachtio` link goes, default /usr/local/bin), JOBS (default nproc).
set -euo pipefail

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'build-drachtio: %s\n' "$*" >&2; exit 1; }

print_path=0
if [ "${1:-}" = --print-path ]; then print_path=1; shift; fi
[ $# -ge 1 ] || die "usage: build-drachtio.sh [--print-path] TARBALL (a drachtio-server source tarball)"
tarball=$1
[ -f "$tarball" ] || die "no source tarball at $tarball"

cache_root=${DRACHTIO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cpm-lab/drachtio}
install_dir=${DRACHTIO_INSTALL_DIR:-/usr/local/bin}
jobs=${JOBS:-$(nproc)}
hash=$(sha256sum "$tarball" | cut -c1-16)
cached="$cache_root/$hash/drachtio"

link() {
  if [ -w "$install_dir" ]; then
    ln -sf "$cached" "$install_dir/drachtio"
  else
    log "cannot write $install_dir: put $(dirname "$cached") on the PATH"
  fi
  if [ "$print_path" = 1 ]; then printf '%s\n' "$cached"; fi
}

if [ -x "$cached" ] && "$cached" --version >/dev/null 2>&1; then
  log "drachtio-server from source $hash is cached: $cached"
  link
  exit 0
fi

# Build dependencies (Debian bookworm), installed only when one is missing.
deps=(gcc g++ make cmake autoconf automake libtool libtool-bin pkg-config libssl-dev libcurl4-openssl-dev
  zlib1g-dev libboost-all-dev)
missing=()
for p in "${deps[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing build dependencies: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

work=$(mktemp -d /tmp/drachtio-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
build_log="$cache_root/build-$hash.log"
mkdir -p "$cache_root"
log "building drachtio-server from $tarball (source $hash, $jobs jobs; log: $build_log)"
start=$SECONDS
(
  set -e
  tar xzf "$tarball" -C "$work"
  cd "$work/drachtio-server"
  # prometheus-cpp's own tests need googletest, which the tarball does not carry: build without them.
  (cd deps/prometheus-cpp && mkdir -p build && cd build &&
    cmake .. -DBUILD_SHARED_LIBS=OFF -DENABLE_TESTING=OFF -DENABLE_PUSH=OFF \
      -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_INSTALL_PREFIX="$(pwd)" && make -j"$jobs" && make install)
  ./bootstrap.sh
  mkdir -p build && cd build
  ../configure --enable-tcmalloc=no CPPFLAGS='-DNDEBUG' CXXFLAGS='-O2'
  make -j"$jobs"
) >"$build_log" 2>&1 || { tail -n 40 "$build_log" >&2; die "build failed; full log: $build_log"; }

mkdir -p "$(dirname "$cached")"
install -m 0755 "$work/drachtio-server/build/drachtio" "$cached.tmp"
mv "$cached.tmp" "$cached"
"$cached" --version >/dev/null 2>&1 || die "the built binary does not run: $cached"
log "drachtio-server built in $((SECONDS - start)) s: $cached"
link
