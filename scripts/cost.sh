#!/usr/bin/env bash
# make cost: measures the cost per million transfers on the local engine (docs/COST.md).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
use_engine
# The driver is one payer sending N transfers as fast as the stack takes them: lift the
# per-caller limits for the measurement (each request still pays its limiter write), and
# deploy as production does, without fault injection (whose switch every saga step reads).
FAULT_INJECTION=false RATE_LIMITS="${RATE_LIMITS:-$LIFTED_RATE_LIMITS}" \
  "$ROOT/scripts/deploy-local.sh"
engine_env
go run ./cmd/costreport -n "${N:-200}" -outputs "$OUTPUTS_FILE" -out docs/COST.md
