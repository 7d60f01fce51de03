#!/usr/bin/env bash
# engine.sh start|stop|status: the local AWS engine (MiniStack) on 127.0.0.1.
# start is a no-op when an engine already answers; stop stops only an engine this
# project started (its pid file), with every Lambda process it spawned.
source "$(dirname "$0")/lib.sh"

start() {
  if engine_up; then
    engine_refuse_foreign
    say "engine already running at $ENGINE_URL"
    return 0
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$ENGINE_PORT") 2>/dev/null; then
    echo "port $ENGINE_PORT is taken by something that is not the engine; set ENGINE_PORT" >&2
    exit 1
  fi
  "$ROOT/scripts/tools.sh" engine
  start_mail
  say "starting the local AWS engine (MiniStack) at $ENGINE_URL"
  # SMTP_HOST is where the engine relays what SES sends: the mail catcher.
  # AWS_ENDPOINT_URL in the engine's environment is handed to the Lambda processes it
  # spawns, so the functions' SDK calls come back to the engine. SFN_WAIT_SCALE shortens
  # Step Functions retry back-offs tenfold, so fault-injection tests take seconds.
  # LAMBDA_WARM_TTL_SECONDS reaps idle function environments after 20 s instead of
  # 300 s: every warm environment costs the engine CPU while idle, and the hundreds a
  # concurrency burst leaves behind starved later tests (localstack/MINISTACK_GAPS.md, 14).
  # tools/engine_launch.py starts MiniStack with those idle environments waiting on
  # events instead of polling every 0.1 s (MINISTACK_GAPS.md, 15).
  # TMPDIR: the engine unpacks every function's code (about 340 MB) under its temp
  # directory; keeping that in .local/ lets stop remove it.
  mkdir -p "$ENGINE_TMP"
  (
    cd "$LOCAL_DIR"
    TMPDIR="$ENGINE_TMP" SMTP_HOST="127.0.0.1:$MAIL_SMTP_PORT" AWS_ENDPOINT_URL="$ENGINE_URL" GATEWAY_PORT="$ENGINE_PORT" BIND_HOST=127.0.0.1 \
      MINISTACK_REGION=us-east-1 SFN_WAIT_SCALE="${SFN_WAIT_SCALE:-0.1}" LOG_LEVEL="${ENGINE_LOG_LEVEL:-INFO}" \
      LAMBDA_WARM_TTL_SECONDS="${ENGINE_WARM_TTL_SECONDS:-20}" \
      PERSIST_STATE="${ENGINE_PERSIST:-0}" STATE_DIR="$ENGINE_STATE_DIR" \
      setsid "$ENGINE_VENV/bin/python" "$ROOT/tools/engine_launch.py" >"$ENGINE_LOG" 2>&1 &
    echo $! >"$ENGINE_PID_FILE"
  )
  for _ in $(seq 1 $((ENGINE_READY_SECONDS_MAX * 4))); do
    if engine_up; then
      engine_claim
      say "engine ready (log: .local/engine.log)"
      return 0
    fi
    if ! kill -0 "$(cat "$ENGINE_PID_FILE")" 2>/dev/null; then
      echo "the engine exited; last lines of .local/engine.log:" >&2
      tail -20 "$ENGINE_LOG" >&2
      exit 1
    fi
    sleep 0.25
  done
  echo "the engine did not answer within ${ENGINE_READY_SECONDS_MAX}s" >&2
  exit 1
}

# start_mail starts the mail catcher the engine's SES relays to (SMTP_HOST), unless one
# this checkout started still runs.
start_mail() {
  if [[ -f "$MAIL_PID_FILE" ]] && kill -0 "$(cat "$MAIL_PID_FILE")" 2>/dev/null; then
    return 0
  fi
  say "starting the mail catcher: SMTP 127.0.0.1:$MAIL_SMTP_PORT, messages at $MAIL_URL/messages?to=<address>"
  rm -rf "$MAIL_DIR"
  setsid "$MAIL_VENV/bin/python" "$ROOT/tools/mailcatcher.py" "$MAIL_SMTP_PORT" "$MAIL_HTTP_PORT" "$MAIL_DIR" >"$MAIL_LOG" 2>&1 &
  echo $! >"$MAIL_PID_FILE"
  for _ in $(seq 1 40); do
    curl -fsS -m 1 "$MAIL_URL/messages?to=nobody" >/dev/null 2>&1 && return 0
    sleep 0.25
  done
  echo "the mail catcher did not start; .local/mail.log:" >&2
  tail -20 "$MAIL_LOG" >&2
  exit 1
}

stop_mail() {
  [[ -f "$MAIL_PID_FILE" ]] || return 0
  kill -TERM "$(cat "$MAIL_PID_FILE")" 2>/dev/null || true
  rm -f "$MAIL_PID_FILE"
}

stop() {
  stop_mail
  [[ -f "$ENGINE_PID_FILE" ]] || return 0
  local pid
  pid="$(cat "$ENGINE_PID_FILE")"
  if kill -0 "$pid" 2>/dev/null; then
    say "stopping the local AWS engine (pid $pid)"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$ENGINE_PID_FILE" "$OUTPUTS_FILE"
  rm -rf "$ENGINE_TMP"
}

status() {
  if engine_up; then echo "engine: running at $ENGINE_URL"; else echo "engine: not running"; return 1; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: engine.sh start|stop|status" >&2; exit 2 ;;
esac
