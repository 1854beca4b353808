#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (clang, ASan + UBSan, build-fuzz/) and runs each for a
# bounded number of inputs on its corpus (fuzz/corpus/<target>/: seeds and every regression
# found so far, kept in the repository). Not part of the default test run.
#   bash scripts/fuzz.sh                  every target, 100,000 inputs each
#   bash scripts/fuzz.sh --runs N [TARGET...]
# Prints per target the inputs tried and the crashes found; exits 1 when any target crashed
# (the crashing input is saved as fuzz/crash-<target>-<hash> for a regression corpus entry).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=100000
if [ "${1:-}" = "--runs" ]; then RUNS=$2; shift 2; fi
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(definitions_fuzz expression_fuzz http_body_fuzz record_fuzz manifest_fuzz profile_fuzz)
fi
command -v clang++ >/dev/null 2>&1 || {
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q clang
}
bash scripts/setup.sh build >/dev/null  # the packages and DuckDB (and the regular build)
[ -f build-fuzz/build.ninja ] || cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSLUICE_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++
cmake --build build-fuzz --target "${TARGETS[@]}" -j2
failed=0
printf '%-18s %10s %8s %8s\n' target inputs crashes seconds
for t in "${TARGETS[@]}"; do
  corpus=fuzz/corpus/${t%_fuzz}
  mkdir -p "$corpus"
  work=$(mktemp -d)
  start=$(date +%s)
  set +e
  # New inputs go to a scratch corpus; the repository's corpus is only read.
  ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "build-fuzz/$t" -runs="$RUNS" -max_len=65536 -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=20 \
    -artifact_prefix="fuzz/crash-$t-" -print_final_stats=1 "$work" "$corpus" \
    >"$work.log" 2>&1
  rc=$?
  set -e
  inputs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work.log" | grep -o '[0-9]*$' || echo 0)
  crashes=0
  if [ $rc -ne 0 ]; then
    crashes=1
    failed=1
    grep -E "ERROR|SUMMARY|runtime error|uncaught|deadly" "$work.log" | head -5 >&2 || true
  fi
  printf '%-18s %10s %8s %8s\n' "$t" "${inputs:-0}" "$crashes" "$(( $(date +%s) - start ))"
  rm -rf "$work" "$work.log"
done
exit $failed
