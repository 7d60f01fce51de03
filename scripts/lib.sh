# Shared settings of the local scripts; sourced, not run.
# shellcheck shell=bash
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL_DIR="${LOCAL_DIR:-$ROOT/.local}"  # engine pid, logs, stack outputs (git-ignored)
TOOLS_DIR="$ROOT/.tools"          # pinned Python tools (git-ignored)
ENGINE_VENV="$TOOLS_DIR/engine"
ENGINE_PORT="${ENGINE_PORT:-4566}"
ENGINE_URL="http://127.0.0.1:$ENGINE_PORT"
ENGINE_PID_FILE="$LOCAL_DIR/engine.pid"
ENGINE_LOG="$LOCAL_DIR/engine.log"
ENGINE_TMP="$LOCAL_DIR/engine-tmp"   # the engine's TMPDIR: unpacked function code
ENGINE_STATE_DIR="$LOCAL_DIR/engine-state"  # what a persisting engine (make run) saves when it stops
OUTPUTS_FILE="$LOCAL_DIR/outputs.json"
# The mail catcher the engine relays SES mail to (tools/mailcatcher.py): SMTP and its
# message API on ports derived from the engine's, so parallel checkouts do not collide.
MAIL_VENV="$TOOLS_DIR/mail"
MAIL_SMTP_PORT="${MAIL_SMTP_PORT:-$((ENGINE_PORT + 1000))}"
MAIL_HTTP_PORT="${MAIL_HTTP_PORT:-$((ENGINE_PORT + 3000))}"  # +1001 would be a neighbouring checkout's SMTP port
# The web app's port: the engine's + 2000, moved past the ports browsers refuse to open
# (Chromium's and Firefox's restricted ports above 1024; 6566 is the scanner daemon's, so
# the default engine port's +2000 would be refused with ERR_UNSAFE_PORT).
BROWSER_UNSAFE_PORTS=" 1719 1720 1723 2049 3659 4045 4190 5060 5061 6000 6566 6665 6666 6667 6668 6669 6679 6697 10080 "
web_port() {
  local p=$((ENGINE_PORT + 2000))
  while [[ "$BROWSER_UNSAFE_PORTS" == *" $p "* ]]; do p=$((p + 1)); done
  echo "$p"
}
WEB_PORT="${WEB_PORT:-$(web_port)}"
if [[ "$BROWSER_UNSAFE_PORTS" == *" $WEB_PORT "* ]]; then
  echo "WEB_PORT=$WEB_PORT is a port browsers refuse to open; pick another" >&2
  exit 2
fi
MAIL_URL="http://127.0.0.1:$MAIL_HTTP_PORT"
MAIL_DIR="$LOCAL_DIR/mail"
MAIL_PID_FILE="$LOCAL_DIR/mail.pid"
MAIL_LOG="$LOCAL_DIR/mail.log"
STACK_NAME="${STACK_NAME:-wallet}"
ENGINE_READY_SECONDS_MAX=60
# The Lambda runtime interface emulator (make bench-cold), built from its Go module at a
# pinned commit (the module has no tagged release; this is the proxy's pseudo-version).
RIE_PACKAGE=github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d
RIE="$TOOLS_DIR/bin/aws-lambda-rie"

mkdir -p "$LOCAL_DIR"

say() { printf '==> %s\n' "$*"; }

# The SDK and the deploy tool reach the engine through these; credentials are dummies.
engine_env() {
  export AWS_ENDPOINT_URL="$ENGINE_URL"
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
  export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  export WALLET_MAIL_URL="$MAIL_URL"
  export WALLET_OUTPUTS_FILE="$OUTPUTS_FILE"
  unset AWS_PROFILE AWS_SESSION_TOKEN
}

# LocalStack answers on /_localstack/health instead.
ENGINE_HEALTH_PATH="${ENGINE_HEALTH_PATH:-/_ministack/health}"
engine_up() { curl -fsS -m 2 "$ENGINE_URL$ENGINE_HEALTH_PATH" >/dev/null 2>&1; }

# The engine's owner: the checkout that started it, written into the engine itself (an SSM
# parameter) so that another checkout on the same port finds out before it deploys its
# stack into this one's engine. An engine with no owner (LocalStack, or one started by
# hand) is used as it is.
ENGINE_OWNER_PARAM=/wallet-local/engine-owner
engine_ssm() {
  curl -fsS -m 5 -X POST "$ENGINE_URL/" -H "X-Amz-Target: AmazonSSM.$1" \
    -H 'Content-Type: application/x-amz-json-1.1' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=0' \
    -d "$2"
}
engine_owner() {
  engine_ssm GetParameter "{\"Name\": \"$ENGINE_OWNER_PARAM\"}" 2>/dev/null |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["Parameter"]["Value"])' 2>/dev/null || true
}
engine_claim() {
  engine_ssm PutParameter "$(python3 -c 'import json, sys; print(json.dumps({"Name": sys.argv[1], "Value": sys.argv[2], "Type": "String", "Overwrite": True}))' "$ENGINE_OWNER_PARAM" "$ROOT")" >/dev/null
}
engine_refuse_foreign() {
  local owner
  owner="$(engine_owner)"
  if [[ -n "$owner" && "$owner" != "$ROOT" ]]; then
    echo "the engine at $ENGINE_URL belongs to another checkout ($owner); run this one on its own port, e.g. ENGINE_PORT=$((ENGINE_PORT + 1)) make run" >&2
    exit 1
  fi
}

host_arch() {
  case "$(go env GOARCH)" in
    arm64) echo arm64 ;;
    *) echo x86_64 ;;
  esac
}

# pinned_venv DIR REQUIREMENTS WHAT: installs the fully pinned REQUIREMENTS (every
# package with ==, dependencies included) into the virtualenv DIR, once per version of
# the file (a stamp named by its hash).
pinned_venv() {
  local dir="$1" req="$2" what="$3" stamp
  stamp="$dir/.installed-$(sha256sum "$req" | cut -c1-16)"
  [[ -f "$stamp" ]] && return 0
  say "installing $what into ${dir#"$ROOT"/} (pinned in ${req#"$ROOT"/})"
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$req"
  "$dir/bin/pip" check >/dev/null
  touch "$stamp"
}

# pinned_go_tool BINARY PACKAGE VERSION: go-installs PACKAGE@VERSION into .tools/bin
# unless BINARY is already that version (read from its build information). It is
# built with its own go.mod, outside this module's dependencies.
pinned_go_tool() {
  local binary="$1" package="$2" version="$3"
  if [[ -x "$binary" ]] && go version -m "$binary" 2>/dev/null | grep -qF "$version"; then
    return 0
  fi
  say "installing ${package##*/} $version into ${TOOLS_DIR#"$ROOT"/}/bin"
  GOBIN="$TOOLS_DIR/bin" CGO_ENABLED=0 GOFLAGS= go install "$package@$version"
}

# use_engine: makes sure an engine answers for the calling script; when this call
# started it, the script's exit stops it (an engine that was already running is left).
use_engine() {
  if engine_up; then
    engine_refuse_foreign
    return 0
  fi
  "$ROOT/scripts/engine.sh" start
  trap '"$ROOT/scripts/engine.sh" stop' EXIT
}

# Per-caller rate limits lifted, for measurements where one client sends on purpose
# more than a real client may (each request still pays its limiter write).
LIFTED_RATE_LIMITS="money=1000000/60s,write=1000000/60s,read=1000000/60s,signup=1000000/60s,login=1000000/60s"
