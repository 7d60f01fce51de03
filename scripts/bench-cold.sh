#!/usr/bin/env bash
# make bench-cold: each function's cold start under the Lambda runtime interface
# emulator (RIE), side by side with a hello-world aws-lambda-go bootstrap built the same
# way: ROUNDS counted starts each (10 by default, after one warm-up round), the time from
# starting the emulator to the first invoke's answer, as a markdown table
# (cmd/coldstart, internal/coldstart). No engine and no network: every AWS call goes to
# a fake endpoint on 127.0.0.1. ONLY=<regexp> measures some of the functions.
# BEFORE=<dir> also measures another checkout's bootstraps, built there with make build,
# in the same rounds (e.g. mkdir -p <dir>; git archive <commit> | tar -x -C <dir>; make -C <dir> build).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

"$ROOT/scripts/tools.sh" rie
say "building the bootstraps for linux/$(go env GOARCH) (make build) and the hello-world one (make build-hello)"
make -s build build-hello
go build -o "$LOCAL_DIR/coldstart" ./cmd/coldstart

log="$LOCAL_DIR/bench-cold.log"
: >"$log"
say "measuring (the emulator's and the functions' output: ${log#"$ROOT"/})"
# The tool stops every emulator it starts; on Ctrl-C or kill it is told to stop too.
"$LOCAL_DIR/coldstart" -rie "$RIE" -build build -hello build/.hello/bootstrap -events events \
  -rounds "${ROUNDS:-10}" ${ONLY:+-only "$ONLY"} ${BEFORE:+-before "$BEFORE"} -log "$log" &
bench_pid=$!
trap 'kill "$bench_pid" 2>/dev/null || true; wait "$bench_pid" 2>/dev/null || true' INT TERM EXIT
wait "$bench_pid"
