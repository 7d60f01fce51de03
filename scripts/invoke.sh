#!/usr/bin/env bash
# invoke.sh <LogicalId> [<event file>] [render]: run one function of the stack deployed on
# the local engine with an event (default events/<LogicalId>.json) and print its answer
# (the no-Docker `sam local invoke`); with "render", print the filled event instead. The
# first run on a stack seeds it with sample data through its API (events/README.md).
source "$(dirname "$0")/lib.sh"
fn="${1:-}" event="${2:-}" render="${3:-}"
if [[ -z "$fn" ]]; then
  echo "usage: make invoke FN=<LogicalId> [EVENT=events/<LogicalId>.json] [RENDER=1] (see events/README.md)" >&2
  exit 2
fi
engine_up || { echo "no engine at $ENGINE_URL: run make run first" >&2; exit 1; }
engine_env
cd "$ROOT"
args=(-stack "$STACK_NAME" -fn "$fn" -outputs "$OUTPUTS_FILE" -seed "$LOCAL_DIR/invoke-seed.json")
[[ -n "$event" ]] && args+=(-event "$event")
[[ -n "$render" ]] && args+=(-render)
go run ./cmd/invoke "${args[@]}"
