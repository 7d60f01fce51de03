#!/usr/bin/env bash
# invoke.sh <LogicalId> <event file>: run one function of the stack deployed on the local
# engine with an event and print its answer (the no-Docker `sam local invoke`).
source "$(dirname "$0")/lib.sh"
fn="${1:-}" event="${2:-}"
if [[ -z "$fn" || -z "$event" ]]; then
  echo "usage: make invoke FN=<LogicalId> EVENT=events/<LogicalId>.json (see events/README.md)" >&2
  exit 2
fi
engine_up || { echo "no engine at $ENGINE_URL: run make run first" >&2; exit 1; }
engine_env
cd "$ROOT"
go run ./cmd/invoke -stack "$STACK_NAME" -fn "$fn" -event "$event"
