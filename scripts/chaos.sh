#!/usr/bin/env bash
# make chaos: the bank workload with faults (cmd/chaos, internal/chaos) against the
# running local stack: CLIENTS concurrent clients, OPS operations in all, saga steps
# failing or stalling for part of the run; then the end state is checked. TIMEOUT (a Go
# duration, 30m by default) bounds the whole run: a 20,000-operation run needs about 2h.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
engine_up || { echo "no engine at $ENGINE_URL: run make run (or make test) first" >&2; exit 1; }
engine_env
say "chaos: ${CLIENTS:-8} clients, ${OPS:-400} operations against $("$ROOT/scripts/api-url.sh")"
go run ./cmd/chaos -clients "${CLIENTS:-8}" -ops "${OPS:-400}" -outputs "$OUTPUTS_FILE" ${SEED:+-seed "$SEED"} ${TIMEOUT:+-timeout "$TIMEOUT"}
