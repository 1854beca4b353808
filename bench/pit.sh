#!/usr/bin/env bash
# Builds and runs bench/pit (see bench/README.md). Extra arguments go to pit_bench, e.g.
#   bash bench/pit.sh --events 10000000 --keys 100000 --entities 1000000
#   bash bench/pit.sh --scale [--tz] [--all]   10M, 30M and 100M events (1M entity rows, 100k
#                                              keys): peak memory and time as the log grows
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh build >/dev/null
cmake --build build --target pit_bench -j2 >/dev/null
if [ "${1:-}" = "--scale" ]; then
  shift
  for events in 10000000 30000000 100000000; do
    # DuckDB's dataset SQL (a range join) needs ~25 GB at 100M events: sluice's alone there.
    peer=()
    [ "$events" -ge 100000000 ] && peer=(--skip-peer-dataset)
    ./build/pit_bench --sluice build/sluice --events "$events" --keys 100000 --entities 1000000 \
      --dir /tmp/sluice-bench-pit-scale "${peer[@]}" "$@"
  done
  rm -rf /tmp/sluice-bench-pit-scale
  exit
fi
./build/pit_bench --sluice build/sluice "$@"
