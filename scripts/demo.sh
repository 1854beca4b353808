#!/usr/bin/env bash
# Installs, builds and runs the quickstart: apply -> ingest -> dataset create -> reproduce.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh build
SLUICE="$PWD/build/sluice"
cd examples/quickstart
echo "== sluice apply";                 "$SLUICE" apply
echo; echo "== sluice ingest transactions"; "$SLUICE" ingest transactions
echo; echo "== sluice snapshots transactions"; "$SLUICE" snapshots transactions
echo; echo "== sluice dataset create training --service fraud_v1 --entities entities.csv"
"$SLUICE" dataset create training --service fraud_v1 --entities entities.csv --force
echo; echo "== sluice dataset reproduce training"; "$SLUICE" dataset reproduce training
