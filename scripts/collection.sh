#!/usr/bin/env bash
# make collection: runs the Postman collection api/wallet.postman_collection.json (the
# README journey, with assertions) against the running local stack with newman, pinned
# with its whole dependency tree in tools/newman/package-lock.json and installed into
# .tools/newman on first use. Exits non-zero when any assertion or request fails.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

NEWMAN_DIR="$TOOLS_DIR/newman"
lock="$ROOT/tools/newman/package-lock.json"
stamp="$NEWMAN_DIR/.installed-$(sha256sum "$lock" | cut -c1-16)"
if [[ ! -f "$stamp" ]]; then
  say "installing newman into .tools/newman (pinned in tools/newman/package-lock.json)"
  rm -rf "$NEWMAN_DIR"
  mkdir -p "$NEWMAN_DIR"
  cp "$ROOT/tools/newman/package.json" "$lock" "$NEWMAN_DIR/"
  (cd "$NEWMAN_DIR" && npm ci --silent --no-audit --no-fund --ignore-scripts)
  touch "$stamp"
fi

engine_up || { echo "no engine at $ENGINE_URL: run make run (or make test) first" >&2; exit 1; }
api="$("$ROOT/scripts/api-url.sh")"
say "newman: api/wallet.postman_collection.json against $api"
"$NEWMAN_DIR/node_modules/.bin/newman" run api/wallet.postman_collection.json \
  --env-var "baseUrl=$api" --env-var "mailUrl=$MAIL_URL" --bail failure --color off --disable-unicode \
  --timeout-request 30000
