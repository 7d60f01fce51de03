package dynamo

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/transfer"
)

// TestTransferItemRoundTrip: a transfer survives its item encoding, and the facts the
// stream reads stand at the item's top level (inline, not a nested map).
func TestTransferItemRoundTrip(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	want := transfer.Transfer{ID: "t1", SourceWalletID: "w1", DestinationWalletID: "w2", SourceOwnerID: "u1",
		DestinationOwnerID: "u2", AmountMinor: 500, CaptureMinor: 400, Currency: "EUR", Description: "rent",
		Mode: "hold", Status: transfer.StatusCompleted, FailureReason: "", CreatedAt: at, UpdatedAt: at.Add(time.Second),
		ExpiresAt: at.Add(time.Hour), Version: 7, Reserved: true, Captured: true, RequestHash: "h",
		Steps: []transfer.Step{{Name: "reserve", Status: "ok", StartedAt: at, EndedAt: at.Add(time.Millisecond)}}}

	item, err := attributevalue.MarshalMap(toTransferItem(want))
	require.NoError(t, err)
	assert.Equal(t, &ddbtypes.AttributeValueMemberS{Value: "t1"}, item["id"])
	assert.Equal(t, &ddbtypes.AttributeValueMemberS{Value: "COMPLETED"}, item["status"])
	assert.NotContains(t, item, "transferFacts")
	assert.NotContains(t, item, "failure_reason", "an empty reason is not written")

	var got transferItem
	require.NoError(t, attributevalue.UnmarshalMap(item, &got))
	assert.Equal(t, want, got.transfer())
}
