#!/usr/bin/env bash
# Builds and runs bench/quality (see bench/README.md). Extra arguments go to quality_bench, e.g.
#   bash bench/quality.sh --rows 10000000
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh build >/dev/null
cmake --build build --target quality_bench sluice -j2 >/dev/null
./build/quality_bench --sluice build/sluice "$@"
