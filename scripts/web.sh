#!/usr/bin/env bash
# The web app (web/): scripts/web.sh <step>
#   install      npm ci from web/package-lock.json (once per lock)
#   gen          regenerate the typed client's types from api/openapi.yaml
#   check-gen    fail when web/src/api/schema.d.ts is not what gen makes (lint)
#   build        typecheck, unit tests, production build, size check (≤ WEB_JS_GZIP_MAX_KB)
#   serve        serve web/dist with /v1/* forwarded to the local API (foreground)
#   e2e          the Playwright journey, axe scans, 375 px and keyboard checks against the
#                running stack, in Debian's headless Chromium (installed when missing)
#   screenshots  e2e, saving the README's screenshots into docs/img
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

WEB="$ROOT/web"
WEB_JS_GZIP_MAX_KB=150
# Debian's chromium, pinned; Playwright drives it through executablePath.
CHROMIUM_VERSION="156.0.8078.129-1~deb12u1"

install() {
  local stamp="$WEB/node_modules/.installed-$(sha256sum "$WEB/package-lock.json" | cut -c1-16)"
  [[ -f "$stamp" ]] && return 0
  say "installing the web app's packages (pinned in web/package-lock.json)"
  (cd "$WEB" && npm ci --silent --no-audit --no-fund)
  touch "$stamp"
}

gen() { install; (cd "$WEB" && npm run -s gen >/dev/null); }

check_gen() {
  install
  local tmp; tmp="$(mktemp -d)"
  (cd "$WEB" && npx openapi-typescript ../api/openapi.yaml --default-non-nullable=false -o "$tmp/schema.d.ts" >/dev/null 2>&1)
  if ! diff -q "$tmp/schema.d.ts" "$WEB/src/api/schema.d.ts" >/dev/null; then
    rm -rf "$tmp"
    echo "web/src/api/schema.d.ts is not generated from the current api/openapi.yaml: run make web-gen" >&2
    return 1
  fi
  rm -rf "$tmp"
  (cd "$WEB" && npx tsc --noEmit -p . && npx tsc --noEmit -p tsconfig.e2e.json)
}

size() {
  python3 - "$WEB/dist" "$WEB_JS_GZIP_MAX_KB" <<'PY'
import gzip, pathlib, sys
dist, limit = pathlib.Path(sys.argv[1]), int(sys.argv[2])
total = 0
for f in sorted(dist.rglob("*.js")):
    raw = f.read_bytes()
    gz = len(gzip.compress(raw, 9))
    total += gz
    print(f"web: {f.relative_to(dist)}: {len(raw)/1024:.1f} KB, {gz/1024:.1f} KB gzipped")
print(f"web: JavaScript in all: {total/1024:.1f} KB gzipped (limit {limit} KB)")
sys.exit(1 if total > limit * 1024 else 0)
PY
}

build() {
  install
  say "web: typecheck, unit tests, build"
  (cd "$WEB" && npx tsc --noEmit -p . && npm run -s test:unit >"$LOCAL_DIR/web-unit.log" 2>&1 || { cat "$LOCAL_DIR/web-unit.log"; exit 1; })
  grep -E "^# (tests|pass|fail)" "$LOCAL_DIR/web-unit.log"
  (cd "$WEB" && npx vite build --logLevel warn)
  size
}

chromium() {
  if [[ -x /usr/bin/chromium ]]; then return 0; fi
  say "installing Debian's chromium $CHROMIUM_VERSION"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "chromium=$CHROMIUM_VERSION" >/dev/null
}

# start_server: serves web/dist on WEB_PORT in the background until the calling script exits.
start_server() {
  if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$WEB_PORT/" 2>/dev/null; then
    echo "something already answers on 127.0.0.1:$WEB_PORT (another web server?); stop it or set WEB_PORT" >&2
    return 1
  fi
  python3 "$ROOT/scripts/webserve.py" --port "$WEB_PORT" --outputs "$OUTPUTS_FILE" --dist "$WEB/dist" >"$LOCAL_DIR/web.log" 2>&1 &
  WEB_SERVER_PID=$!
  trap 'kill "$WEB_SERVER_PID" 2>/dev/null || true' EXIT
  for _ in $(seq 50); do
    kill -0 "$WEB_SERVER_PID" 2>/dev/null || break
    curl -fsS -o /dev/null "http://127.0.0.1:$WEB_PORT/" && return 0
    sleep 0.1
  done
  echo "the web server did not start; see .local/web.log" >&2
  return 1
}

# failure_context prints what a failed browser test saw (each page's accessibility
# snapshot) and the web server's last lines, so a CI log alone explains the failure.
failure_context() {
  local f
  for f in "$WEB"/test-results/*/error-context.md; do
    [[ -f "$f" ]] || continue
    echo "---- $(basename "$(dirname "$f")"): the page when it failed"
    head -c 4000 "$f"; echo
  done
  echo "---- the web server's last lines (.local/web.log)"
  tail -n 40 "$LOCAL_DIR/web.log" || true
}

e2e() {
  build
  chromium
  engine_env
  start_server
  say "web: the browser journey against http://127.0.0.1:$WEB_PORT (failures keep traces and screenshots in web/test-results)"
  if ! (cd "$WEB" && WEB_URL="http://127.0.0.1:$WEB_PORT" npx playwright test "$@"); then
    failure_context
    return 1
  fi
  if [[ -f "$WEB/test-results/first-screen.json" ]]; then
    say "web: first screen $(cat "$WEB/test-results/first-screen.json")"
  fi
}

case "${1:-}" in
  install) install ;;
  gen) gen ;;
  check-gen) check_gen ;;
  build) build ;;
  serve) start_server; trap - EXIT; wait "$WEB_SERVER_PID" ;;
  e2e) shift; e2e "$@" ;;
  screenshots) SCREENSHOT_DIR="$ROOT/docs/img" e2e journey ;;
  *) echo "usage: scripts/web.sh install|gen|check-gen|build|serve|e2e|screenshots" >&2; exit 2 ;;
esac
