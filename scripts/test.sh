#!/usr/bin/env bash
# make test: unit tests, then integration tests through the API deployed on the local
# engine, then a small chaos run, the IAM check (scripts/iam-check.sh), the README walkthrough, the Postman collection and
# schema fuzzing against the same stack, and last a restart of a persisting engine (scripts/restart-check.sh); the web app's browser journey runs after the
# integration tests. Starts the engine when none is running and
# stops what it started.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

say "unit tests"
go test -race -count=1 ./...
python3 -m unittest discover -s "$ROOT/tools" -p '*_test.py'
python3 -m unittest discover -s "$ROOT/scripts" -p 'webserve_test.py'
pinned_venv "$TOOLS_DIR/iam" "$ROOT/tools/iam-requirements.txt" "the IAM check (moto's policy evaluator, the SAM translator)"
(cd "$ROOT/tools/iamcheck" && "$TOOLS_DIR/iam/bin/python" -m unittest discover -p '*_test.py')
"$ROOT/scripts/tools.sh" engine
"$ENGINE_VENV/bin/python" -m unittest discover -s "$ROOT/tools/enginetests" -p '*_test.py'

use_engine
# The IAM check evaluates what this run's functions call: start from no records.
rm -rf "$LOCAL_DIR/aws-calls"
"$ROOT/scripts/deploy-local.sh"

say "integration tests against $("$ROOT/scripts/api-url.sh") (and the DynamoDB adapter against the engine)"
engine_env
# TEST_RUN (a go test -run pattern) picks integration tests; the DynamoDB adapter suite
# always runs whole, in its own go test run, so a pattern never filters it away unseen.
WALLET_API_URL="$("$ROOT/scripts/api-url.sh")" WALLET_OUTPUTS_FILE="$OUTPUTS_FILE" \
  go test -race -count=1 -tags integration -timeout 30m ${TEST_RUN:+-run "$TEST_RUN"} ./test/integration/...
go test -race -count=1 -tags integration -timeout 10m ./internal/dynamo/

# The web app in headless Chromium: the journey of two people and an operator, axe
# scans, 375 px and keyboard checks (it injects saga faults, so it runs alone, before chaos).
"$ROOT/scripts/web.sh" e2e

# A small chaos run: it writes the deployment's CONTROL items, so it runs after the
# integration tests, alone.
CLIENTS="${CHAOS_CLIENTS:-4}" OPS="${CHAOS_OPS:-120}" "$ROOT/scripts/chaos.sh"
# What AWS would refuse, from the calls the suite and the chaos run recorded. With a
# TEST_RUN subset many grants go unused, so only the whole suite fails on them.
IAM_JOURNEY=0 IAM_UNUSED="$([[ -z "${TEST_RUN:-}" ]] && echo fail || echo report)" "$ROOT/scripts/iam-check.sh"
"$ROOT/scripts/walkthrough.sh"
"$ROOT/scripts/collection.sh"
"$ROOT/scripts/fuzz.sh"
# A restart of make run's persisting engine, with an engine of its own (ENGINE_PORT + 50).
"$ROOT/scripts/restart-check.sh"
