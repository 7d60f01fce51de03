#!/usr/bin/env bash
# make walkthrough: runs the README's "Using the API with curl" section as pasted, every
# ```sh block in order, against the running local stack, so the README cannot drift
# from the API. Each curl answer's status is recorded; the run fails on any 5xx, on any
# 4xx the README does not promise (EXPECTED below), and on a command that fails.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

engine_up || { echo "no engine at $ENGINE_URL: run make run (or make test) first" >&2; exit 1; }
script="$LOCAL_DIR/walkthrough.sh"
statuses="$LOCAL_DIR/walkthrough.status"

# The answers the README says are refusals: closing a wallet that still holds money, and
# the admin signup where the account already exists.
EXPECTED='^(422 PATCH .*/v1/wallets/[^/]+|409 POST .*/v1/auth/signup)$'

{
  echo 'set -euo pipefail'
  # Every curl also writes "<status> <method> <url>" to stderr, which is kept apart.
  echo "curl() { command curl -w '%{stderr}%{http_code} %{method} %{url_effective}\n' \"\$@\"; }"
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
bad="$(grep -E '^[0-9]{3} [A-Z]+ ' "$statuses" | grep -Ev '^2[0-9]{2} ' | grep -Ev "$EXPECTED" || true)"
if [[ -n "$bad" ]]; then
  echo "answers the README does not promise:" >&2
  echo "$bad" >&2
  exit 1
fi
say "walkthrough: $calls calls in $((SECONDS - start)) s, every answer as the README says"
