#!/usr/bin/env bash
# Installs, builds and runs every test of the default suite through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh build
cd build
ctest --output-on-failure -j2 "$@"
