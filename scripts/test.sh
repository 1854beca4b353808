#!/usr/bin/env bash
# Installs, builds and runs every test of the default suite through ctest.
#   scripts/test.sh              the default suite (what CI runs)
#   scripts/test.sh --sanitize   the same tests built with AddressSanitizer + UBSan (build-asan/)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--sanitize" ]; then
  shift
  bash scripts/setup.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DSLUICE_SANITIZE=ON
  cd build-asan
  ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --output-on-failure -j2 "$@"
  exit
fi
bash scripts/setup.sh build
cd build
ctest --output-on-failure -j2 "$@"
