#!/usr/bin/env bash
# Builds every function for the host architecture and deploys template.yaml into the
# running engine (or any LocalStack-compatible endpoint given as ENGINE_URL's port).
# Rate limits and login locks use windows of seconds, so the tests reach each limit
# and see it recover quickly; the template's defaults are the AWS ones.
source "$(dirname "$0")/lib.sh"

engine_up || { echo "no engine at $ENGINE_URL: run 'make run' (or scripts/engine.sh start)" >&2; exit 1; }
engine_refuse_foreign
say "building functions for linux/$(go env GOARCH)"
make -C "$ROOT" --no-print-directory -s build GOARCH="$(go env GOARCH)"
say "deploying stack '$STACK_NAME' to $ENGINE_URL"
engine_env
# The IAM check's call records describe the code deployed now: calls an earlier version
# made (a long-running make run's) would fail it on grants this version no longer has.
# A function finds its file gone and starts a new one (internal/callrecord).
rm -rf "$LOCAL_DIR/aws-calls"
cd "$ROOT"
# --emulate-import: the engine does not import request validators, models, gateway
# responses or the mock integrations' templates and responses from the REST API body
# (localstack/MINISTACK_GAPS.md, 1 and 31); AWS does.
# ManageApiGatewayAccount=false: the engine has no account-level API Gateway setting
# (and no AWS::ApiGateway::Account); its stages log without one.
# AwsCallRecordDir: every function appends the AWS calls it makes under .local/aws-calls
# for the IAM check (make iam-check, tools/iamcheck).
# AllowedOrigins: the template's default is empty (no CORS header anywhere); the local
# stack lists one test origin that nothing serves, so the integration tests see the CORS
# answers for a listed and an unlisted origin (ALLOWED_ORIGINS= turns it off).
# --flatten-metric-math-alarms: the engine creates no metric-math alarm (19) and
# evaluates none (10); each is deployed as a single-metric stand-in.
go run ./cmd/deploy \
  --stack "$STACK_NAME" \
  --build-dir build \
  --outputs "$OUTPUTS_FILE" \
  --emulate-import api/openapi.yaml \
  --flatten-metric-math-alarms \
  --param Architecture="$(host_arch)" \
  --param LogLevel="${LOG_LEVEL:-INFO}" \
  --param FaultInjection="${FAULT_INJECTION:-true}" \
  --param BreakerCooldownSeconds="${BREAKER_COOLDOWN_SECONDS:-3}" \
  --param BreakerCacheSeconds="${BREAKER_CACHE_SECONDS:-1}" \
  --param EventQueueVisibilitySeconds="${EVENT_QUEUE_VISIBILITY_SECONDS:-5}" \
  --param MeterDynamoDB="${METER_DYNAMODB:-true}" \
  --param ManageApiGatewayAccount=false \
  --param AwsCallRecordDir="${AWS_CALL_RECORD_DIR:-$LOCAL_DIR/aws-calls}" \
  --param RateLimits="${RATE_LIMITS:-money=100/10s,write=10/10s,read=100/10s,signup=30/10s,login=30/10s}" \
  --param LoginFailuresMax="${LOGIN_FAILURES_MAX:-3}" \
  --param LoginFailureWindowSeconds="${LOGIN_FAILURE_WINDOW_SECONDS:-60}" \
  --param LoginLockSeconds="${LOGIN_LOCK_SECONDS:-2}" \
  --param LoginLockMaxSeconds="${LOGIN_LOCK_MAX_SECONDS:-8}" \
  --param SigningKeyRefreshSeconds="${SIGNING_KEY_REFRESH_SECONDS:-2}" \
  --param AuthorizerCacheSeconds="${AUTHORIZER_CACHE_SECONDS:-3}" \
  --param Tracing="${TRACING:-Active}" \
  --param RewardPointsPerDayMax="${REWARD_POINTS_PER_DAY_MAX:-2000}" \
  --param AllowedOrigins="${ALLOWED_ORIGINS-https://wallet.example}"
# Data a persisted engine kept from an earlier version, moved to what this one reads
# (cmd/migrate; each step conditional, so a no-op once done).
go run ./cmd/migrate rewards-history --outputs "$OUTPUTS_FILE"
# The local operator, admin@wallet.local: signed up and verified like anyone, then
# granted the admin role with cmd/admin (the one place it is made; a no-op when it is).
say "making the local admin (scripts/admin-local.py)"
python3 scripts/admin-local.py
