//go:build integration

package integration

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/app"
	"github.com/serverless-wallet/wallet/internal/app/sfnapp"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// storedVersion reads a transfer item's version straight from the ledger table: a
// write that changes nothing leaves it, and with it the stream, alone.
func storedVersion(t *testing.T, id string) int64 {
	t.Helper()
	db, table := ledgerTable(t)
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "TRANSFER#" + id},
			"sk": &ddbtypes.AttributeValueMemberS{Value: "TRANSFER"}}})
	require.NoError(t, err)
	v, ok := out.Item["version"].(*ddbtypes.AttributeValueMemberN)
	require.True(t, ok, "transfer %s has a version", id)
	n, err := strconv.ParseInt(v.Value, 10, 64)
	require.NoError(t, err)
	return n
}

// runSecondExecution starts one more execution of a transfer's saga on the deployed
// state machine with the product's own runner, as a replay does, and waits for it.
func runSecondExecution(t *testing.T, id, phase, mode string) {
	t.Helper()
	t.Setenv("TRANSFER_STATE_MACHINE_ARN", stackOutputs(t)["TransferStateMachineArn"])
	err := sfnapp.Saga(&app.Deps{AWS: awsConfig(t)}).Run(context.Background(),
		transfer.SagaInput{TransferID: id, Phase: phase, Mode: mode, Attempt: 2})
	t.Logf("second execution of %s: %v", id, err) // it may end failed: what it left is what counts
}

// TestALateFailingExecutionLeavesASettledTransfer: a second execution of a completed
// transfer's saga whose post and compensation both fail must not mark it NEEDS_REVIEW
// (the mark is conditional on PENDING or CAPTURING), so no operator can complete it a
// second time and no second completion event is published.
//
// Serial: it writes CONTROL/FAULTS, which every saga reads.
func TestALateFailingExecutionLeavesASettledTransfer(t *testing.T) {
	isolateBreaker(t)
	a, wa := funded(t, "late-exec", 1000)
	b, wb := funded(t, "late-exec-b", 0)
	done := createTransfer(t, a.Token, "late-exec-1", transferBody(wa.ID, wb.ID, 250))
	require.Equal(t, "COMPLETED", done.Status)
	version := storedVersion(t, done.ID)

	withFaults(t, stepFaults{"post": {Mode: "fail"}, "release": {Mode: "fail"}})
	runSecondExecution(t, done.ID, transfer.PhaseStart, transfer.ModeImmediate)
	clearFaults(t)

	assert.Equal(t, "COMPLETED", getTransfer(t, a.Token, done.ID).Status)
	assert.Equal(t, version, storedVersion(t, done.ID), "not written again: no stream record, no second event")
	r := resolve(t, done.ID, "late-exec-complete", "complete", "completing it again")
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
	assert.Equal(t, "transfer_not_in_review", r.ErrorCode())
	assert.EqualValues(t, 750, getWallet(t, a.Token, wa.ID).Balance)
	assert.EqualValues(t, 250, getWallet(t, b.Token, wb.ID).Balance, "moved once")
	requireLedgerConsistent(t)
}

// TestStepsRunTwice: with every saga step's first answer lost (the twice fault: the
// step commits, then fails as if its answer never came back, and the state machine
// runs it again), transfers, holds and captures move their money exactly once.
//
// Serial: it writes CONTROL/FAULTS, which every saga reads.
func TestStepsRunTwice(t *testing.T) {
	isolateBreaker(t)
	a, wa := funded(t, "twice", 1000)
	b, wb := funded(t, "twice-b", 0)
	twice := fault{Mode: "twice"}
	withFaults(t, stepFaults{"reserve": twice, "post": twice, "finalize": twice, "release": twice})

	now := createTransfer(t, a.Token, "twice-now", transferBody(wa.ID, wb.ID, 100))
	hold := createTransfer(t, a.Token, "twice-hold", transferBody(wa.ID, wb.ID, 300, "mode", "hold", "hold_expires_in_seconds", 600))
	assert.Equal(t, "HELD", hold.Status)
	assert.EqualValues(t, 300, getWallet(t, a.Token, wa.ID).Held, "held once")
	c := do(t, call{method: "POST", path: "/v1/transfers/" + hold.ID + "/capture", token: a.Token,
		headers: map[string]string{"Idempotency-Key": "twice-capture"}, body: map[string]any{"amount": 120}})
	require.Contains(t, []int{http.StatusOK, http.StatusAccepted}, c.Status, "%s", c.Body)
	clearFaults(t)

	assert.Equal(t, "COMPLETED", waitFinal(t, a.Token, now.ID).Status)
	assert.Equal(t, "COMPLETED", waitFinal(t, a.Token, hold.ID).Status)
	w := getWallet(t, a.Token, wa.ID)
	assert.EqualValues(t, 1000-100-120, w.Balance)
	assert.Zero(t, w.Held, "the uncaptured rest was released once")
	assert.EqualValues(t, 100+120, getWallet(t, b.Token, wb.ID).Balance)
	requireLedgerConsistent(t)
}
