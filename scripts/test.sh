#!/usr/bin/env bash
# make test: unit tests, then integration tests through the API deployed on the local
# engine, then a small chaos run, the README walkthrough, the Postman collection and
# schema fuzzing against the same stack. Starts the engine when none is running and
# stops what it started.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

say "unit tests"
go test -race -count=1 ./...
python3 -m unittest discover -s "$ROOT/tools" -p '*_test.py'

use_engine
"$ROOT/scripts/deploy-local.sh"

say "integration tests against $("$ROOT/scripts/api-url.sh") (and the DynamoDB adapter against the engine)"
engine_env
# TEST_RUN (a go test -run pattern) picks integration tests; the DynamoDB adapter suite
# always runs whole, in its own go test run, so a pattern never filters it away unseen.
WALLET_API_URL="$("$ROOT/scripts/api-url.sh")" WALLET_OUTPUTS_FILE="$OUTPUTS_FILE" \
  go test -race -count=1 -tags integration -timeout 30m ${TEST_RUN:+-run "$TEST_RUN"} ./test/integration/...
go test -race -count=1 -tags integration -timeout 10m ./internal/dynamo/

# A small chaos run: it writes the deployment's CONTROL items, so it runs after the
# integration tests, alone.
CLIENTS="${CHAOS_CLIENTS:-4}" OPS="${CHAOS_OPS:-120}" "$ROOT/scripts/chaos.sh"
"$ROOT/scripts/walkthrough.sh"
"$ROOT/scripts/collection.sh"
"$ROOT/scripts/fuzz.sh"
