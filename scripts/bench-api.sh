#!/usr/bin/env bash
# make bench-api: latency of a transfer against a credit, and hot-wallet throughput,
# through the API on the local engine (scripts/bench-api.py). Starts the engine when
# none is running (and stops it after), and redeploys with the per-caller limits lifted.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
started_engine=0
cleanup() { if [[ $started_engine == 1 ]]; then "$ROOT/scripts/engine.sh" stop; fi; }
trap cleanup EXIT
if ! engine_up; then
  "$ROOT/scripts/engine.sh" start
  started_engine=1
fi
RATE_LIMITS="${RATE_LIMITS:-money=1000000/60s,write=1000000/60s,read=1000000/60s,signup=1000000/60s,login=1000000/60s}" \
  "$ROOT/scripts/deploy-local.sh"
python3 "$ROOT/scripts/bench-api.py"
