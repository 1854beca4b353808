#!/usr/bin/env bash
# Installs what sluice needs on Debian 12 (only what is missing), then configures and builds.
# Usage: scripts/setup.sh [BUILD_DIR [CMAKE_ARGS...]]   (default: build, RelWithDebInfo)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
shift || true
CMAKE_ARGS=("$@")
[ ${#CMAKE_ARGS[@]} -gt 0 ] || CMAKE_ARGS=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(cmake ninja-build g++ ccache pkg-config
  libyaml-cpp-dev libcli11-dev libfmt-dev libspdlog-dev nlohmann-json3-dev libsqlite3-dev
  libssl-dev openssl curl libxxhash-dev libjemalloc-dev librocksdb-dev libhiredis-dev libre2-dev redis-server libcpp-httplib-dev libboost-dev libgtest-dev libgmock-dev libbenchmark-dev libabsl-dev)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm may come with a nodejs that is not Debian's (it conflicts with Debian's npm package).
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi

# DuckDB 1.4.4: libduckdb.so and duckdb.h, pinned in package-lock.json. --ignore-scripts keeps
# the duckdb package from compiling itself; we only need its header.
stamp=node_modules/.sluice-lock-sha
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: npm ci --ignore-scripts (DuckDB 1.4.4)"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja "${CMAKE_ARGS[@]}"
fi
cmake --build "$BUILD_DIR" -j2
