#!/usr/bin/env bash
# Builds and runs bench/serve (see bench/README.md). Extra arguments go to serve_bench, e.g.
#   bash bench/serve.sh --entities 100000 --seconds 10
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh build >/dev/null
# wrk cross-checks the peak rate (Debian package; the bench runs without it).
command -v wrk >/dev/null 2>&1 || { apt-get install -y -q wrk >/dev/null 2>&1 || sudo apt-get install -y -q wrk >/dev/null 2>&1 || true; }
cmake --build build --target serve_bench sluice -j2 >/dev/null
./build/serve_bench --sluice build/sluice "$@"
