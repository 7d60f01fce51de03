//go:build integration

package dynamo

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/payrequest"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// expiryFixture makes requests and the transfers that pay them on an engine table.
type expiryFixture struct {
	t   *testing.T
	s   *Ledger
	ctx context.Context
	now time.Time
}

func newExpiryFixture(t *testing.T) expiryFixture {
	db, table := engineTable(t, true)
	return expiryFixture{t: t, s: &Ledger{DB: db, Table: table}, ctx: context.Background(), now: time.Now().UTC().Truncate(time.Millisecond)}
}

// open creates a PENDING request expiring at expires (made a day before it).
func (f expiryFixture) open(id string, expires time.Time) payrequest.Request {
	at := expires.Add(-24 * time.Hour)
	r := payrequest.Request{ID: id, PayeeID: "payee", ToEmail: "ann@example.com", AmountMinor: 700, Currency: "USD",
		Status: payrequest.StatusPending, RequestHash: "h", CreatedAt: at, UpdatedAt: at, ExpiresAt: expires, Version: 1}
	stored, err := f.s.CreateRequest(f.ctx, r)
	require.NoError(f.t, err)
	require.Nil(f.t, stored)
	return r
}

// paying is a transfer that pays r, created at.
func (f expiryFixture) paying(id string, r payrequest.Request, at time.Time) transfer.Transfer {
	return transfer.Transfer{ID: id, SourceWalletID: "w1", DestinationWalletID: "w2", SourceOwnerID: "payer", DestinationOwnerID: "payee",
		AmountMinor: r.AmountMinor, CaptureMinor: r.AmountMinor, Currency: r.Currency, Mode: transfer.ModeImmediate, Status: transfer.StatusPending,
		CreatedAt: at, UpdatedAt: at, Version: 1, RequestHash: id, RequestID: r.ID, RequestExpiresAt: r.ExpiresAt}
}

func (f expiryFixture) status(id string) payrequest.Status {
	got, err := f.s.Request(f.ctx, id)
	require.NoError(f.t, err)
	return got.Status
}

// due lists every request due by at, walking the whole index in pages of two.
func (f expiryFixture) due(at time.Time) []string {
	var ids []string
	after := ""
	for range RequestBuckets + 10 {
		page, next, err := f.s.DueRequests(f.ctx, at, 2, after)
		require.NoError(f.t, err)
		for _, d := range page {
			ids = append(ids, d.ID)
		}
		if next == "" {
			return ids
		}
		after = next
	}
	f.t.Fatal("the index did not end")
	return nil
}

// hasEntry tells whether r's expiry entry is stored.
func (f expiryFixture) hasEntry(r payrequest.Request) bool {
	out, err := f.s.DB.GetItem(f.ctx, &dynamodb.GetItemInput{TableName: aws.String(f.s.Table),
		Key: requestDueKey(payrequest.Due{ID: r.ID, ExpiresAt: r.ExpiresAt}), ConsistentRead: aws.Bool(true)})
	require.NoError(f.t, err)
	return len(out.Item) > 0
}

// TestRequestExpirySweepOnTheEngine: the index lists exactly the PENDING requests due
// by now; the sweep stores EXPIRED on those, once (a second sweep moves nothing), and
// leaves alone a request declined, cancelled or being paid before its expiry and one
// not yet due.
func TestRequestExpirySweepOnTheEngine(t *testing.T) {
	f := newExpiryFixture(t)
	due := f.open("due", f.now.Add(-time.Second))
	exact := f.open("exact", f.now) // expires_ms == now: due
	later := f.open("later", f.now.Add(time.Hour))
	declined := f.open("declined", f.now.Add(-time.Minute))
	_, err := f.s.MoveRequest(f.ctx, declined, payrequest.StatusDeclined, "payer", f.now.Add(-2*time.Minute))
	require.NoError(t, err)
	cancelled := f.open("cancelled", f.now.Add(-time.Minute))
	_, err = f.s.MoveRequest(f.ctx, cancelled, payrequest.StatusCancelled, "payee", f.now.Add(-2*time.Minute))
	require.NoError(t, err)
	paid := f.open("paid", f.now.Add(-time.Minute))
	require.NoError(t, f.s.CreateTransfer(f.ctx, f.paying("t-paid", paid, f.now.Add(-2*time.Minute))))

	for _, r := range []payrequest.Request{declined, cancelled, paid} {
		assert.False(t, f.hasEntry(r), "%s left the index in the write that closed it", r.ID)
	}
	assert.ElementsMatch(t, []string{"due", "exact"}, f.due(f.now), "only open requests due by now")

	tests := []struct {
		name string
		r    payrequest.Request
		want payrequest.Status
		ok   bool
	}{
		{"due", due, payrequest.StatusExpired, true},
		{"due at now", exact, payrequest.StatusExpired, true},
		{"not yet due", later, payrequest.StatusPending, false},
		{"declined", declined, payrequest.StatusDeclined, false},
		{"cancelled", cancelled, payrequest.StatusCancelled, false},
		{"paying", paid, payrequest.StatusPaying, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := payrequest.Due{ID: tt.r.ID, ExpiresAt: tt.r.ExpiresAt}
			moved, err := f.s.ExpireRequest(f.ctx, d, f.now)
			require.NoError(t, err)
			assert.Equal(t, tt.ok, moved)
			before, err := f.s.Request(f.ctx, tt.r.ID)
			require.NoError(t, err)
			assert.Equal(t, tt.want, before.Status)
			again, err := f.s.ExpireRequest(f.ctx, d, f.now)
			require.NoError(t, err)
			assert.False(t, again, "applied twice: nothing the second time")
			after, err := f.s.Request(f.ctx, tt.r.ID)
			require.NoError(t, err)
			assert.Equal(t, before, after, "the second sweep changed nothing")
			assert.Equal(t, tt.want == payrequest.StatusPending, f.hasEntry(tt.r), "an entry while, and only while, it is open")
		})
	}
	assert.Empty(t, f.due(f.now), "nothing due is left")
	assert.Equal(t, []string{"later"}, f.due(f.now.Add(2*time.Hour)), "the open one is due in its time")
	_, err = f.s.MoveRequest(f.ctx, due, payrequest.StatusCancelled, "payee", f.now.Add(-2*time.Second))
	assert.ErrorIs(t, err, payrequest.ErrExpired, "a stored EXPIRED is refused as expired")
}

// TestRequestExpiryRacesAPayment: a sweep and a payment of one request (begun just
// before its expiry), in either order and at once: exactly one wins, and the request
// is out of the expiry index either way. A payment that fails reopens the request and
// puts its entry back, so the sweep then expires it.
func TestRequestExpiryRacesAPayment(t *testing.T) {
	f := newExpiryFixture(t)
	payAt := f.now.Add(-time.Millisecond) // the payment began just before the expiry

	payFirst := f.open("pay-first", f.now)
	require.NoError(t, f.s.CreateTransfer(f.ctx, f.paying("t-pay-first", payFirst, payAt)))
	moved, err := f.s.ExpireRequest(f.ctx, payrequest.Due{ID: payFirst.ID, ExpiresAt: payFirst.ExpiresAt}, f.now)
	require.NoError(t, err)
	assert.False(t, moved, "the payment won")
	assert.Equal(t, payrequest.StatusPaying, f.status(payFirst.ID))
	assert.False(t, f.hasEntry(payFirst))

	sweepFirst := f.open("sweep-first", f.now)
	moved, err = f.s.ExpireRequest(f.ctx, payrequest.Due{ID: sweepFirst.ID, ExpiresAt: sweepFirst.ExpiresAt}, f.now)
	require.NoError(t, err)
	assert.True(t, moved, "the sweep won")
	assert.ErrorIs(t, f.s.CreateTransfer(f.ctx, f.paying("t-sweep-first", sweepFirst, payAt)), payrequest.ErrExpired)
	assert.Equal(t, payrequest.StatusExpired, f.status(sweepFirst.ID))
	assert.False(t, f.hasEntry(sweepFirst))
	_, err = f.s.Transfer(f.ctx, "t-sweep-first")
	assert.Error(t, err, "the refused payment wrote no transfer")

	const races = 8
	var wg sync.WaitGroup
	start := make(chan struct{})
	swept := make([]bool, races)
	sweepErrs, payErrs := make([]error, races), make([]error, races)
	reqs := make([]payrequest.Request, races)
	for i := range races {
		reqs[i] = f.open(fmt.Sprintf("race-%d", i), f.now)
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			swept[i], sweepErrs[i] = f.s.ExpireRequest(f.ctx, payrequest.Due{ID: reqs[i].ID, ExpiresAt: reqs[i].ExpiresAt}, f.now)
		}()
		go func() {
			defer wg.Done()
			<-start
			payErrs[i] = f.s.CreateTransfer(f.ctx, f.paying(fmt.Sprintf("t-race-%d", i), reqs[i], payAt))
		}()
	}
	close(start)
	wg.Wait()
	for i, r := range reqs {
		paid := payErrs[i] == nil
		if sweepErrs[i] != nil { // a lost race the service decides again (retry.Conflicts)
			assert.ErrorIs(t, sweepErrs[i], retry.ErrConflict, r.ID)
		}
		if !paid {
			assert.ErrorIs(t, payErrs[i], payrequest.ErrExpired, r.ID)
		}
		want := map[bool]payrequest.Status{true: payrequest.StatusPaying, false: payrequest.StatusExpired}[paid]
		assert.Equal(t, want, f.status(r.ID), r.ID)
		assert.False(t, paid && swept[i], "%s: both won", r.ID)
		assert.False(t, f.hasEntry(r), "%s: out of the index either way", r.ID)
	}

	reopened := f.open("reopened", f.now.Add(-time.Second))
	tr := f.paying("t-reopened", reopened, f.now.Add(-2*time.Second))
	require.NoError(t, f.s.CreateTransfer(f.ctx, tr))
	assert.False(t, f.hasEntry(reopened))
	failed := tr
	failed.Status, failed.Version = transfer.StatusFailed, 2
	require.NoError(t, f.s.CommitTransfer(f.ctx, transfer.Change{Before: &tr, After: failed}))
	assert.True(t, f.hasEntry(reopened), "reopened: back in the index")
	assert.Equal(t, []string{"reopened"}, f.due(f.now))
	moved, err = f.s.ExpireRequest(f.ctx, payrequest.Due{ID: reopened.ID, ExpiresAt: reopened.ExpiresAt}, f.now)
	require.NoError(t, err)
	assert.True(t, moved)
	assert.Equal(t, payrequest.StatusExpired, f.status(reopened.ID))
}

// TestLeftoverExpiryEntryIsDroppedOnlyWhenClosed: the sweep drops an entry it finds
// beside a request that is no longer PENDING (or is gone), on condition that the request
// is still not PENDING when the delete lands; a request open again (a failed payment
// reopened it and put its entry back) keeps its entry. Each applied twice.
func TestLeftoverExpiryEntryIsDroppedOnlyWhenClosed(t *testing.T) {
	f := newExpiryFixture(t)
	stray := func(r payrequest.Request) {
		item := requestDueKey(payrequest.Due{ID: r.ID, ExpiresAt: r.ExpiresAt})
		item["request_id"] = &ddbtypes.AttributeValueMemberS{Value: r.ID}
		_, err := f.s.DB.PutItem(f.ctx, &dynamodb.PutItemInput{TableName: aws.String(f.s.Table), Item: item})
		require.NoError(t, err)
	}
	paying := f.open("leftover-paying", f.now.Add(-time.Minute))
	require.NoError(t, f.s.CreateTransfer(f.ctx, f.paying("t-leftover", paying, f.now.Add(-2*time.Minute))))
	stray(paying)
	open := f.open("leftover-open", f.now.Add(-time.Minute))
	gone := payrequest.Request{ID: "leftover-gone", ExpiresAt: f.now.Add(-time.Minute)}
	stray(gone)

	tests := []struct {
		name  string
		r     payrequest.Request
		keeps bool
	}{
		{"paying: dropped", paying, false},
		{"open: kept", open, true},
		{"gone: dropped", gone, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.True(t, f.hasEntry(tt.r))
			for range 2 {
				require.NoError(t, f.s.dropLeftoverDue(f.ctx, payrequest.Due{ID: tt.r.ID, ExpiresAt: tt.r.ExpiresAt}))
				assert.Equal(t, tt.keeps, f.hasEntry(tt.r))
			}
		})
	}
	assert.Equal(t, payrequest.StatusPending, f.status(open.ID), "the open request itself is untouched")
}
