#!/usr/bin/env bash
# Kill -9 soak: N random SIGKILLs across ingest, materialize, push and dataset create, after
# each of which the offline log, the online store and the datasets must be readable and exact.
#
#   bash scripts/soak.sh [--kills N] [--seed S] [--sluice PATH] [--control-every R] [--keep]
#
# --control-every R: compare with a fresh control repository every R rounds, besides at the
# end (default 25). --keep: keep the scratch directory even when the soak passes.
#
# Not part of ctest (it takes minutes). A scratch repository gets small generated data; each
# round picks an operation at random, starts it, kills it (kill -9) after a random delay (or,
# in one ingest or dataset round in four, the moment its commit becomes visible), checks the
# invariants, then redoes the operation to completion and checks the exact result:
#   ingest       a newly delivered CSV file; the victim is `sluice ingest`
#   materialize  the victim is `sluice materialize` (no server running: it holds RocksDB)
#   push         sequential POST /push (to: online_and_offline); the victim is `sluice serve`
#   dataset      the victim is `sluice dataset create NAME`
# After every kill:
#   - the current snapshot of each source holds exactly the rows committed before, plus the
#     killed ingest's delivery or the push in flight only if its commit came before the kill;
#   - get-online for every user equals, view by view, the values computed here from the rows in
#     the log (after a killed materialize: as before it or as after it, user by user; after a
#     killed push: with or without the push in flight, if that reached the log);
#   - no dataset is broken; a killed create left none or a complete one, equal to one built now;
#     a random dataset reproduces its hash; gc succeeds and leaves no segment file that no kept
#     manifest lists and no temporary dataset directory.
# After the redo: exact row counts and deliveries; after materialize every user's values and
# consistency-check with 0 mismatches (after pushes: of the push view); every R rounds and at
# the end a fresh control repository fed the same rows without kills, in other batches, gives
# a dataset of the same content hash; at the end every dataset reproduces.
# Only kills that land while the operation is still running count towards N. The seed (printed
# first) replays the same operations and data; kill instants are timing and vary by run.
# Failing: the first violated invariant is printed with what was expected and found, the seed
# and the kept scratch directory (repository, generated data, every command's output); exit 1.
set -euo pipefail
export LC_ALL=C TZ=UTC
start_dir=$PWD
cd "$(dirname "$0")/.."
root=$PWD

kills_target=100
seed=""
sluice_src=""  # default: build/sluice, built first
control_every=25
keep=0
usage() {
  echo "usage: bash scripts/soak.sh [--kills N] [--seed S] [--sluice PATH] [--control-every R] [--keep]"
}
while [ $# -gt 0 ]; do
  case "$1" in
    --kills|--seed|--sluice|--control-every) [ $# -ge 2 ] || { usage >&2; exit 2; } ;;
  esac
  case "$1" in
    --kills) kills_target=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --sluice) sluice_src=$2; [[ $sluice_src = /* ]] || sluice_src=$start_dir/$sluice_src; shift 2 ;;
    --control-every) control_every=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
for v in "$kills_target" "$control_every"; do
  [[ $v =~ ^[1-9][0-9]*$ ]] || { echo "soak: not a positive integer: $v" >&2; exit 2; }
done
[ -n "$seed" ] || seed=$((SRANDOM % 1000000000))
[[ $seed =~ ^[0-9]+$ ]] || { echo "soak: --seed takes a non-negative integer" >&2; exit 2; }
if [ -z "$sluice_src" ]; then
  bash scripts/setup.sh build >/dev/null
  cmake --build build --target sluice -j2 >/dev/null
  sluice_src="$root/build/sluice"
fi
[ -x "$sluice_src" ] || { echo "soak: no sluice binary at $sluice_src" >&2; exit 2; }
RANDOM=$seed  # every random choice below is drawn from $RANDOM in this shell, never a subshell
echo "soak: seed $seed, $kills_target kills (replay: bash scripts/soak.sh --kills $kills_target --seed $seed)"

# ---------------------------------------------------------------------------------------------
# Scratch directory, and a private copy of the binary: the build tree may be relinked while the
# soak runs. libduckdb.so goes beside it, where the binary's RUNPATH ($ORIGIN) finds it first.
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-soak.XXXXXX")
repo=$work/repo
failed=0
server_pid=""
op_pid=""
client_pid=""
cleanup() {
  local pid
  for pid in "$op_pid" "$client_pid" "$server_pid"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  if [ "$failed" = 0 ] && [ "$keep" = 0 ]; then
    rm -rf "$work"
  else
    echo "soak: scratch directory kept: $work"
  fi
}
trap cleanup EXIT
trap 'failed=1; echo "soak: interrupted" >&2; exit 130' INT TERM

mkdir -p "$work/bin" "$work/log" "$work/gen" "$work/ledger"
cp "$sluice_src" "$work/bin/sluice"
libduckdb=$(dirname "$sluice_src")/libduckdb.so
if [ ! -f "$libduckdb" ]; then
  libduckdb=$(ldd "$sluice_src" | mawk '$1 == "libduckdb.so" && $3 ~ /^\// { print $3 }')
fi
[ -n "$libduckdb" ] && cp "$libduckdb" "$work/bin/"
SL=$work/bin/sluice
"$SL" --version >/dev/null || { failed=1; echo "soak: the copied binary does not run" >&2; exit 2; }

# ---------------------------------------------------------------------------------------------
# Failure report, and running sluice with every call's output kept under log/ for the report.
round=0
op=setup
calls=0
last_out=""
last_err=""
fail() {  # WHAT EXPECTED FOUND
  failed=1
  echo
  echo "FAIL round $round ($op): $1"
  echo "  expected: $2"
  echo "  found:    $3"
  echo "  seed $seed; replay: bash scripts/soak.sh --kills $kills_target --seed $seed"
  echo "  repository: $repo"
  echo "  every command and its output: $work/log (commands.log lists them)"
  [ -n "$last_out" ] && echo "  last command: $(tail -1 "$work/log/commands.log")"
  exit 1
}

# sl DIR ARGS…: runs `sluice --repo DIR --json ARGS…`; stdout in $last_out, stderr in $last_err;
# returns its exit code (callers decide what is acceptable).
sl() {
  local dir=$1
  shift
  calls=$((calls + 1))
  last_out=$work/log/$(printf '%05d' "$calls").out
  last_err=${last_out%.out}.err
  local rc=0 t0
  now_ms
  t0=$REPLY
  "$SL" --repo "$dir" --json "$@" >"$last_out" 2>"$last_err" || rc=$?
  now_ms
  echo "$(printf '%05d' "$calls") round $round $op: sluice ${*:1:8} → exit $rc in $((REPLY - t0)) ms" >>"$work/log/commands.log"
  return "$rc"
}
must() {  # DIR ARGS…: as sl, and any exit code but 0 is a failure
  local rc=0
  sl "$@" || rc=$?
  [ "$rc" = 0 ] || fail "sluice ${*:2:8} exited $rc" "exit 0" "exit $rc: $(head -c 400 "$last_err")"
}
# json_values FILE KEY: every value of "KEY": … in sluice's pretty-printed JSON, one per line
# (numbers, booleans and strings without spaces: all this script reads).
json_values() {
  mawk -v k="\"$2\":" '{ for (i = 1; i < NF; i++) if ($i == k) { v = $(i + 1); gsub(/[",]/, "", v); print v } }' "$1"
}
json_last() { json_values "$1" "$2" | tail -1; }

now_ms() { REPLY=$(( ${EPOCHREALTIME/./} / 1000 )); }
rand_below() { REPLY=$(( ((RANDOM << 15) | RANDOM) % $1 )); }
# nap SECONDS: a sleep without a fork, as a read that times out on a FIFO nobody writes to.
mkfifo "$work/idle"
exec {idle_fd}<>"$work/idle"
nap() { read -r -t "$1" -u "$idle_fd" _ || true; }
sleep_until() {  # MS: sleeps until the now_ms clock reads MS
  local d
  now_ms
  d=$(( $1 - REPLY ))
  [ "$d" -gt 0 ] || return 0
  nap "$(printf '%d.%03d' $((d / 1000)) $((d % 1000)))"
}

# ---------------------------------------------------------------------------------------------
# Data. Every generated event has its own timestamp (per source, so every entity's rows have
# distinct times): last values and windows have one right answer whatever order rows arrive
# in, and a control repository fed the same rows in other batches must agree to the bit.
# Regular events take the slots base + 30 s·g (g counts up); about one in ten is "late",
# taking base + 210 s·h + 15 s (h counts up more slowly), behind the newest data, which sends
# materialize and push through their rebuild-the-key paths. Amounts are multiples of 0.25, so
# sums are exact in floating point and the expected values below are computed exactly.
BASE=1767225600   # 2026-01-01T00:00:00Z
USERS=300         # user_id 1..300 have events; 301..310 never do (NOT_FOUND)
ALL_USERS=310
g=0
h=0
gen_calls=0
gen_rows() {  # N FILE: N rows "user epoch amount" into FILE; advances g and h
  gen_calls=$((gen_calls + 1))
  read -r g h < <(mawk -v seed=$(( (seed * 7919 + gen_calls) % 2147483647 )) -v n="$1" \
    -v g="$g" -v h="$h" -v base=$BASE -v users=$USERS -v out="$2" 'BEGIN {
      srand(seed)
      for (i = 0; i < n; i++) {
        u = 1 + int(rand() * users)
        if (rand() < 0.1) { ts = base + 210 * h + 15; h++ } else { ts = base + 30 * g; g++ }
        printf "%d %d %.2f\n", u, ts, int(rand() * 4000) / 4 > out
      }
      print g, h }')
}
rows_to_csv() {  # ROWS CSV
  mawk 'BEGIN { print "user_id,ts,amount" }
        { printf "%d,%s,%s\n", $1, strftime("%Y-%m-%dT%H:%M:%S", $2, 1), $3 }' "$1" >"$2"
}
rows_to_push_body() {  # ROWS: Feast's push body on stdout
  mawk 'BEGIN { printf "{\"push_source_name\": \"clicks\", \"to\": \"online_and_offline\", \"df\": " }
        { u = u sep $1; t = t sep "\"" strftime("%Y-%m-%dT%H:%M:%SZ", $2, 1) "\""; a = a sep $3; sep = ", " }
        END { printf "{\"user_id\": [%s], \"ts\": [%s], \"amount\": [%s]}}", u, t, a }' "$1"
}
# The time every check reads at: after every event generated so far, so that each entity's
# online record answers exactly (the store keeps the present, not the history).
at_time() {
  AT_EPOCH=$((BASE + 30 * g + 1))
  AT_ISO=$(date -u -d "@$AT_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
}

# Ledgers: the rows the offline log holds, in commit order ("user epoch amount" lines).
tx_ledger=$work/ledger/tx.txt      # rows of committed tx deliveries
push_ledger=$work/ledger/push.txt  # rows of committed push batches (a re-sent batch twice)
: >"$tx_ledger"
: >"$push_ledger"
tx_rows=0       # = lines of tx_ledger
tx_files=0      # committed tx deliveries
push_rows=0     # = lines of push_ledger
mat_tx_rows=0   # tx ledger lines the last completed materialize covered
lines() { REPLY=$(wc -l <"$1"); REPLY=$((REPLY)); }

# expect KIND LEDGER NLINES: for every user, the online tuple the first NLINES rows of LEDGER
# give at AT_EPOCH: "u tx amount cnt_1d sum_6h" (view txv) or "u clk amount max_1d" (clk).
# cnt_1d and max_1d: tiled, hop 1h: rows with (floor(t/1h) − 23)·1h ≤ ts ≤ t; sum_6h: exact
# window t − 6h < ts ≤ t (docs/guide.md, window aggregates). A last value is the row with the
# greatest time; equal times only come from a re-sent push, whose rows are equal.
expect() {
  mawk -v kind="$1" -v n="$3" -v T="$AT_EPOCH" -v users=$ALL_USERS '
    BEGIN { lo = (int(T / 3600) - 23) * 3600 }
    NR <= n {
      u = $1; ts = $2; a = $3 + 0
      if (!(u in lts) || ts > lts[u]) { lts[u] = ts; last[u] = a }
      if (ts >= lo && ts <= T) { cnt[u]++; if (!(u in mx) || a > mx[u]) mx[u] = a }
      if (ts > T - 21600 && ts <= T) sum[u] += a
    }
    END {
      for (u = 1; u <= users; u++) {
        la = (u in lts) ? sprintf("%.2f", last[u]) : "null"
        if (kind == "tx") printf "%d tx %s %d %.2f\n", u, la, cnt[u], sum[u]
        else printf "%d clk %s %s\n", u, la, (u in mx) ? sprintf("%.2f", mx[u]) : "null"
      }
    }' "$2"
}

# online_check ALLOWED…: get-online for every user at AT_ISO; each user's tx tuple and clk
# tuple must be one of those the ALLOWED files (lines of `expect`) list for it.
entity_args=()
for ((u = 1; u <= ALL_USERS; u++)); do entity_args+=(--entity "user_id=$u"); done
online_check() {
  must "$repo" get-online --service svc "${entity_args[@]}" --at "$AT_ISO"
  local actual=$work/gen/online.actual bad
  # Feast's response, one value per line: metadata.feature_names, then per result column its
  # event_timestamps, statuses and values arrays.
  mawk '
    /"feature_names": \[/ { mode = "n"; next }
    /"results": \[/ { inres = 1; c = -1; next }
    inres && /^ *\{ *$/ { c++; next }
    /"values": \[/ { mode = "v"; r = 0; next }
    /"(statuses|event_timestamps)": \[/ { mode = "x"; next }
    /^ *\],? *$/ { mode = ""; next }
    mode == "n" { v = $0; gsub(/[ ",]/, "", v); col[v] = nn++; next }
    mode == "v" { v = $0; gsub(/[ ",]/, "", v); val[c, r++] = v; if (r > rows) rows = r; next }
    function f(name, fmt,   v) { v = val[col[name], r]; return v == "null" ? v : sprintf(fmt, v) }
    END {
      for (r = 0; r < rows; r++) {
        u = val[col["user_id"], r]
        printf "%d tx %s %s %s\n", u, f("txv__amount", "%.2f"), f("txv__cnt_1d", "%d"), f("txv__sum_6h", "%.2f")
        printf "%d clk %s %s\n", u, f("clk__amount", "%.2f"), f("clk__max_1d", "%.2f")
      }
    }' "$last_out" >"$actual"
  lines "$actual"
  [ "$REPLY" = $((2 * ALL_USERS)) ] || fail "get-online answered $REPLY tuples" "$((2 * ALL_USERS))" "$last_out"
  bad=$(mawk '
    FILENAME != ARGV[ARGC - 1] { k = $1 " " $2; t = $0; sub(/^[^ ]+ [^ ]+ /, "", t)
                                 ok[k, t] = 1; alt[k] = alt[k] (alt[k] == "" ? "" : " | ") t; next }
    { k = $1 " " $2; t = $0; sub(/^[^ ]+ [^ ]+ /, "", t)
      if (!((k, t) in ok) && n++ < 5) printf "user %s %s: expected %s, found %s; ", $1, $2, alt[k], t }' \
    "$@" "$actual")
  [ -z "$bad" ] || fail "online values (get-online at $AT_ISO; tx: amount cnt_1d sum_6h, clk: amount max_1d)" \
    "the values computed from the rows in the log" "$bad"
}

consistency() {  # SERVICE: online equals the offline engine for every sampled entity
  local rc=0 m
  sl "$repo" consistency-check --service "$1" --at "$AT_ISO" || rc=$?
  m=$(json_last "$last_out" mismatches)
  [ "$rc" = 0 ] && [ "$m" = 0 ] ||
    fail "consistency-check --service $1 --at $AT_ISO" "0 mismatches, exit 0" \
      "exit $rc, ${m:-?} mismatches: $(tr -d ' \n' <"$last_out" | head -c 600)"
}

snap_rows() {  # SOURCE: rows of the current snapshot (0 when none) in REPLY
  must "$repo" snapshots "$1"
  REPLY=$(json_last "$last_out" rows)
  REPLY=${REPLY:-0}
}

# ---------------------------------------------------------------------------------------------
# Datasets: every complete dataset is listed, none is broken, and each reproduces its hash.
ds_names=()     # datasets created to completion (plus "ref", below)
ds_hash=()      # their content hashes, same order
check_dataset_list() {  # [NAME]: the listing is exactly ds_names, plus NAME if it is there
  must "$repo" dataset list
  if grep -q '"error"' "$last_out"; then
    fail "dataset list shows a broken dataset" "no entry with an error" "$(tr -d '\n' <"$last_out" | head -c 600)"
  fi
  local found want
  found=$(json_values "$last_out" name | sort | tr '\n' ' ')
  want=$(printf '%s\n' "${ds_names[@]}" | sed '/^$/d' | sort | tr '\n' ' ')
  if [ "$found" != "$want" ]; then
    local with
    with=$(printf '%s\n' "${ds_names[@]}" "${1:-}" | sed '/^$/d' | sort | tr '\n' ' ')
    [ -n "${1:-}" ] && [ "$found" = "$with" ] && return 0
    fail "dataset list" "$want${1:+ (or also $1)}" "$found"
  fi
}
reproduce() {  # NAME HASH: reproduce matches, with the hash recorded at creation
  local rc=0
  sl "$repo" dataset reproduce "$1" || rc=$?
  local m e
  m=$(json_last "$last_out" matches)
  e=$(json_last "$last_out" expected_hash)
  [ "$rc" = 0 ] && [ "$m" = true ] && [ "$e" = "$2" ] ||
    fail "dataset reproduce $1" "matches: true, expected_hash $2" \
      "exit $rc, matches ${m:-?}, expected_hash ${e:-?}: $(head -c 300 "$last_err")"
}
reproduce_some() {  # one random dataset after each kill (all of them at the end)
  local n=${#ds_names[@]}
  [ "$n" -gt 0 ] || return 0
  rand_below "$n"
  reproduce "${ds_names[REPLY]}" "${ds_hash[REPLY]}"
}
reproduce_all() {
  local i
  for i in "${!ds_names[@]}"; do reproduce "${ds_names[i]}" "${ds_hash[i]}"; done
}
ds_add() {  # NAME HASH (replaces NAME's entry when there is one)
  local i
  for i in "${!ds_names[@]}"; do
    if [ "${ds_names[i]}" = "$1" ]; then ds_hash[i]=$2; return 0; fi
  done
  ds_names+=("$1")
  ds_hash+=("$2")
}
create_ref() {  # `dataset create ref --force` from the current state: its hash in REPLY
  must "$repo" dataset create ref --service svc --entities "$repo/entities.csv" --force
  REPLY=$(json_last "$last_out" content_hash)
  ds_add ref "$REPLY"
}

# gc, then what gc promises: no segment file that no kept manifest lists (a killed ingest's or
# push's included), no temporary directory of a killed dataset create.
gc_check() {
  rand_below 3
  must "$repo" gc --keep $((REPLY + 1))
  local src dir listed present orphans
  for src in tx clicks; do
    dir=$repo/.sluice/offline/$src
    [ -d "$dir/segments" ] || continue
    listed=$(cat "$dir"/snapshots/*.json 2>/dev/null |
      mawk '$1 == "\"path\":" { v = $2; gsub(/[",]/, "", v); sub(/^segments\//, "", v); print v }' | sort -u || true)
    present=$(ls -A "$dir/segments" | sort)
    orphans=$(comm -13 <(printf '%s\n' "$listed") <(printf '%s\n' "$present") | sed '/^$/d' | tr '\n' ' ')
    [ -z "$orphans" ] || fail "gc left segment files of $src that no kept manifest lists" "none" "$orphans"
  done
  orphans=$(ls -A "$repo/datasets" 2>/dev/null | grep '^\.' | tr '\n' ' ' || true)
  [ -z "$orphans" ] || fail "gc left temporary dataset directories" "none" "$orphans"
}

# The checks after every kill: the log reads back with exactly the committed rows (the caller
# says which counts are allowed), datasets are intact, the online store reads, gc works.
check_log_rows() {  # SOURCE ALLOWED… (row counts): REPLY = the one found
  local src=$1 found a
  shift
  snap_rows "$src"
  found=$REPLY
  for a in "$@"; do [ "$found" = "$a" ] && return 0; done
  fail "rows of the current snapshot of $src" "$(echo "$@" | sed 's/ / or /g')" "$found"
}

# ---------------------------------------------------------------------------------------------
# The server (push rounds only: while it runs it holds RocksDB, and `sluice materialize` would
# run inside it, out of reach of a kill).
port=""
start_server() {  # DIR NAME: starts `sluice serve --port 0`, waits for its port (demo.sh's way)
  local out=$work/log/$2.serve.out
  : >"$out"
  "$SL" --repo "$1" --json serve --port 0 >"$out" 2>"$work/log/$2.serve.err" &
  server_pid=$!
  port=""
  local i
  for ((i = 0; i < 400; i++)); do
    port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$out")
    [ -n "$port" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    nap 0.025
  done
  fail "sluice serve did not start" "a port on stdout" "$(head -c 300 "$work/log/$2.serve.err")"
}
stop_server() {  # SIGTERM: a clean stop, exit 0
  local rc=0
  kill "$server_pid"
  wait "$server_pid" || rc=$?
  server_pid=""
  [ "$rc" = 0 ] || fail "sluice serve stopped by SIGTERM" "exit 0" "exit $rc"
}

# push_client FIRST LAST ACKS: sends push bodies FIRST..LAST one at a time (so at most one is
# in flight), appending "i STATUS" to ACKS per answer; stops at the first that is not 200.
# Plain bash HTTP over /dev/tcp, one connection per push.
declare -a bodies body_rows
push_client() {
  trap '' PIPE  # a write to a dead server fails instead of killing the client
  local i status
  for ((i = $1; i <= $2; i++)); do
    if ! { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
      echo "$i noconn" >>"$3"
      return 0
    fi
    status=""
    if printf 'POST /push HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
        "${#bodies[i]}" "${bodies[i]}" >&3 2>/dev/null; then
      IFS=' ' read -r -t 30 _ status _ <&3 2>/dev/null || true
    fi
    exec 3<&-
    echo "$i ${status:-none}" >>"$3"
    [ "$status" = 200 ] || return 0
  done
}
acked_through() {  # ACKS FIRST: REPLY = the last i acknowledged with 200 in an unbroken run
  REPLY=$(mawk -v i="$2" '$2 == 200 && $1 == i { i++ } END { print i - 1 }' "$1")
  local bad
  bad=$(mawk '$2 != 200 && $2 != "none" && $2 != "noconn"' "$1")
  [ -z "$bad" ] || fail "a push answered with an error" "200, or no answer (server killed)" "$bad"
}

# ---------------------------------------------------------------------------------------------
# The repository: one file source (CSV deliveries), one push source, a view on each with last
# values and window aggregates, services over both and over the push view alone.
write_repo() {  # DIR
  mkdir -p "$1/data"
  cat >"$1/sluice.yaml" <<'EOF'
project: soak
bucket_count: 4
EOF
  # clk's features ignore how often a row occurs (last value, max): a push re-sent after a kill
  # that had committed it is in the log twice (pushes are not deduplicated), and the values
  # stay those of the rows.
  cat >"$1/features.yaml" <<'EOF'
entities:
  - {name: user, join_keys: [user_id]}
sources:
  - {name: tx, type: file, path: "data/*.csv", timestamp_field: ts}
  - name: clicks
    type: push
    timestamp_field: ts
    schema: {user_id: int64, ts: timestamp, amount: float64}
feature_views:
  - name: txv
    entities: [user]
    source: tx
    features:
      - {name: amount, expr: amount}
      - {name: cnt_1d, aggregate: count, window: 1d, hop: 1h}
      - {name: sum_6h, aggregate: sum, expr: amount, window: 6h, hop: 0}
  - name: clk
    entities: [user]
    source: clicks
    features:
      - {name: amount, expr: amount}
      - {name: max_1d, aggregate: max, expr: amount, window: 1d, hop: 1h}
feature_services:
  - {name: svc, features: [txv, clk]}
  - {name: svc_clk, features: [clk]}
EOF
}

# Entity file for datasets: users with and without data, times over the whole range the soak
# will generate (and past it).
make_entities() {  # FILE
  mawk -v seed=$((seed % 2147483647)) -v base=$BASE -v users=$ALL_USERS 'BEGIN {
    srand(seed); print "user_id,event_timestamp"
    for (i = 0; i < 400; i++)
      printf "%d,%s\n", 1 + int(rand() * users), strftime("%Y-%m-%dT%H:%M:%S", base + int(rand() * 30 * 20000), 1)
  }' >"$1"
}

# ---------------------------------------------------------------------------------------------
# Operations. Each runs its victim in the background and kills it: DELAY ms after the start,
# or (WATCH set) the moment a file matching the glob WATCH appears — the commit point of an
# ingest (its manifest renamed into place, or its temporary manifest written just before) or
# of a dataset create (its directory renamed into place), a window of a few ms that random
# delays seldom hit. KILLED=1 when the victim was still running (wait reports SIGKILL), else 0
# (it finished first); KILL_MS is when the kill came.
declare -A est kills late
kills=([ingest]=0 [materialize]=0 [push]=0 [dataset]=0)
late=([ingest]=0 [push]=0 [dataset]=0)  # kills that came after the commit point
KILLED=0
KILL_MS=0
WATCH=""
run_and_kill() {  # ARGS…: sluice ARGS in $repo
  local t0 rc=0 state
  calls=$((calls + 1))
  last_out=$work/log/$(printf '%05d' "$calls").out
  last_err=${last_out%.out}.err
  now_ms
  t0=$REPLY
  "$SL" --repo "$repo" --json "$@" >"$last_out" 2>"$last_err" &
  op_pid=$!
  if [ -n "$WATCH" ]; then
    # Builtins only (compgen, read), every 0.5 ms; it stops when the victim has exited (a
    # zombie until waited for) or after 20 s.
    while ! compgen -G "$WATCH" >/dev/null; do
      { read -r _ _ state _ <"/proc/$op_pid/stat"; } 2>/dev/null || break
      [ "$state" != Z ] || break
      now_ms
      [ $((REPLY - t0)) -lt 20000 ] || break
      nap 0.0005
    done
  else
    sleep_until $((t0 + DELAY))
  fi
  now_ms
  KILL_MS=$((REPLY - t0))
  kill -9 "$op_pid" 2>/dev/null || true
  wait "$op_pid" 2>/dev/null || rc=$?  # 2>/dev/null: no "Killed" job notice
  op_pid=""
  echo "$(printf '%05d' "$calls") round $round $op: sluice $* (kill -9 at $KILL_MS ms${WATCH:+ on $WATCH}) → exit $rc" >>"$work/log/commands.log"
  if [ "$rc" = 137 ]; then
    KILLED=1
  elif [ "$rc" = 0 ]; then
    KILLED=0
  else
    fail "sluice $* (before the kill)" "exit 0 or killed (137)" "exit $rc: $(head -c 300 "$last_err")"
  fi
}
pick_delay() {  # OP: DELAY in ms, and WATCH="". Half the kills uniform over the whole run
  # (0..1.25× its typical duration), half over its second half (0.6..1.25×), where segments,
  # manifests and records are being written and renamed and a kill leaves the most behind.
  local e=${est[$1]}
  WATCH=""
  rand_below 2
  if [ "$REPLY" = 0 ]; then
    rand_below $((e * 5 / 4 + 1))
    DELAY=$REPLY
  else
    rand_below $((e * 13 / 20 + 1))
    DELAY=$((e * 3 / 5 + REPLY))
  fi
}
adapt() {  # OP: the typical duration follows the outcomes: a run that finished before its
  # kill makes it shorter (x0.85), a kill that landed longer (x1.03), so that about one run in
  # seven finishes first whatever the machine's speed or load (the set-up's measure is one
  # sample, and a run's cost changes as the log grows)
  [ -z "$WATCH" ] || return 0
  if [ "$KILLED" = 1 ]; then est[$1]=$((est[$1] * 103 / 100 + 1)); else est[$1]=$((est[$1] * 85 / 100)); fi
  [ "${est[$1]}" -ge 5 ] || est[$1]=5
}

op_ingest() {
  file_no=$((file_no + 1))
  local name rows n committed ack
  printf -v name 'f%04d.csv' "$file_no"
  rand_below 301
  n=$((100 + REPLY))
  rows=$work/gen/$name.rows
  gen_rows "$n" "$rows"
  rows_to_csv "$rows" "$repo/data/$name"
  pick_delay ingest
  # One round in eight kills at the temporary manifest, one in eight at the renamed one.
  local snaps=$repo/.sluice/offline/tx/snapshots/$(printf '%08d' $((tx_files + 1))).json
  rand_below 8
  case $REPLY in
    6) WATCH="$snaps.tmp*" ;;
    7) WATCH=$snaps ;;
  esac
  run_and_kill ingest tx
  # The snapshot holds the deliveries committed before, and this one only if the kill came
  # after its commit point.
  check_log_rows tx "$tx_rows" $((tx_rows + n))
  [ "$REPLY" = "$tx_rows" ] && committed=no || committed=yes
  [ "$KILLED" = 1 ] || [ "$committed" = yes ] || fail "ingest that exited 0" "committed" "not committed"
  [ "$KILLED" = 0 ] || [ "$committed" = no ] || late[ingest]=$((late[ingest] + 1))
  check_log_rows clicks "$push_rows"
  check_after_kill
  # Redo: commits it now, or finds nothing new.
  must "$repo" ingest tx
  ack=$(json_last "$last_out" unchanged)
  [ "$ack" = $([ "$committed" = yes ] && echo true || echo false) ] ||
    fail "rerun of ingest tx after the kill (delivery committed before: $committed)" \
      "unchanged: $([ "$committed" = yes ] && echo true || echo false)" "unchanged: $ack"
  cat "$rows" >>"$tx_ledger"
  tx_rows=$((tx_rows + n))
  tx_files=$((tx_files + 1))
  check_log_rows tx "$tx_rows"
  must "$repo" snapshots tx
  [ "$(json_last "$last_out" deliveries)" = "$tx_files" ] ||
    fail "deliveries of tx" "$tx_files" "$(json_last "$last_out" deliveries)"
  DETAIL="$name, $n rows, committed before the kill: $committed"
}

op_materialize() {
  pick_delay materialize
  run_and_kill materialize
  check_log_rows tx "$tx_rows"
  check_log_rows clicks "$push_rows"
  # A killed materialize leaves each entity's record as it was or as the run makes it: per
  # key, never a mixture (records are written whole), never anything else.
  at_time
  expect tx "$tx_ledger" "$mat_tx_rows" >"$work/gen/exp.tx.old"
  expect tx "$tx_ledger" "$tx_rows" >"$work/gen/exp.tx.new"
  expect clk "$push_ledger" "$push_rows" >"$work/gen/exp.clk"
  online_check "$work/gen/exp.tx.old" "$work/gen/exp.tx.new" "$work/gen/exp.clk"
  check_after_kill
  must "$repo" materialize
  mat_tx_rows=$tx_rows
  # Now the store is exactly the log: every user's values as computed here, and the offline
  # engine agrees on every sampled entity.
  online_check "$work/gen/exp.tx.new" "$work/gen/exp.clk"
  consistency svc
  DETAIL="tx rows $tx_rows, materialized"
}

push_no=0
PUSHES=8
op_push() {
  local i n acks t0 done_through committed inflight_rows
  # This round's pushes: PUSHES bodies of 5..40 rows each.
  bodies=()
  body_rows=()
  for ((i = 1; i <= PUSHES; i++)); do
    push_no=$((push_no + 1))
    rand_below 36
    n=$((5 + REPLY))
    gen_rows "$n" "$work/gen/push-$push_no.rows"
    body_rows[i]=$work/gen/push-$push_no.rows
    bodies[i]=$(rows_to_push_body "${body_rows[i]}")
  done
  acks=$work/gen/acks-$round
  : >"$acks"
  start_server "$repo" "r$round"
  pick_delay push
  now_ms
  t0=$REPLY
  push_client 1 "$PUSHES" "$acks" &
  client_pid=$!
  sleep_until $((t0 + DELAY))
  now_ms
  KILL_MS=$((REPLY - t0))
  kill -9 "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  wait "$client_pid" || true
  client_pid=""
  acked_through "$acks" 1
  done_through=$REPLY
  [ "$done_through" -lt "$PUSHES" ] && KILLED=1 || KILLED=0
  # Every acknowledged push is in the log; the one in flight (the first not acknowledged)
  # may be too, whole; nothing else.
  local acked_rows=0 inflight=$((done_through + 1))
  for ((i = 1; i <= done_through; i++)); do
    lines "${body_rows[i]}"
    acked_rows=$((acked_rows + REPLY))
    cat "${body_rows[i]}" >>"$push_ledger"
  done
  push_rows=$((push_rows + acked_rows))
  check_log_rows tx "$tx_rows"
  committed=no
  at_time
  expect tx "$tx_ledger" "$mat_tx_rows" >"$work/gen/exp.tx.old"
  expect clk "$push_ledger" "$push_rows" >"$work/gen/exp.clk"
  if [ "$KILLED" = 1 ]; then
    lines "${body_rows[inflight]}"
    inflight_rows=$REPLY
    check_log_rows clicks "$push_rows" $((push_rows + inflight_rows))
    if [ "$REPLY" != "$push_rows" ]; then
      committed=yes
      late[push]=$((late[push] + 1))
      cat "${body_rows[inflight]}" >>"$push_ledger"
      push_rows=$((push_rows + inflight_rows))
    fi
    # The online store has every acknowledged row; the in-flight batch only if it reached
    # the log (it is written online after the log), and then maybe not yet.
    expect clk "$push_ledger" "$push_rows" >"$work/gen/exp.clk.new"
    online_check "$work/gen/exp.tx.old" "$work/gen/exp.clk" "$work/gen/exp.clk.new"
  else
    check_log_rows clicks "$push_rows"
    online_check "$work/gen/exp.tx.old" "$work/gen/exp.clk"
  fi
  check_after_kill
  # Redo: a new server; the client re-sends every push it has no 200 for (so a batch that
  # was committed but not acknowledged reaches the log twice, as for any at-least-once client).
  if [ "$KILLED" = 1 ]; then
    start_server "$repo" "r$round.redo"
    : >"$acks"
    push_client "$inflight" "$PUSHES" "$acks"
    acked_through "$acks" "$inflight"
    [ "$REPLY" = "$PUSHES" ] || fail "re-sent pushes $inflight..$PUSHES" "all answered 200" "$(tr '\n' ' ' <"$acks")"
    stop_server
    for ((i = inflight; i <= PUSHES; i++)); do
      lines "${body_rows[i]}"
      push_rows=$((push_rows + REPLY))
      cat "${body_rows[i]}" >>"$push_ledger"
    done
  fi
  check_log_rows clicks "$push_rows"
  at_time
  expect tx "$tx_ledger" "$mat_tx_rows" >"$work/gen/exp.tx.old"
  expect clk "$push_ledger" "$push_rows" >"$work/gen/exp.clk"
  online_check "$work/gen/exp.tx.old" "$work/gen/exp.clk"
  consistency svc_clk
  if [ "$KILLED" = 1 ]; then
    DETAIL="$done_through of $PUSHES pushes acknowledged, the one in flight committed: $committed"
  else
    DETAIL="all $PUSHES pushes acknowledged"
  fi
}

op_dataset() {
  local name="ds-$round" present ref
  pick_delay dataset
  rand_below 4  # one round in four kills when the dataset's directory is renamed into place
  [ "$REPLY" != 3 ] || WATCH=$repo/datasets/$name
  run_and_kill dataset create "$name" --service svc --entities "$repo/entities.csv"
  check_log_rows tx "$tx_rows"
  check_log_rows clicks "$push_rows"
  # Either no dataset of that name or a complete one, equal to one built now from the same
  # state.
  check_dataset_list "$name"
  present=no
  grep -q "\"name\": \"$name\"" "$last_out" && present=yes
  [ "$KILLED" = 1 ] || [ "$present" = yes ] || fail "dataset create that exited 0" "dataset $name listed" "absent"
  [ "$KILLED" = 0 ] || [ "$present" = no ] || late[dataset]=$((late[dataset] + 1))
  create_ref
  ref=$REPLY
  if [ "$present" = yes ]; then
    reproduce "$name" "$ref"
    ds_add "$name" "$ref"
  fi
  check_after_kill
  if [ "$present" = no ]; then
    must "$repo" dataset create "$name" --service svc --entities "$repo/entities.csv"
    [ "$(json_last "$last_out" content_hash)" = "$ref" ] ||
      fail "dataset $name created after the kill" "content_hash $ref (as ref)" "$(json_last "$last_out" content_hash)"
    ds_add "$name" "$ref"
  fi
  check_dataset_list
  DETAIL="$name $( [ "$present" = yes ] && echo "complete" || echo "absent") after the kill"
}

# After any kill, whatever the operation: datasets intact and reproducible, gc works and
# leaves nothing behind. (Row counts and online values: checked by each operation, which
# knows what may have committed.)
check_after_kill() {
  [ "$op" = dataset ] || check_dataset_list
  reproduce_some
  gc_check
}

# ---------------------------------------------------------------------------------------------
# Control: a fresh repository fed the same rows without kills, in other batches (every tx file
# in one ingest, the push rows in a few large pushes): a dataset from it equals one from the
# soak repository.
control_check() {
  local ctl=$work/control i chunk hash ref
  rm -rf "$ctl"
  write_repo "$ctl"
  cp "$repo/entities.csv" "$ctl/"
  cp "$repo"/data/*.csv "$ctl/data/"
  must "$ctl" apply
  must "$ctl" ingest tx
  [ "$(json_last "$last_out" rows_committed)" = "$tx_rows" ] ||
    fail "control ingest" "$tx_rows rows" "$(json_last "$last_out" rows_committed)"
  start_server "$ctl" "control-$round"
  split -l 1000 -d -a 4 "$push_ledger" "$work/gen/ctl-chunk."
  bodies=()
  i=0
  for chunk in "$work"/gen/ctl-chunk.*; do
    i=$((i + 1))
    bodies[i]=$(rows_to_push_body "$chunk")
  done
  rm -f "$work"/gen/ctl-chunk.*
  : >"$work/gen/ctl-acks"
  push_client 1 "$i" "$work/gen/ctl-acks"
  acked_through "$work/gen/ctl-acks" 1
  [ "$REPLY" = "$i" ] || fail "control pushes" "all answered 200" "$(tr '\n' ' ' <"$work/gen/ctl-acks")"
  stop_server
  must "$ctl" dataset create ctl --service svc --entities "$ctl/entities.csv"
  hash=$(json_last "$last_out" content_hash)
  create_ref
  ref=$REPLY
  [ "$hash" = "$ref" ] || fail "dataset of the soak repository against the control's" "content_hash $hash (control)" "$ref"
}

# ---------------------------------------------------------------------------------------------
# Set-up (also the calibration of each operation's duration).
start_s=$SECONDS
write_repo "$repo"
make_entities "$repo/entities.csv"
gen_rows 2000 "$work/gen/f0000.csv.rows"
rows_to_csv "$work/gen/f0000.csv.rows" "$repo/data/f0000.csv"
must "$repo" apply  # after the first file: the file source's columns are inferred from it
must "$repo" ingest tx
cat "$work/gen/f0000.csv.rows" >>"$tx_ledger"
# A second delivery of a round's size measures a typical ingest.
file_no=1
gen_rows 250 "$work/gen/f0001.csv.rows"
rows_to_csv "$work/gen/f0001.csv.rows" "$repo/data/f0001.csv"
now_ms; t=$REPLY
must "$repo" ingest tx
now_ms; est[ingest]=$((REPLY - t))
cat "$work/gen/f0001.csv.rows" >>"$tx_ledger"
tx_rows=2250
tx_files=2
# The push source needs data before any dataset: one round of pushes, none killed.
bodies=()
body_rows=()
for ((i = 1; i <= PUSHES; i++)); do
  push_no=$((push_no + 1))
  gen_rows 20 "$work/gen/push-$push_no.rows"
  body_rows[i]=$work/gen/push-$push_no.rows
  bodies[i]=$(rows_to_push_body "${body_rows[i]}")
done
start_server "$repo" setup
: >"$work/gen/acks-0"
now_ms; t=$REPLY
push_client 1 "$PUSHES" "$work/gen/acks-0"
now_ms; est[push]=$((REPLY - t))
acked_through "$work/gen/acks-0" 1
[ "$REPLY" = "$PUSHES" ] || fail "set-up pushes" "all answered 200" "$(tr '\n' ' ' <"$work/gen/acks-0")"
stop_server
for ((i = 1; i <= PUSHES; i++)); do cat "${body_rows[i]}" >>"$push_ledger"; done
lines "$push_ledger"
push_rows=$REPLY
now_ms; t=$REPLY
must "$repo" materialize
now_ms; est[materialize]=$((REPLY - t))
mat_tx_rows=$tx_rows
now_ms; t=$REPLY
must "$repo" dataset create ds-0 --service svc --entities "$repo/entities.csv"
now_ms; est[dataset]=$((REPLY - t))
ds_add ds-0 "$(json_last "$last_out" content_hash)"
at_time
expect tx "$tx_ledger" "$tx_rows" >"$work/gen/exp.tx.new"
expect clk "$push_ledger" "$push_rows" >"$work/gen/exp.clk"
online_check "$work/gen/exp.tx.new" "$work/gen/exp.clk"
consistency svc
echo "soak: repository $repo; typical durations (ms): ingest ${est[ingest]}, materialize ${est[materialize]}, push x$PUSHES ${est[push]}, dataset ${est[dataset]}"

# ---------------------------------------------------------------------------------------------
# Rounds.
ops=(ingest materialize push dataset)
total_kills=0
max_rounds=$((4 * kills_target + 40))
while [ "$total_kills" -lt "$kills_target" ]; do
  round=$((round + 1))
  [ "$round" -le "$max_rounds" ] ||
    fail "too few kills landed" "$kills_target kills within $max_rounds rounds" "$total_kills"
  rand_below 4
  op=${ops[REPLY]}
  DETAIL=""
  "op_$op"
  adapt "$op"
  if [ -n "$WATCH" ]; then
    at=" (on ${WATCH##*/})"
  else
    at=" (drawn: $DELAY ms)"
  fi
  if [ "$KILLED" = 1 ]; then
    kills[$op]=$((kills[$op] + 1))
    total_kills=$((total_kills + 1))
    what="killed after $KILL_MS ms$at"
  else
    what="finished before the kill at $KILL_MS ms$at (not counted)"
  fi
  printf 'round %3d  %-11s %s; %s; checks ok\n' "$round" "$op" "$what" "$DETAIL"
  if [ $((round % control_every)) = 0 ]; then
    control_check
    printf 'round %3d  %-11s a fresh control repository fed the same rows gives the same dataset\n' "$round" control
  fi
done

# Final: the store brought up to date equals the log exactly, every dataset reproduces, gc
# leaves nothing behind, and the control repository agrees.
round=$((round + 1))
op=final
must "$repo" materialize
mat_tx_rows=$tx_rows
at_time
expect tx "$tx_ledger" "$tx_rows" >"$work/gen/exp.tx.new"
expect clk "$push_ledger" "$push_rows" >"$work/gen/exp.clk"
online_check "$work/gen/exp.tx.new" "$work/gen/exp.clk"
consistency svc
check_dataset_list
reproduce_all
gc_check
control_check
echo "soak: final state: tx $tx_rows rows in $tx_files deliveries, clicks $push_rows rows, ${#ds_names[@]} datasets; online, consistency-check, reproduce, gc and control all agree"
echo "soak: kills after the commit point: ingest ${late[ingest]} (delivery committed), push ${late[push]} (batch in flight in the log), dataset ${late[dataset]} (dataset complete)"
echo "soak: $total_kills kills (ingest ${kills[ingest]}, materialize ${kills[materialize]}, push ${kills[push]}, dataset ${kills[dataset]}), 0 failures in $((SECONDS - start_s)) s"
