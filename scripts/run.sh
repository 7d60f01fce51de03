#!/usr/bin/env bash
# make run: installs what is missing, starts the engine, builds and deploys the stack,
# prints the API URL and stays in the foreground; Ctrl-C stops what it started.
source "$(dirname "$0")/lib.sh"

exec 9>"$LOCAL_DIR/run.lock"
if ! flock -n 9; then
  url="$("$ROOT/scripts/api-url.sh" 2>/dev/null || true)"
  echo "make run is already running in another terminal${url:+ (API: $url)}; use 'make deploy-local' to redeploy" >&2
  exit 1
fi

started_engine=0
web_pid=""
cleanup() {
  trap - INT TERM EXIT
  if [[ -n $web_pid ]]; then kill "$web_pid" 2>/dev/null || true; fi
  if [[ $started_engine == 1 ]]; then "$ROOT/scripts/engine.sh" stop; fi
}
trap cleanup EXIT
trap 'echo; say "stopping"; exit 0' INT TERM

# The engine saves its state under .local/engine-state when it stops and loads it when
# it starts, so users, wallets and money survive a restart of make run (make clean
# starts over). make test's engines start empty.
if ! engine_up; then
  ENGINE_PERSIST="${ENGINE_PERSIST:-1}" "$ROOT/scripts/engine.sh" start
  started_engine=1
fi
"$ROOT/scripts/deploy-local.sh"
# The web app: built, then served with /v1/* forwarded to the API on one origin
# (scripts/webserve.py; the engine's CloudFront cannot route to an API Gateway origin).
"$ROOT/scripts/web.sh" build
python3 "$ROOT/scripts/webserve.py" --port "$WEB_PORT" --outputs "$OUTPUTS_FILE" --dist "$ROOT/web/dist" >"$LOCAL_DIR/web.log" 2>&1 &
web_pid=$!
for _ in $(seq 50); do curl -fsS -o /dev/null "http://127.0.0.1:$WEB_PORT/" && break; sleep 0.1; done
kill -0 "$web_pid" 2>/dev/null || { echo "the web server did not start; see .local/web.log" >&2; exit 1; }
echo
echo "API: $("$ROOT/scripts/api-url.sh")"
echo "Web: http://127.0.0.1:$WEB_PORT/"
echo "Mail (sign-up codes): make mail [EMAIL=<address>], make mail-code EMAIL=<address>,"
echo "  or $MAIL_URL/messages?to=<address>"
echo
say "running; 'make deploy-local' redeploys after a change; Ctrl-C stops"
if [[ $started_engine == 1 ]]; then
  while kill -0 "$(cat "$ENGINE_PID_FILE")" 2>/dev/null; do sleep 1; done
  echo "the engine exited; see .local/engine.log" >&2
  exit 1
else
  say "(the engine was already running before this 'make run'; it is left running)"
  while engine_up; do sleep 2; done
fi
