package dynamo_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/dynamo"
	"github.com/serverless-wallet/wallet/internal/event"
)

// streamRecords loads a DynamoDB stream event from testdata, as Lambda delivers it,
// and indexes its records by eventID.
func streamRecords(t *testing.T, name string) map[string]events.DynamoDBEventRecord {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	var ev events.DynamoDBEvent
	require.NoError(t, json.Unmarshal(b, &ev))
	recs := make(map[string]events.DynamoDBEventRecord, len(ev.Records))
	for _, r := range ev.Records {
		require.NotContains(t, recs, r.EventID, "duplicate eventID in %s", name)
		recs[r.EventID] = r
	}
	return recs
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// streamCase is one record of a testdata stream event and the events it must yield.
type streamCase struct {
	record string
	want   []event.Event
}

// checkEventsOf runs EventsOf over each case's record in the named testdata file; every
// event it yields must also pass the consumers' validation.
func checkEventsOf(t *testing.T, name string, tests []streamCase) {
	t.Helper()
	recs := streamRecords(t, name)
	for _, tt := range tests {
		t.Run(tt.record, func(t *testing.T) {
			rec, ok := recs[tt.record]
			require.True(t, ok, "no record %q in testdata", tt.record)
			got, err := dynamo.EventsOf(rec)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			for _, e := range got {
				assert.NoError(t, e.Validate(), "every published event must pass the consumers' validation")
			}
		})
	}
}

func TestEventsOfTransfers(t *testing.T) {
	tests := []streamCase{
		{
			record: "completed", // PENDING → COMPLETED of a partly captured hold: the amount is what moved
			want: []event.Event{{ID: "transfer:t-1:completed", Type: event.TransferCompleted, Time: at("2026-01-01T00:00:02.5Z"),
				Payload: event.Payload{TransferID: "t-1", Mode: "hold", Status: "COMPLETED", AmountMinor: 12345, Currency: "USD",
					SourceWalletID: "w-src", DestinationWalletID: "w-dst", SourceOwnerID: "u-payer", DestinationOwnerID: "u-payee"}}},
		},
		{record: "unchanged-status"}, // a flag flipped, the status did not: nothing new happened
		{record: "insert-pending"},   // a transfer starting is not an event
		{
			record: "insert-held",
			want: []event.Event{{ID: "transfer:t-4:held", Type: event.TransferHeld, Time: at("2026-01-01T00:00:03Z"),
				Payload: event.Payload{TransferID: "t-4", Mode: "hold", Status: "HELD", AmountMinor: 900, Currency: "JPY",
					SourceWalletID: "w-src", DestinationWalletID: "w-dst", SourceOwnerID: "u-payer", DestinationOwnerID: "u-payee"}}},
		},
		{
			record: "released",
			want: []event.Event{{ID: "transfer:t-4:released", Type: event.TransferReleased, Time: at("2026-01-08T00:00:05Z"),
				Payload: event.Payload{TransferID: "t-4", Mode: "hold", Status: "RELEASED", AmountMinor: 900, Currency: "JPY",
					SourceOwnerID: "u-payer", DestinationOwnerID: "u-payee"}}},
		},
		{
			record: "failed",
			want: []event.Event{{ID: "transfer:t-5:failed", Type: event.TransferFailed, Time: at("2026-01-01T00:00:04Z"),
				Payload: event.Payload{TransferID: "t-5", Mode: "immediate", Status: "FAILED", FailureReason: "insufficient_funds",
					AmountMinor: 300, Currency: "USD", SourceOwnerID: "u-payer", DestinationOwnerID: "u-payee"}}},
		},
		{
			record: "needs-review",
			want: []event.Event{{ID: "transfer:t-6:needs_review", Type: event.TransferNeedsReview, Time: at("2026-01-01T00:00:06Z"),
				Payload: event.Payload{TransferID: "t-6", Mode: "immediate", Status: "NEEDS_REVIEW", FailureReason: "compensation_failed",
					AmountMinor: 400, Currency: "USD"}}},
		},
		{
			record: "completed-compact-steps", // steps as a list of strings
			want: []event.Event{{ID: "transfer:t-8:completed", Type: event.TransferCompleted, Time: at("2026-01-01T00:00:02Z"),
				Payload: event.Payload{TransferID: "t-8", Mode: "immediate", Status: "COMPLETED", AmountMinor: 250, Currency: "USD",
					SourceOwnerID: "u-payer", DestinationOwnerID: "u-payee"}}},
		},
		{
			record: "completed-steps-reshaped", // an item written before steps changed shape, completed after
			want: []event.Event{{ID: "transfer:t-10:completed", Type: event.TransferCompleted, Time: at("2026-01-01T00:00:02Z"),
				Payload: event.Payload{TransferID: "t-10", Mode: "immediate", Status: "COMPLETED", AmountMinor: 250, Currency: "USD",
					SourceOwnerID: "u-payer", DestinationOwnerID: "u-payee"}}},
		},
		{record: "capturing"},       // internal status: still held for the outside world
		{record: "remove-transfer"}, // deletes publish nothing
	}
	checkEventsOf(t, "stream-transfers.json", tests)
}

// TestEventsOfPaymentRequests: the expiry sweep's move publishes payment_request.expired,
// named by the request and the status, so a sweep's redelivered record is one event; a
// new request publishes payment_request.created with who asked.
func TestEventsOfPaymentRequests(t *testing.T) {
	tests := []streamCase{
		{
			record: "expired",
			want: []event.Event{{ID: "payment_request:r-1:expired", Type: event.PaymentRequestExpired, Time: at("2026-01-01T01:00:30Z"),
				Payload: event.Payload{PaymentRequestID: "r-1", Status: "EXPIRED", AmountMinor: 700, Currency: "USD",
					DestinationOwnerID: "u-payee", ToEmail: "ann@example.com"}}},
		},
		{record: "expired-unchanged"}, // no new status: nothing new happened
		{
			record: "created", // a new request carries its asker's verified email for the addressee's notice
			want: []event.Event{{ID: "payment_request:r-2:pending", Type: event.PaymentRequestCreated, Time: at("2026-01-01T00:00:00Z"),
				Payload: event.Payload{PaymentRequestID: "r-2", Status: "PENDING", AmountMinor: 700, Currency: "USD",
					DestinationOwnerID: "u-payee", ToEmail: "ann@example.com", FromEmail: "ben@example.com"}}},
		},
	}
	checkEventsOf(t, "stream-requests.json", tests)
}

func TestEventsOfRedeliveryIsStable(t *testing.T) {
	rec := streamRecords(t, "stream-transfers.json")["failed"]
	first, err := dynamo.EventsOf(rec)
	require.NoError(t, err)
	again, err := dynamo.EventsOf(rec)
	require.NoError(t, err)
	require.Len(t, first, 1)
	assert.Equal(t, first, again, "a redelivered record must yield the same event ids")
}

func TestEventsOfEntries(t *testing.T) {
	tests := []streamCase{
		{
			record: "credit-wallet-entry",
			want: []event.Event{{ID: "credit:p-credit-1", Type: event.CreditCompleted, Time: at("2026-01-02T10:00:00.123Z"),
				Payload: event.Payload{PostingID: "p-credit-1", AmountMinor: 2500, Currency: "USD", WalletID: "w-1", OwnerID: "u-1"}}},
		},
		{record: "credit-external-entry"}, // seq 0: the funding account's side of the same posting
		{
			record: "withdrawal-wallet-entry", // the event tells what left, as a positive amount
			want: []event.Event{{ID: "withdrawal:p-out-1", Type: event.WithdrawalCompleted, Time: at("2026-01-02T10:00:00.123Z"),
				Payload: event.Payload{PostingID: "p-out-1", AmountMinor: 1500, Currency: "USD", WalletID: "w-1", OwnerID: "u-1"}}},
		},
		{
			record: "reward-wallet-entry",
			want: []event.Event{{ID: "reward:redeem-abc", Type: event.RewardRedeemed, Time: at("2026-01-02T11:00:00Z"),
				Payload: event.Payload{PostingID: "redeem-abc", AmountMinor: 150, Currency: "USD", WalletID: "w-1", OwnerID: "u-1"}}},
		},
		{record: "transfer-wallet-entry"}, // transfer legs are announced by the transfer item
		{record: "credit-entry-modify"},   // entries are immutable; only their insert counts
		{record: "wallet-modify"},
		{record: "wallet-insert"},
		{record: "wallettx-index-insert"}, // no type attribute at all
	}
	checkEventsOf(t, "stream-entries.json", tests)
}

func TestEventsOfMalformedImage(t *testing.T) {
	recs := streamRecords(t, "stream-malformed.json")
	for _, id := range []string{
		"status-as-bool",
		"status-as-map",
		"old-status-as-list",
		"capture-amount-fraction",
		"entry-amount-as-string",
		"type-as-list",
		"updated-at-not-a-time",
	} {
		t.Run(id, func(t *testing.T) {
			rec, ok := recs[id]
			require.True(t, ok, "no record %q in testdata", id)
			got, err := dynamo.EventsOf(rec)
			assert.Error(t, err)
			assert.Empty(t, got)
		})
	}
}

func TestEventsOfDecodesNestedSteps(t *testing.T) {
	// The completed record's steps attribute is a list of maps; decoding it must
	// neither fail nor disturb the event (a converter that drops L or M values would).
	rec := streamRecords(t, "stream-transfers.json")["completed"]
	steps := rec.Change.NewImage["steps"]
	require.Equal(t, events.DataTypeList, steps.DataType())
	require.Len(t, steps.List(), 2)
	require.Equal(t, events.DataTypeMap, steps.List()[0].DataType())
	got, err := dynamo.EventsOf(rec)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "transfer:t-1:completed", got[0].ID)
}

func TestEventsOfEveryAttributeType(t *testing.T) {
	// Attributes of every DynamoDB type beside the ones the item uses must not break
	// the conversion from the stream's shape to the SDK's.
	raw := `{"type":{"S":"transfer"},"id":{"S":"t-7"},"status":{"S":"COMPLETED"},"capture_amount":{"N":"42"},
		"currency":{"S":"USD"},"updated_at":{"S":"2026-01-01T00:00:00Z"},
		"b":{"B":"AAEqQQ=="},"bs":{"BS":["AAEqQQ==","QSoBAA=="]},"ss":{"SS":["a","b"]},"ns":{"NS":["1","2"]},
		"nul":{"NULL":true},"flag":{"BOOL":false},
		"nested":{"M":{"l":{"L":[{"M":{"deep":{"L":[{"N":"1"},{"S":"x"},{"NULL":true}]}}}]}}}}`
	var img map[string]events.DynamoDBAttributeValue
	require.NoError(t, json.Unmarshal([]byte(raw), &img))
	got, err := dynamo.EventsOf(events.DynamoDBEventRecord{EventID: "x", EventName: "INSERT",
		Change: events.DynamoDBStreamRecord{NewImage: img, SequenceNumber: "1"}})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "transfer:t-7:completed", got[0].ID)
	assert.Equal(t, int64(42), got[0].Payload.AmountMinor)
}
