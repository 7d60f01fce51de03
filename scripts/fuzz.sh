#!/usr/bin/env bash
# make fuzz: schema fuzzing of the API deployed on the running local stack with
# schemathesis (pinned in tools/fuzz-requirements.txt), from api/openapi.yaml: every
# operation, once with a fresh user's token (path ids point at that user's wallet and
# hold transfer, scripts/fuzz-setup.py) and once anonymously. Checks: no 5xx, every status
# and content type documented, every body matching its documented schema. Bounded by
# FUZZ_EXAMPLES generated cases per operation and phase (default 25). Exits non-zero on
# any failure.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

FUZZ_VENV="$TOOLS_DIR/fuzz"
FUZZ_EXAMPLES="${FUZZ_EXAMPLES:-25}"
# Two workers: the machine has two cores and the engine needs one.
FUZZ_WORKERS=2
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance

pinned_venv "$FUZZ_VENV" "$ROOT/tools/fuzz-requirements.txt" "schemathesis"
engine_up || { echo "no engine at $ENGINE_URL: run make run (or make test) first" >&2; exit 1; }
api="$("$ROOT/scripts/api-url.sh")"

config="$LOCAL_DIR/schemathesis.toml"
token_file="$LOCAL_DIR/fuzz-token"
python3 "$ROOT/scripts/fuzz-setup.py" "$config" "$token_file"

fuzz() {
  local who="$1"
  shift
  say "schemathesis ($who): every operation of api/openapi.yaml against $api, $FUZZ_EXAMPLES cases per operation and phase"
  SCHEMATHESIS_TELEMETRY=false "$FUZZ_VENV/bin/schemathesis" --config-file "$config" run api/openapi.yaml \
    --url "$api" --checks "$CHECKS" --phases examples,coverage,fuzzing \
    --max-examples "$FUZZ_EXAMPLES" --workers "$FUZZ_WORKERS" --no-color "$@"
}
fuzz "with a token" -H "Authorization: Bearer $(cat "$token_file")"
fuzz "anonymous"
rm -f "$token_file"
# Whatever the generated requests did, the ledger must still balance.
say "ledger check after fuzzing"
python3 "$ROOT/scripts/ledger-check.py"
