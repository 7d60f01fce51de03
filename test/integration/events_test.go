//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const eventWaitSecondsMax = 30

type notificationView struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Message    string `json:"message"`
	TransferID string `json:"transfer_id"`
	Read       bool   `json:"read"`
}

type notificationsPage struct {
	Items       []notificationView `json:"items"`
	UnreadCount int64              `json:"unread_count"`
}

type rewardsPage struct {
	Balances []struct {
		Currency string `json:"currency"`
		Points   int64  `json:"points"`
	} `json:"balances"`
	Items []struct {
		ID         string `json:"id"`
		Points     int64  `json:"points"`
		Currency   string `json:"currency"`
		Kind       string `json:"kind"`
		TransferID string `json:"transfer_id"`
	} `json:"items"`
}

// PointsBalance is the page's USD points, where every test but the currency ones earns.
func (p rewardsPage) PointsBalance() int64 { return p.points("USD") }

func (p rewardsPage) points(currency string) int64 {
	for _, b := range p.Balances {
		if b.Currency == currency {
			return b.Points
		}
	}
	return 0
}

func notifications(t *testing.T, token string) notificationsPage {
	t.Helper()
	return get[notificationsPage](t, token, "/v1/notifications?limit=100")
}

func rewards(t *testing.T, token string) rewardsPage {
	t.Helper()
	return get[rewardsPage](t, token, "/v1/rewards?limit=100")
}

// eventDeadline is when an event published now must have been handled.
func eventDeadline() time.Time { return time.Now().Add(eventWaitSecondsMax * time.Second) }

func countOf(p notificationsPage, typ, transferID string) int {
	n := 0
	for _, it := range p.Items {
		if it.Type == typ && it.TransferID == transferID {
			n++
		}
	}
	return n
}

// publishEvent publishes a raw message to the wallet events topic with the SDK, as the
// publisher does (or as a redelivery would).
func publishEvent(t *testing.T, typ, body string) {
	t.Helper()
	_, err := sns.NewFromConfig(awsConfig(t)).Publish(context.Background(), &sns.PublishInput{
		TopicArn: aws.String(stackOutputs(t)["WalletEventsTopicArn"]), Message: aws.String(body),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{"type": {DataType: aws.String("String"), StringValue: aws.String(typ)}},
	})
	require.NoError(t, err)
}

func completedEvent(id, transferID, payer, payee string, amount int64, at time.Time) string {
	b, _ := json.Marshal(map[string]any{"id": id, "type": "transfer.completed", "time": at.UTC(), "payload": map[string]any{
		"transfer_id": transferID, "mode": "immediate", "status": "COMPLETED", "amount": amount, "currency": "USD",
		"source_owner_id": payer, "destination_owner_id": payee}})
	return string(b)
}

func TestTransferEvents(t *testing.T) {
	a, wa := funded(t, "evt-a", 50_000)
	b, wb := funded(t, "evt-b", 0)
	id := createTransfer(t, a.Token, "evt-1", transferBody(wa.ID, wb.ID, 12_345)).ID

	notifiedOnce := func() bool {
		return countOf(notifications(t, a.Token), "transfer.completed", id) == 1 && countOf(notifications(t, b.Token), "transfer.completed", id) == 1
	}
	rewardedOnce := func() bool {
		return rewards(t, a.Token).PointsBalance() == 123 && rewards(t, b.Token).PointsBalance() == 0
	}
	eventually(t, eventDeadline(), "both parties are notified", notifiedOnce)
	eventually(t, eventDeadline(), "the payer earns 123 points, the payee none", rewardedOnce)
	consistently(t, lateDuplicateWindow, "one notification each, 123 points for the payer, none for the payee", func() bool {
		return notifiedOnce() && rewardedOnce()
	})
	na := notifications(t, a.Token)
	assert.Equal(t, 1, countOf(na, "credit.completed", ""), "the funding credit was notified too")
	for _, n := range na.Items {
		if n.TransferID == id {
			assert.Equal(t, "You sent 123.45 USD.", n.Message)
		}
	}

	t.Run("a failed transfer tells the payer", func(t *testing.T) {
		r := postTransfer(t, a.Token, "evt-fail", transferBody(wa.ID, wb.ID, 1_000_000))
		require.Equal(t, http.StatusUnprocessableEntity, r.Status)
		fid := transferIDOf(t, r)
		notifiedOnce := func() bool {
			return countOf(notifications(t, a.Token), "transfer.failed", fid) == 1 && countOf(notifications(t, b.Token), "transfer.failed", fid) == 0
		}
		eventually(t, eventDeadline(), "failure notified", notifiedOnce)
		consistently(t, lateDuplicateWindow, "one failure notification, to the payer only", notifiedOnce)
	})

	t.Run("a redelivered event changes nothing", func(t *testing.T) {
		before := rewards(t, a.Token).PointsBalance()
		// The same event again: id, type, time (the transfer's last update) and payload.
		var tv struct {
			UpdatedAt time.Time `json:"updated_at"`
		}
		decode(t, do(t, call{method: "GET", path: "/v1/transfers/" + id, token: a.Token}), &tv)
		publishEvent(t, "transfer.completed", completedEvent("transfer:"+id+":completed", id, a.ID, b.ID, 12_345, tv.UpdatedAt))
		// A marker published after the duplicate: once it is handled, the duplicate
		// normally is too; the window below also covers one delivered or retried later.
		marker := "marker-" + runID
		publishEvent(t, "transfer.completed", completedEvent("transfer:"+marker+":completed", marker, a.ID, b.ID, 100, time.Now()))
		eventually(t, eventDeadline(), "the marker is handled", func() bool {
			return countOf(notifications(t, a.Token), "transfer.completed", marker) == 1 && rewards(t, a.Token).PointsBalance() == before+1
		})
		consistently(t, lateDuplicateWindow, "one notification each and one reward", func() bool {
			return countOf(notifications(t, a.Token), "transfer.completed", id) == 1 &&
				countOf(notifications(t, b.Token), "transfer.completed", id) == 1 &&
				rewards(t, a.Token).PointsBalance() == before+1
		})
	})
	requireLedgerConsistent(t)
}

func TestPoisonMessageGoesToDeadLetterQueue(t *testing.T) {
	a := signupAndLogin(t, "poison")
	poison := "{not json " + runID
	publishEvent(t, "transfer.completed", poison)
	good := "good-" + runID
	publishEvent(t, "transfer.completed", completedEvent("transfer:"+good+":completed", good, a.ID, a.ID, 500, time.Now()))
	eventually(t, eventDeadline(), "the good message is handled", func() bool {
		return countOf(notifications(t, a.Token), "transfer.completed", good) == 1
	})

	out := stackOutputs(t)
	for _, dlq := range []string{"NotificationsDLQUrl", "RewardsDLQUrl"} {
		found := receiveMatching(t, out[dlq], deadLetterWait, func(body string) bool { return strings.HasPrefix(body, poison) })
		assert.True(t, found, "the poison message is in %s", dlq)
	}
}

func TestConcurrentRedemptions(t *testing.T) {
	const redemptions, affordable, pointsEach = 30, 20, 100
	a, wa := funded(t, "redeem", 200_000)
	_, wb := funded(t, "redeem-b", 0)
	for i := 0; i < 2; i++ { // 2 × 1000 points (the per-transfer cap)
		r := postTransfer(t, a.Token, fmt.Sprintf("earn-%d", i), transferBody(wa.ID, wb.ID, 100_000))
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	}
	eventually(t, eventDeadline(), "2000 points", func() bool { return rewards(t, a.Token).PointsBalance() == affordable*pointsEach })
	before := getWallet(t, a.Token, wa.ID).Balance

	replies := concurrently(t, redemptions, func(i int) (reply, error) {
		return send(call{method: "POST", path: "/v1/rewards/redeem", token: a.Token, headers: map[string]string{"Idempotency-Key": fmt.Sprintf("r-%d", i)},
			body: map[string]any{"points": pointsEach, "wallet_id": wa.ID}})
	})
	ok, refused := 0, 0
	for i, r := range replies {
		switch {
		case r.Status == http.StatusCreated:
			ok++
		case r.Status == http.StatusUnprocessableEntity && r.ErrorCode() == "insufficient_points":
			refused++
		default:
			t.Errorf("redemption %d: %d %s", i, r.Status, r.Body)
		}
	}
	assert.Equal(t, affordable, ok)
	assert.Equal(t, redemptions-affordable, refused)
	assert.Zero(t, rewards(t, a.Token).PointsBalance())
	assert.Equal(t, before+affordable*pointsEach, getWallet(t, a.Token, wa.ID).Balance, "points and money moved together")

	t.Run("refusals", func(t *testing.T) {
		other := createWallet(t, signupAndLogin(t, "redeem-c").Token, "USD")
		for _, tt := range []struct {
			key    string
			body   map[string]any
			status int
			code   string // the function's
			at     door
		}{
			{"", map[string]any{"points": 1, "wallet_id": wa.ID}, 400, "idempotency_key_required", missingParameters},
			{"z", map[string]any{"points": 0, "wallet_id": wa.ID}, 400, "invalid_points", badBody},
			{"f", map[string]any{"points": 1.5, "wallet_id": wa.ID}, 400, "invalid_type", badBody},
			{"n", map[string]any{"points": 1, "wallet_id": wa.ID}, 422, "insufficient_points", pastTheDoor},
			{"o", map[string]any{"points": 1, "wallet_id": other.ID}, 404, "not_found", pastTheDoor},
		} {
			c := call{method: "POST", path: "/v1/rewards/redeem", token: a.Token, body: tt.body}
			if tt.key != "" {
				c.headers = map[string]string{"Idempotency-Key": tt.key}
			}
			expectRefusal(t, c, a, tt.status, tt.code, tt.at)
		}
	})
	eventually(t, eventDeadline(), "redemption events", func() bool {
		r := do(t, call{method: "GET", path: "/v1/wallets/" + wa.ID + "/entries?limit=200", token: a.Token})
		return strings.Count(string(r.Body), `"kind":"reward"`) == affordable
	})
	requireLedgerConsistent(t)
}

func TestNotificationsAreOwnAndMarkable(t *testing.T) {
	a, wa := funded(t, "own-a", 1000)
	b, _ := funded(t, "own-b", 1000)
	eventually(t, eventDeadline(), "credit notifications", func() bool {
		return len(notifications(t, a.Token).Items) == 1 && len(notifications(t, b.Token).Items) == 1
	})
	na, nb := notifications(t, a.Token), notifications(t, b.Token)
	assert.NotEqual(t, na.Items[0].ID, nb.Items[0].ID)
	assert.EqualValues(t, 1, na.UnreadCount)

	r := do(t, call{method: "POST", path: "/v1/notifications/" + nb.Items[0].ID + "/read", token: a.Token})
	assert.Equal(t, http.StatusNotFound, r.Status, "another user's notification")
	r = do(t, call{method: "POST", path: "/v1/notifications/" + na.Items[0].ID + "/read", token: a.Token})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	na = notifications(t, a.Token)
	assert.True(t, na.Items[0].Read)
	assert.Zero(t, na.UnreadCount)
	assert.EqualValues(t, 1, notifications(t, b.Token).UnreadCount, "b's are untouched")

	credit(t, a.Token, wa.ID, "second", 5)
	eventually(t, eventDeadline(), "second notification", func() bool { return notifications(t, a.Token).UnreadCount == 1 })
	r = do(t, call{method: "POST", path: "/v1/notifications/read-all", token: a.Token})
	require.Equal(t, http.StatusOK, r.Status)
	na = notifications(t, a.Token)
	assert.Zero(t, na.UnreadCount)
	for _, n := range na.Items {
		assert.True(t, n.Read)
	}
	assert.Zero(t, rewards(t, b.Token).PointsBalance())
	r = do(t, call{method: "GET", path: "/v1/notifications?limit=0", token: a.Token})
	assert.Equal(t, http.StatusBadRequest, r.Status)
}
