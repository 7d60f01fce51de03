#!/usr/bin/env bash
# make iam-check: what AWS would refuse. Every AWS call the deployed functions made
# (recorded under .local/aws-calls by internal/callrecord, since the stack was deployed
# with AwsCallRecordDir) and every call AWS makes with the stack's roles (derived from
# template.yaml and the state machine's definition) is evaluated against the policies
# template.yaml grants, as AWS would (tools/iamcheck). Exits non-zero naming the
# principal, action and resource of each call no policy allows, each wildcard grant AWS
# does not require, and (IAM_UNUSED=fail) each grant no call uses.
#
# IAM_JOURNEY=1 (the default for make iam-check) first drives the integration tests that
# reach every function (IAM_JOURNEY_TESTS); make test sets IAM_JOURNEY=0 and evaluates
# what its whole suite and chaos run recorded, with IAM_UNUSED=fail.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

IAM_VENV="$TOOLS_DIR/iam"
CALLS_DIR="${AWS_CALL_RECORD_DIR:-$LOCAL_DIR/aws-calls}"
# Together these reach all 52 functions: every function once through its events/ file,
# then the API journeys (credits, statements, transfers, holds, compensation, the
# review desk, events and their consumers, refunds and the points they take back,
# withdrawals, notifications, redemptions, wallet status
# and the audit trail, the account look-up, listing pages, a merchant wallet with receive shards).
IAM_JOURNEY_TESTS="${IAM_JOURNEY_TESTS:-^(TestEveryEventFileInvokesItsFunction|TestLogin|TestMe|TestCredits|TestStatementPaging|TestImmediateTransfer|TestHoldCaptureAndVoid|TestCompensation|TestReviewDesk|TestTransferEvents|TestRefunds|TestPayAndRefundEarnsNothing|TestWithdrawals|TestNotificationsAreOwnAndMarkable|TestConcurrentRedemptions|TestWalletAccessAndStatus|TestTransferListsPageAcrossWallets|TestShardedMerchantWallet|TestAccountLookup)$}"

pinned_venv "$IAM_VENV" "$ROOT/tools/iam-requirements.txt" "the IAM check (moto's policy evaluator, the SAM translator)"
engine_up || { echo "no engine at $ENGINE_URL: run make run (or make test) first" >&2; exit 1; }
engine_env
if [[ "${IAM_JOURNEY:-1}" == 1 ]]; then
  say "IAM journey: integration tests reaching every function"
  WALLET_API_URL="$("$ROOT/scripts/api-url.sh")" WALLET_OUTPUTS_FILE="$OUTPUTS_FILE" \
    go test -count=1 -tags integration -timeout 15m -run "$IAM_JOURNEY_TESTS" ./test/integration/
fi
say "IAM check: recorded and derived calls against template.yaml's policies"
"$IAM_VENV/bin/python" "$ROOT/tools/iamcheck/iamcheck.py" --calls "$CALLS_DIR" --stack "$STACK_NAME" \
  --unused "${IAM_UNUSED:-report}" --write-calls "$LOCAL_DIR/iam-calls.json"
