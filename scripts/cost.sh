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
"$ROOT/scripts/deploy-local.sh"
engine_env
go run ./cmd/costreport -n "${N:-200}" -outputs "$OUTPUTS_FILE" -out docs/COST.md
