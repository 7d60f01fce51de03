#!/usr/bin/env bash
# make bench-api: latency of a transfer against a credit, and hot-wallet throughput,
# through the API on the local engine (scripts/bench-api.py). Starts the engine when
# none is running (and stops it after), and redeploys with the per-caller limits lifted.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
use_engine
RATE_LIMITS="${RATE_LIMITS:-$LIFTED_RATE_LIMITS}" \
  "$ROOT/scripts/deploy-local.sh"
python3 "$ROOT/scripts/bench-api.py"
