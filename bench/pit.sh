#!/usr/bin/env bash
# Builds and runs bench/pit (see bench/README.md). Extra arguments go to pit_bench, e.g.
#   bash bench/pit.sh --events 10000000 --keys 100000 --entities 1000000
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh build >/dev/null
cmake --build build --target pit_bench -j2 >/dev/null
./build/pit_bench --sluice build/sluice "$@"
