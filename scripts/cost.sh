#!/usr/bin/env bash
# make cost: measures the cost per million transfers on the local engine (docs/COST.md).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
started_engine=0
cleanup() { if [[ $started_engine == 1 ]]; then "$ROOT/scripts/engine.sh" stop; fi; }
trap cleanup EXIT
if ! engine_up; then
  "$ROOT/scripts/engine.sh" start
  started_engine=1
fi
# The driver is one payer sending N transfers as fast as the stack takes them: lift the
# per-caller limits for the measurement (each request still pays its limiter write).
RATE_LIMITS="${RATE_LIMITS:-money=1000000/60s,write=1000000/60s,read=1000000/60s,signup=1000000/60s,login=1000000/60s}" \
  "$ROOT/scripts/deploy-local.sh"
engine_env
go run ./cmd/costreport -n "${N:-200}" -outputs "$OUTPUTS_FILE" -out docs/COST.md
