#!/usr/bin/env bash
# make restart-check (run by make test): what make run promises across a restart. A
# persisting engine, as make run starts it, on its own port and state directory: deploy,
# the README walkthrough, stop (the engine saves its state), start and redeploy as make
# run does, then the first walkthrough's user logs in and finds the balance it left,
# and a second walkthrough passes: transfers, their events, notifications and rewards
# work on the restored stack (localstack/MINISTACK_GAPS.md, 33).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# Apart from the checkout's own engine and state (make run's or make test's): the
# engine's port, the mail catcher's ports derived from it, and .local/restart-check.
export ENGINE_PORT="$((${ENGINE_PORT:-4566} + 50))"
export LOCAL_DIR="$ROOT/.local/restart-check"
export ENGINE_PERSIST=1
source "$ROOT/scripts/lib.sh"
cd "$ROOT"

rm -rf "$LOCAL_DIR"
mkdir -p "$LOCAL_DIR"
trap '"$ROOT/scripts/engine.sh" stop; rm -rf "$LOCAL_DIR"' EXIT

# balance_of EMAIL: the balance of the account's first wallet, logged in as it.
balance_of() {
  local api token
  api="$("$ROOT/scripts/api-url.sh")"
  token="$(curl -fsS -X POST "$api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"correct horse battery\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
  curl -fsS "$api/v1/wallets" -H "Authorization: Bearer $token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["balance"])'
}

"$ROOT/scripts/engine.sh" start
"$ROOT/scripts/deploy-local.sh"
"$ROOT/scripts/walkthrough.sh"
email="$(grep -ho 'alice-[A-Za-z0-9]*@example.com' "$LOCAL_DIR"/walkthrough-bodies/* | head -1)"
[[ -n "$email" ]] || { echo "restart-check: no Alice in the first walkthrough's answers" >&2; exit 1; }
before="$(balance_of "$email")"

say "restarting the engine: it saves its state and loads it again"
"$ROOT/scripts/engine.sh" stop
[[ -s "$ENGINE_STATE_DIR/dynamodb.json" ]] || { echo "restart-check: the engine saved no DynamoDB state" >&2; exit 1; }
"$ROOT/scripts/engine.sh" start
"$ROOT/scripts/deploy-local.sh"
after="$(balance_of "$email")"
[[ "$after" == "$before" ]] || { echo "restart-check: $email's balance is $after after the restart, $before before it" >&2; exit 1; }
say "$email logs in after the restart and finds the balance it left ($after)"
"$ROOT/scripts/walkthrough.sh"
say "restart-check: users and money survive a restart, and events flow after it"
