//go:build integration

package integration

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"
)

const finalWaitSecondsMax = 90

type stepView struct {
	Name   string `json:"name"`
	Status string `json:"status"`
}

type transferView struct {
	ID                  string     `json:"id"`
	SourceWalletID      string     `json:"source_wallet_id"`
	DestinationWalletID string     `json:"destination_wallet_id"`
	Amount              int64      `json:"amount"`
	CapturedAmount      *int64     `json:"captured_amount"`
	Currency            string     `json:"currency"`
	Mode                string     `json:"mode"`
	Status              string     `json:"status"`
	FailureReason       string     `json:"failure_reason"`
	ExpiresAt           *time.Time `json:"expires_at"`
	Steps               []stepView `json:"steps"`
}

func (v transferView) final() bool {
	switch v.Status {
	case "COMPLETED", "FAILED", "RELEASED", "NEEDS_REVIEW":
		return true
	}
	return false
}

func postTransfer(t *testing.T, token, key string, body map[string]any) reply {
	t.Helper()
	c := call{method: "POST", path: "/v1/transfers", token: token, body: body}
	if key != "" {
		c.headers = map[string]string{"Idempotency-Key": key}
	}
	return do(t, c)
}

func transferBody(src, dst string, amount int64, extra ...any) map[string]any {
	b := map[string]any{"source_wallet_id": src, "destination_wallet_id": dst, "amount": amount, "currency": "USD"}
	for i := 0; i+1 < len(extra); i += 2 {
		b[extra[i].(string)] = extra[i+1]
	}
	return b
}

// transferIDOf finds the transfer id in a transfer answer or in a refusal's details.
func transferIDOf(t *testing.T, r reply) string {
	t.Helper()
	var b struct {
		ID    string `json:"id"`
		Error struct {
			Details struct {
				TransferID string `json:"transfer_id"`
			} `json:"details"`
		} `json:"error"`
	}
	decode(t, r, &b)
	if b.ID != "" {
		return b.ID
	}
	require.NotEmpty(t, b.Error.Details.TransferID, "no transfer id in %s", r.Body)
	return b.Error.Details.TransferID
}

func getTransfer(t *testing.T, token, id string) transferView {
	t.Helper()
	r := do(t, call{method: "GET", path: "/v1/transfers/" + id, token: token})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var v transferView
	decode(t, r, &v)
	return v
}

// waitFinal polls a transfer until its saga has ended (or the hold is in place).
func waitFinal(t *testing.T, token, id string, alsoDone ...string) transferView {
	t.Helper()
	deadline := time.Now().Add(finalWaitSecondsMax * time.Second)
	for {
		v := getTransfer(t, token, id)
		if v.final() {
			return v
		}
		for _, s := range alsoDone {
			if v.Status == s {
				return v
			}
		}
		require.True(t, time.Now().Before(deadline), "transfer %s still %s", id, v.Status)
		time.Sleep(200 * time.Millisecond)
	}
}

func ledgerTable(t *testing.T) (*dynamodb.Client, string) {
	t.Helper()
	return dynamodb.NewFromConfig(awsConfig(t)), stackOutputs(t)["LedgerTableName"]
}

// setFaults writes the CONTROL/FAULTS item the saga's steps read when the deployment
// enables fault injection; nil clears it.
func setFaults(t *testing.T, faults map[string]map[string]any) {
	t.Helper()
	db, table := ledgerTable(t)
	ctx := context.Background()
	k := map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "CONTROL"}, "sk": &ddbtypes.AttributeValueMemberS{Value: "FAULTS"}}
	if faults == nil {
		_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: k})
		require.NoError(t, err)
		return
	}
	item, err := attributevalue.MarshalMap(map[string]any{"pk": "CONTROL", "sk": "FAULTS", "faults": faults})
	require.NoError(t, err)
	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item})
	require.NoError(t, err)
}

// resetBreaker closes the shared circuit breaker.
func resetBreaker(t *testing.T) {
	t.Helper()
	db, table := ledgerTable(t)
	_, err := db.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String(table),
		Key: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "CONTROL"}, "sk": &ddbtypes.AttributeValueMemberS{Value: "BREAKER"}}})
	require.NoError(t, err)
}

func breakerState(t *testing.T) string {
	t.Helper()
	db, table := ledgerTable(t)
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "CONTROL"}, "sk": &ddbtypes.AttributeValueMemberS{Value: "BREAKER"}}})
	require.NoError(t, err)
	var it struct {
		State string `dynamodbav:"state"`
	}
	require.NoError(t, attributevalue.UnmarshalMap(out.Item, &it))
	if it.State == "" {
		return "CLOSED"
	}
	return it.State
}

// requireNoStaleHolds checks that no hold is still open well past its expiry (the
// sweeper runs every minute).
func requireNoStaleHolds(t *testing.T) {
	t.Helper()
	db, table := ledgerTable(t)
	cutoff := time.Now().Add(-90 * time.Second).Unix()
	kc := expression.Key("pk").Equal(expression.Value("HOLDS")).And(expression.Key("sk").LessThan(expression.Value(fmt.Sprintf("%012d$", cutoff))))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	require.NoError(t, err)
	out, err := db.Query(context.Background(), &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(), ConsistentRead: aws.Bool(true)})
	require.NoError(t, err)
	require.Empty(t, out.Items, "holds open more than 90 s past their expiry")
}

// funded creates a user with a USD wallet holding amount.
func funded(t *testing.T, prefix string, amount int64) (account, walletView) {
	t.Helper()
	a := signupAndLogin(t, prefix)
	w := createWallet(t, a.Token, "USD")
	if amount > 0 {
		r := credit(t, a.Token, w.ID, "fund-"+w.ID, amount)
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	}
	return a, getWallet(t, a.Token, w.ID)
}
