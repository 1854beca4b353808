#!/usr/bin/env bash
# Installs, builds and runs the quickstart, the whole product in well under a minute on the
# embedded defaults: definitions with windowed features and a check suite; an ingest that
# quarantines three bad rows and says so; a point-in-time training dataset and its
# reproduction; materialize into the online store; one entity read back; and the same
# features over HTTP from a `sluice serve` this script starts and stops.
# It works on a fresh copy of examples/quickstart (in a temporary directory), so reruns start
# clean and the example stays as committed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh build
SLUICE="$PWD/build/sluice"
work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
cp -r examples/quickstart/{sluice.yaml,features.yaml,entities.csv,data} "$work"/
cd "$work"
# The example's events are from January 2026; moved forward by whole days (tiles stay aligned)
# so that the newest is from the last 24 hours and the online features are fresh now.
shift_days() {  # FILE DAYS: every YYYY-MM-DDTHH:MM:SS field moved by DAYS
  TZ=UTC awk -F, -v OFS=, -v d="$2" '
    NR > 1 { for (i = 1; i <= NF; i++) if (length($i) == 19 && substr($i, 11, 1) == "T") {
      t = mktime(substr($i, 1, 4) " " substr($i, 6, 2) " " substr($i, 9, 2) " " \
                 substr($i, 12, 2) " " substr($i, 15, 2) " " substr($i, 18, 2)) + d * 86400
      $i = strftime("%Y-%m-%dT%H:%M:%S", t, 1) } }
    { print }' "$1" >"$1.tmp" && mv "$1.tmp" "$1"
}
newest=$(tail -n +2 data/transactions.csv | cut -d, -f4 | sort | tail -1)
days=$(( ($(date -u +%s) - $(date -u -d "$newest" +%s)) / 86400 ))
shift_days data/transactions.csv "$days"
shift_days entities.csv "$days"
step() { echo; echo "== $*"; }

step "sluice apply"; "$SLUICE" apply
step "sluice ingest transactions   (3 rows break the range rule: quarantined)"
"$SLUICE" ingest transactions
step "sluice quarantine show transactions --limit 3"
"$SLUICE" quarantine show transactions --limit 3
step "sluice dataset create training --service fraud_v1 --entities entities.csv"
"$SLUICE" dataset create training --service fraud_v1 --entities entities.csv
step "sluice dataset reproduce training   (rebuilt from its manifest: same content hash)"
"$SLUICE" dataset reproduce training
step "sluice materialize"; "$SLUICE" materialize
entity=$(tail -1 data/transactions.csv | cut -d, -f2,3)  # the newest event's user and merchant
user=${entity%,*}
merchant=${entity#*,}
step "sluice get-online --service fraud_v1 --entity user_id=$user,merchant_id=$merchant"
"$SLUICE" get-online --service fraud_v1 --entity "user_id=$user,merchant_id=$merchant"

step "sluice serve --port 0   (started in the background)"
: >"$work/serve.out"  # exists before the poll below reads it
"$SLUICE" --json serve --port 0 >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$work/serve.out" | head -1 || true)
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { cat "$work/serve.err"; exit 1; }
echo "listening on 127.0.0.1:$port"
body="{\"feature_service\": \"fraud_v1\", \"entities\": {\"user_id\": [$user], \"merchant_id\": [$merchant]}}"
step "POST /get-online-features $body"
# Plain bash HTTP (no client to install): one request, the answer's body printed.
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'POST /get-online-features HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
  "${#body}" "$body" >&3
answer=$(cat <&3)
exec 3<&-
case "$answer" in
  "HTTP/1.1 200"*) ;;
  *) echo "unexpected answer: ${answer%%$'\r'*}" >&2; exit 1 ;;
esac
printf '%s\n' "${answer#*$'\r\n\r\n'}"
step "stopping sluice serve"
kill "$server_pid"
wait "$server_pid"  # exit 0 after SIGTERM, or the demo fails
server_pid=""
echo "stopped cleanly"
