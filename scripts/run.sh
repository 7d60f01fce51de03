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
cleanup() {
  trap - INT TERM EXIT
  if [[ $started_engine == 1 ]]; then "$ROOT/scripts/engine.sh" stop; fi
}
trap cleanup EXIT
trap 'echo; say "stopping"; exit 0' INT TERM

if ! engine_up; then
  "$ROOT/scripts/engine.sh" start
  started_engine=1
fi
"$ROOT/scripts/deploy-local.sh"
echo
echo "API: $("$ROOT/scripts/api-url.sh")"
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
