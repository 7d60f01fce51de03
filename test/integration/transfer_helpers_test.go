//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/dynamo"
)

const finalWaitSecondsMax = 90

type stepView struct {
	Name      string    `json:"name"`
	Status    string    `json:"status"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
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
	CreatedAt           time.Time  `json:"created_at"`
	Steps               []stepView `json:"steps"`
}

func (v transferView) final() bool {
	switch v.Status {
	case "COMPLETED", "FAILED", "RELEASED", "NEEDS_REVIEW":
		return true
	}
	return false
}

// sendTransfer POSTs a transfer; safe in goroutines.
func sendTransfer(token, key string, body map[string]any) (reply, error) {
	c := call{method: "POST", path: "/v1/transfers", token: token, body: body}
	if key != "" {
		c.headers = map[string]string{"Idempotency-Key": key}
	}
	return send(c)
}

func postTransfer(t *testing.T, token, key string, body map[string]any) reply {
	t.Helper()
	r, err := sendTransfer(token, key, body)
	require.NoError(t, err)
	return r
}

// createTransfer posts a transfer that must be created (201) and returns it as
// answered.
func createTransfer(t *testing.T, token, key string, body map[string]any) transferView {
	t.Helper()
	r := postTransfer(t, token, key, body)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	var v transferView
	decode(t, r, &v)
	require.NotEmpty(t, v.ID, "%s", r.Body)
	return v
}

func transferBody(src, dst string, amount int64, extra ...any) map[string]any {
	b := map[string]any{"source_wallet_id": src, "destination_wallet_id": dst, "amount": amount, "currency": "USD"}
	for i := 0; i+1 < len(extra); i += 2 {
		b[extra[i].(string)] = extra[i+1]
	}
	return b
}

// transferIDIn finds the transfer id in a transfer answer or in a refusal's details.
func transferIDIn(r reply) (string, error) {
	var b struct {
		ID    string `json:"id"`
		Error struct {
			Details struct {
				TransferID string `json:"transfer_id"`
			} `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &b); err != nil {
		return "", fmt.Errorf("%w; body: %s", err, r.Body)
	}
	if b.ID != "" {
		return b.ID, nil
	}
	if b.Error.Details.TransferID == "" {
		return "", fmt.Errorf("no transfer id in %d %s", r.Status, r.Body)
	}
	return b.Error.Details.TransferID, nil
}

func transferIDOf(t *testing.T, r reply) string {
	t.Helper()
	id, err := transferIDIn(r)
	require.NoError(t, err)
	return id
}

func fetchTransfer(token, id string) (transferView, error) {
	return fetch[transferView](token, "/v1/transfers/"+id)
}

func getTransfer(t *testing.T, token, id string) transferView {
	t.Helper()
	return get[transferView](t, token, "/v1/transfers/"+id)
}

// awaitFinal polls a transfer until its saga has ended (or it reached one of alsoDone,
// such as HELD); safe in goroutines.
func awaitFinal(token, id string, alsoDone ...string) (transferView, error) {
	var v transferView
	err := pollUntil(time.Now().Add(finalWaitSecondsMax*time.Second), pollInterval, func() (bool, error) {
		var err error
		v, err = fetchTransfer(token, id)
		return err == nil && (v.final() || slices.Contains(alsoDone, v.Status)), err
	})
	if err != nil {
		return v, fmt.Errorf("transfer %s (last seen %s): %w", id, v.Status, err)
	}
	return v, nil
}

func waitFinal(t *testing.T, token, id string, alsoDone ...string) transferView {
	t.Helper()
	v, err := awaitFinal(token, id, alsoDone...)
	require.NoError(t, err)
	return v
}

func ledgerTable(t *testing.T) (*dynamodb.Client, string) {
	t.Helper()
	return dynamodb.NewFromConfig(awsConfig(t)), stackOutputs(t)["LedgerTableName"]
}

// requireNoStaleHolds checks that no hold is still open well past its expiry (the
// sweeper runs every minute).
func requireNoStaleHolds(t *testing.T) {
	t.Helper()
	db, table := ledgerTable(t)
	cutoff := time.Now().Add(-90 * time.Second).Unix()
	for b := range dynamo.HoldBuckets {
		kc := expression.Key("pk").Equal(expression.Value(fmt.Sprintf("HOLDS#%02d", b))).And(expression.Key("sk").LessThan(expression.Value(fmt.Sprintf("%012d$", cutoff))))
		expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
		require.NoError(t, err)
		out, err := db.Query(context.Background(), &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: expr.KeyCondition(),
			ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(), ConsistentRead: aws.Bool(true)})
		require.NoError(t, err)
		require.Empty(t, out.Items, "holds of bucket %d open more than 90 s past their expiry", b)
	}
}

// funded creates a user with a USD wallet holding amount. Every test that moves money
// starts here, so it first checks that no earlier test left the breaker open or faults
// injected.
func funded(t *testing.T, prefix string, amount int64) (account, walletView) {
	t.Helper()
	requireCleanSlate(t)
	a := signupAndLogin(t, prefix)
	w := createWallet(t, a.Token, "USD")
	if amount > 0 {
		r := credit(t, a.Token, w.ID, "fund-"+w.ID, amount)
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	}
	return a, getWallet(t, a.Token, w.ID)
}
