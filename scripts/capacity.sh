#!/usr/bin/env bash
# make capacity: runs the mixes on the local engine and writes where each would stop
# scaling on AWS (docs/CAPACITY.md), beside the baseline in docs/capacity-before.json.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
use_engine
# The mixes run as fast as the stack takes them: lift the per-caller limits for the
# measurement (each request still pays its limiter write).
# Fault injection off, as in production: its CONTROL item is read only when it is on.
FAULT_INJECTION=false RATE_LIMITS="${RATE_LIMITS:-$LIFTED_RATE_LIMITS}" \
  "$ROOT/scripts/deploy-local.sh"
engine_env
baseline=()
if [[ -f docs/capacity-before.json ]]; then
  baseline=(-baseline docs/capacity-before.json -baseline-name "${BASELINE_NAME:-the design before the breaker cache and the sharded holds index}")
fi
go run ./cmd/capacity -n "${N:-24}" -outputs "$OUTPUTS_FILE" -out docs/CAPACITY.md "${baseline[@]}" ${SAVE:+-save "$SAVE"}
