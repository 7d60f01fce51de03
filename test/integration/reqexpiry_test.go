//go:build integration

package integration

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/dynamo"
)

// requestExpiryEntry finds request id's entry in the expiry index (pk PREQEXP#<bucket>,
// sk <expires_ms, 13 digits>#<id>) by its expiry, in whichever bucket holds it; nil when
// no bucket does.
func requestExpiryEntry(t *testing.T, id string, expiresMs int64) map[string]ddbtypes.AttributeValue {
	t.Helper()
	db, table := ledgerTable(t)
	for b := range dynamo.RequestBuckets {
		kc := expression.Key("pk").Equal(expression.Value(fmt.Sprintf("PREQEXP#%02d", b))).
			And(expression.Key("sk").Equal(expression.Value(fmt.Sprintf("%013d#%s", expiresMs, id))))
		expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
		require.NoError(t, err)
		out, err := db.Query(context.Background(), &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: expr.KeyCondition(),
			ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(), ConsistentRead: aws.Bool(true)})
		require.NoError(t, err)
		if len(out.Items) > 0 {
			return out.Items[0]
		}
	}
	return nil
}

// storedRequest reads a request's item as stored: its stored status and expiry.
func storedRequest(t *testing.T, id string) (status string, expiresMs int64) {
	t.Helper()
	db, table := ledgerTable(t)
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "PREQ#" + id}, "sk": &ddbtypes.AttributeValueMemberS{Value: "PREQ"}}})
	require.NoError(t, err)
	st, ok := out.Item["status"].(*ddbtypes.AttributeValueMemberS)
	require.True(t, ok, "request %s has a status", id)
	ms, ok := out.Item["expires_ms"].(*ddbtypes.AttributeValueMemberN)
	require.True(t, ok, "request %s has expires_ms", id)
	n, err := strconv.ParseInt(ms.Value, 10, 64)
	require.NoError(t, err)
	return st.Value, n
}

// expire moves an open request's expiry a minute into the past, as time would: the
// request's expires_ms and expires_at, and its entry in the expiry index (which must be
// there: the creation put it), in one transaction. The API's shortest expiry is an hour,
// too long for a test to wait.
func expire(t *testing.T, id string) {
	t.Helper()
	status, was := storedRequest(t, id)
	require.Equal(t, "PENDING", status)
	entry := requestExpiryEntry(t, id, was)
	require.NotNil(t, entry, "an open request is in the expiry index")
	past := time.Now().Add(-time.Minute).UTC()
	moved := map[string]ddbtypes.AttributeValue{"pk": entry["pk"], "request_id": entry["request_id"],
		"sk": &ddbtypes.AttributeValueMemberS{Value: fmt.Sprintf("%013d#%s", past.UnixMilli(), id)}}
	db, table := ledgerTable(t)
	_, err := db.TransactWriteItems(context.Background(), &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{
		{Update: &ddbtypes.Update{TableName: aws.String(table),
			Key:              map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "PREQ#" + id}, "sk": &ddbtypes.AttributeValueMemberS{Value: "PREQ"}},
			UpdateExpression: aws.String("SET expires_ms = :ms, expires_at = :at"), ConditionExpression: aws.String("#s = :pending"),
			ExpressionAttributeNames: map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":ms": &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(past.UnixMilli(), 10)},
				":at": &ddbtypes.AttributeValueMemberS{Value: past.Format(time.RFC3339Nano)}, ":pending": &ddbtypes.AttributeValueMemberS{Value: "PENDING"}}}},
		{Delete: &ddbtypes.Delete{TableName: aws.String(table), Key: map[string]ddbtypes.AttributeValue{"pk": entry["pk"], "sk": entry["sk"]}}},
		{Put: &ddbtypes.Put{TableName: aws.String(table), Item: moved}},
	}})
	require.NoError(t, err)
}

// TestPaymentRequestExpires waits for the every-minute sweeper: a request made with the
// shortest expiry the API allows, whose expiry then passes, is stored EXPIRED and out of
// the expiry index, both parties are told once, and it can be neither paid nor declined.
// It runs in parallel with the read-only tests at the end of the suite.
func TestPaymentRequestExpires(t *testing.T) {
	t.Parallel()
	payer, wa := funded(t, "preq-exp-payer", 1_000)
	payee, _ := funded(t, "preq-exp-payee", 0)
	r := do(t, call{method: "POST", path: "/v1/payment-requests", token: payee.Token, headers: map[string]string{"Idempotency-Key": "preq-exp-" + runID},
		body: map[string]any{"to": map[string]string{"email": payer.Email}, "amount": 300, "currency": "USD", "expires_in_hours": 1}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	var v struct {
		payRequestView
		CreatedAt time.Time `json:"created_at"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	decode(t, r, &v)
	assert.Equal(t, time.Hour, v.ExpiresAt.Sub(v.CreatedAt), "the shortest expiry")
	requireNotifiedOnce(t, "payment_request.created", v.ID, payer.Token, payee.Token)

	expire(t, v.ID)
	assert.Equal(t, "EXPIRED", requestOf(t, payer.Token, v.ID).Status, "shown EXPIRED at once")
	deadline := time.Now().Add(70*time.Second + eventWaitSecondsMax*time.Second) // the next sweep, then the event
	require.NoError(t, pollUntil(deadline, 2*time.Second, func() (bool, error) {
		status, _ := storedRequest(t, v.ID)
		return status == "EXPIRED", nil
	}), "the sweeper stores EXPIRED")
	_, expiresMs := storedRequest(t, v.ID)
	assert.Nil(t, requestExpiryEntry(t, v.ID, expiresMs), "out of the expiry index")
	requireNotifiedOnce(t, "payment_request.expired", v.ID, payer.Token, payee.Token)
	assert.Contains(t, expiryMessage(t, payee.Token, v.ID), "Your request of 3.00 USD to "+strings.ToLower(payer.Email)+" expired.")
	assert.Contains(t, expiryMessage(t, payer.Token, v.ID), "A request of 3.00 USD from "+strings.ToLower(payee.Email)+" to you expired.",
		"the addressee is told who asked")

	assert.Equal(t, "EXPIRED", requestOf(t, payee.Token, v.ID).Status)
	p := pay(t, payer.Token, v.ID, wa.ID, "preq-exp-pay-"+runID)
	assert.Equal(t, http.StatusGone, p.Status, "%s", p.Body)
	assert.Equal(t, "payment_request_expired", p.ErrorCode())
	assert.Equal(t, "payment_request_expired", actOn(t, payer.Token, v.ID, "decline").ErrorCode())
	assert.Equal(t, "payment_request_expired", actOn(t, payee.Token, v.ID, "cancel").ErrorCode())
	assert.EqualValues(t, 1_000, getWallet(t, payer.Token, wa.ID).Balance, "nothing moved")
}

// expiryMessage is the message of the caller's payment_request.expired notification
// about request id.
func expiryMessage(t *testing.T, token, id string) string {
	t.Helper()
	page := get[struct {
		Items []struct {
			Type             string `json:"type"`
			Message          string `json:"message"`
			PaymentRequestID string `json:"payment_request_id"`
		} `json:"items"`
	}](t, token, "/v1/notifications?limit=100")
	for _, it := range page.Items {
		if it.Type == "payment_request.expired" && it.PaymentRequestID == id {
			return it.Message
		}
	}
	return ""
}
