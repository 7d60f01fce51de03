#!/usr/bin/env bash
# make walkthrough: runs the README's "Using the API with curl" section as pasted, every
# ```sh block in order, against the running local stack, so the README cannot drift
# from the API. Each curl answer's status and body are recorded, and
# scripts/walkthrough-check.py checks them call by call against what the README promises
# (statuses, the transfers' states, the final balances, the ledger check's "ok": true;
# the only refusals allowed are the close of a wallet that holds money and the admin
# signup of an existing account). The run also fails on a command that fails.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

engine_up || { echo "no engine at $ENGINE_URL: run make run (or make test) first" >&2; exit 1; }
script="$LOCAL_DIR/walkthrough.sh"
statuses="$LOCAL_DIR/walkthrough.status"
bodies="$LOCAL_DIR/walkthrough-bodies"
rm -rf "$bodies"
mkdir -p "$bodies"

{
  echo 'set -euo pipefail'
  # Every curl also keeps its body in a file of its own and writes "<status> <method>
  # <url> <body file>" to stderr, which is kept apart (a call inside $(...) runs in a
  # subshell: the file name, not a counter, ties a status to its body).
  echo "curl() { local f; f=\$(mktemp '$bodies/body.XXXXXX'); command curl -w \"%{stderr}%{http_code} %{method} %{url_effective} \$f\\n\" \"\$@\" | tee \"\$f\"; }"
  awk '/^## Using the API with curl/ { section = 1; next }
       section && /^## / { section = 0 }
       section && /^```sh$/ { block = 1; next }
       section && block && /^```$/ { block = 0; next }
       section && block' README.md
} >"$script"
blocks="$(grep -c '^```sh$' <(awk '/^## Using the API with curl/{s=1;next} s&&/^## /{s=0} s' README.md))"
[[ "$blocks" -gt 0 ]] || { echo "no sh blocks in the README's curl section" >&2; exit 1; }

say "the README walkthrough ($blocks sh blocks) against $("$ROOT/scripts/api-url.sh")"
start=$SECONDS
if ! bash "$script" 2>"$statuses"; then
  echo "the walkthrough stopped at a failing command; its stderr:" >&2
  grep -Ev '^[0-9]{3} [A-Z]+ ' "$statuses" >&2 || true
  exit 1
fi
echo
calls="$(grep -cE '^[0-9]{3} [A-Z]+ ' "$statuses")"
python3 "$ROOT/scripts/walkthrough-check.py" "$statuses"
say "walkthrough: $calls calls in $((SECONDS - start)) s, every answer as the README says"
