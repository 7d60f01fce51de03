//go:build integration

// Adapter tests against DynamoDB on the local engine (make test starts it and sets
// AWS_ENDPOINT_URL): real conditional failures and transaction cancellation reasons,
// each test on a table of its own that it deletes.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/conformance"
	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/reward"
	"github.com/serverless-wallet/wallet/internal/transfer"
	"github.com/serverless-wallet/wallet/internal/transfer/transfertest"
	"github.com/serverless-wallet/wallet/internal/user"
	"github.com/serverless-wallet/wallet/internal/wallet/wallettest"
)

// engineTable creates an on-demand table keyed by pk (and sk when withSort) and deletes
// it when the test ends.
// engineTable creates a table keyed by pk (and sk withSort), with a global secondary
// index (pk, attr) for each index name => attr in byAttr, every attribute projected.
// rewardsHistoryKey is the sort key of the rewards table's index of the history.
const rewardsHistoryKey = "h"

// rewardsIndex is the rewards table's index, for engineTable.
var rewardsIndex = map[string]string{RewardsByTime: rewardsHistoryKey}

func engineTable(t *testing.T, withSort bool, byAttr ...map[string]string) (*dynamodb.Client, string) {
	t.Helper()
	require.NotEmpty(t, os.Getenv("AWS_ENDPOINT_URL"), "run through make test: these tests need the local engine")
	cfg, err := config.LoadDefaultConfig(context.Background())
	require.NoError(t, err)
	db := dynamodb.NewFromConfig(cfg)
	name := fmt.Sprintf("adapter-test-%d", time.Now().UnixNano())
	attrs := []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}}
	keys := []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}}
	if withSort {
		attrs = append(attrs, ddbtypes.AttributeDefinition{AttributeName: aws.String("sk"), AttributeType: ddbtypes.ScalarAttributeTypeS})
		keys = append(keys, ddbtypes.KeySchemaElement{AttributeName: aws.String("sk"), KeyType: ddbtypes.KeyTypeRange})
	}
	var gsis []ddbtypes.GlobalSecondaryIndex
	for _, m := range byAttr {
		for index, attr := range m {
			attrs = append(attrs, ddbtypes.AttributeDefinition{AttributeName: aws.String(attr), AttributeType: ddbtypes.ScalarAttributeTypeS})
			projection := &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionTypeAll}
			if attr == rewardsHistoryKey { // the rewards history projects a line's attributes only, as template.yaml does
				projection = &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionTypeInclude, NonKeyAttributes: RewardsHistoryAttributes}
			}
			gsis = append(gsis, ddbtypes.GlobalSecondaryIndex{IndexName: aws.String(index), Projection: projection,
				KeySchema: []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash},
					{AttributeName: aws.String(attr), KeyType: ddbtypes.KeyTypeRange}}})
		}
	}
	_, err = db.CreateTable(context.Background(), &dynamodb.CreateTableInput{TableName: aws.String(name),
		AttributeDefinitions: attrs, KeySchema: keys, BillingMode: ddbtypes.BillingModePayPerRequest, GlobalSecondaryIndexes: gsis})
	var inUse *ddbtypes.ResourceInUseException
	if !errors.As(err, &inUse) { // the name is this test's: in use means the SDK sent the create twice (MINISTACK_GAPS 18)
		require.NoError(t, err)
	}
	t.Cleanup(func() {
		_, err := db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
		var gone *ddbtypes.ResourceNotFoundException
		if !errors.As(err, &gone) { // a delete the SDK sent again after its first answer was lost (MINISTACK_GAPS 18)
			assert.NoError(t, err)
		}
	})
	return db, name
}

func TestLimitsHitIsExactUnderConcurrency(t *testing.T) {
	db, table := engineTable(t, false)
	l := &Limits{DB: db, Table: table}
	const limit, callers = 10, 30
	var mu sync.Mutex
	counted := 0
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			hits, ok, err := l.Hit(context.Background(), "rate#money#user:u#0", limit, time.Now().Add(time.Hour))
			assert.NoError(t, err)
			assert.LessOrEqual(t, hits, int64(limit))
			if ok {
				mu.Lock()
				counted++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, limit, counted, "the condition lets exactly the limit through")
	hits, ok, err := l.Hit(context.Background(), "rate#money#user:u#0", limit, time.Now().Add(time.Hour))
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Equal(t, int64(limit), hits)
}

func TestRewardsEarnCountsTheDayInTheSameTransaction(t *testing.T) {
	db, table := engineTable(t, true, rewardsIndex)
	r := &Rewards{DB: db, Table: table}
	ctx := context.Background()
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	earning := func(id string, points, before int64) reward.Earning {
		var counted reward.DayCount // the balance, as read: it counts this day from the first earn on
		if before > 0 {
			counted = reward.DayCount{Day: "2026-05-01", Points: before}
		}
		return reward.Earning{UserID: "u", Day: "2026-05-01", Seen: reward.Standing{EarnedOnDay: before, Counted: counted}, GrantPoints: points, AmountMinor: points * 100,
			Entry: reward.Entry{ID: "earn-" + id, Points: points, Currency: "USD", Kind: reward.KindEarn, TransferID: id, CreatedAt: at}}
	}
	require.NoError(t, r.Earn(ctx, earning("t1", 100, 0)))
	require.NoError(t, r.Earn(ctx, earning("t1", 100, 100)), "a redelivered event is not an error")
	later := earning("t1", 100, 100)
	later.Entry.CreatedAt = at.Add(time.Hour) // a second event about the same transfer, at another time
	require.NoError(t, r.Earn(ctx, later), "a second event about the same transfer earns nothing")
	err := r.Earn(ctx, earning("t2", 50, 0))
	assert.ErrorIs(t, err, retry.ErrConflict, "a count read before another earn is stale")
	require.NoError(t, r.Earn(ctx, earning("t2", 50, 100)))

	st, err := r.Standing(ctx, "u", "USD", "2026-05-01")
	require.NoError(t, err)
	assert.Equal(t, int64(150), st.EarnedOnDay)
	items, _, balances, err := r.History(ctx, "u", 10, "")
	require.NoError(t, err)
	line := func(id string, points int64) reward.Entry {
		return reward.Entry{ID: "earn-" + id, Points: points, Currency: "USD", Kind: reward.KindEarn, TransferID: id, CreatedAt: at}
	}
	assert.Equal(t, []reward.Entry{line("t2", 50), line("t1", 100)}, items, "each transfer earned once, its claim its line, newest first")
	assert.Equal(t, []reward.Balance{{Currency: "USD", Points: 150}}, balances)
	first, next, _, err := r.History(ctx, "u", 1, "")
	require.NoError(t, err)
	rest, last, _, err := r.History(ctx, "u", 1, next)
	require.NoError(t, err)
	assert.Equal(t, []reward.Entry{line("t2", 50), line("t1", 100)}, append(first, rest...), "a page resumes after the last")
	none, _, _, err := r.History(ctx, "u", 1, last) // a full page may have a cursor with nothing after it
	require.NoError(t, err)
	assert.Empty(t, none)
	_, _, _, err = r.History(ctx, "u", 1, "bm90IGEgY3Vyc29y")
	assert.ErrorIs(t, err, op.ErrInvalidCursor)
	other, err := r.Standing(ctx, "u", "JPY", "2026-05-01")
	require.NoError(t, err)
	assert.Zero(t, other.EarnedOnDay, "each currency counts apart")
	claim, err := r.Claim(ctx, "u", "t1")
	require.NoError(t, err)
	assert.Equal(t, reward.Claim{Earned: true, Points: 100, AmountMinor: 10_000}, claim)
}

// sentTwice is what the SDK does when a connection breaks after DynamoDB applied a
// write: it sends the same request again. The first n writes of the wrapped client are
// sent twice; the caller sees the second answer only.
type sentTwice struct {
	API
	n int
}

func (s *sentTwice) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if s.n > 0 {
		s.n--
		if _, err := s.API.UpdateItem(ctx, in, opts...); err != nil && !isConditionFailed(err) {
			return nil, err
		}
	}
	return s.API.UpdateItem(ctx, in, opts...)
}

func (s *sentTwice) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if s.n > 0 {
		s.n--
		if _, err := s.API.PutItem(ctx, in, opts...); err != nil && !isConditionFailed(err) {
			return nil, err
		}
	}
	return s.API.PutItem(ctx, in, opts...)
}

// TestBeginSentTwiceHoldsTheClaim: a claim whose put is sent twice (its first answer
// lost) meets its own record and holds the key, instead of answering its own request
// 409 request_in_progress; another request's claim on the key still gets 409.
func TestBeginSentTwiceHoldsTheClaim(t *testing.T) {
	db, table := engineTable(t, false)
	ctx := context.Background()
	now := time.Now()
	claim := idempotency.NewClaim("user-twice", "key-1", "hash-1")
	twice := &Idempotency{DB: &sentTwice{API: db, n: 1}, Table: table}
	replay, err := twice.Begin(ctx, claim, now)
	require.NoError(t, err, "the claim's own record")
	assert.Nil(t, replay)

	plain := &Idempotency{DB: db, Table: table}
	_, err = plain.Begin(ctx, idempotency.NewClaim("user-twice", "key-1", "hash-1"), now)
	assert.ErrorIs(t, err, idempotency.ErrInProgress, "another request with the key waits")
	require.NoError(t, plain.Release(ctx, claim))
	_, err = plain.Begin(ctx, idempotency.NewClaim("user-twice", "key-1", "hash-1"), now)
	assert.NoError(t, err, "the claim was ours to release")
}

// TestCreateTransferOncePerID: a transfer is created by one conditional put; the same id
// again is transfer.ErrExists and changes nothing; its list entries are one per wallet
// however often they are written; a change needs the transfer it changes.
func TestCreateTransferOncePerID(t *testing.T) {
	db, table := engineTable(t, true)
	s := &Ledger{DB: db, Table: table}
	ctx := context.Background()
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	tr := transfer.Transfer{ID: transfer.IDFor("user-a", "key-1"), SourceWalletID: "w-src", DestinationWalletID: "w-dst",
		SourceOwnerID: "user-a", DestinationOwnerID: "user-b", AmountMinor: 500, CaptureMinor: 500, Currency: "USD",
		Mode: transfer.ModeImmediate, Status: transfer.StatusPending, CreatedAt: at, UpdatedAt: at, Version: 1,
		RequestHash: "0123456789abcdef0123456789abcdef"}
	require.NoError(t, s.CreateTransfer(ctx, tr))

	again := tr
	again.AmountMinor, again.RequestHash = 900, "fedcba9876543210fedcba9876543210"
	require.ErrorIs(t, s.CreateTransfer(ctx, again), transfer.ErrExists)
	stored, err := s.Transfer(ctx, tr.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(500), stored.AmountMinor, "the first write stands")
	assert.Equal(t, tr.RequestHash, stored.RequestHash)

	require.NoError(t, s.IndexTransfer(ctx, tr))
	require.NoError(t, s.IndexTransfer(ctx, stored))
	for _, w := range []string{"w-src", "w-dst"} {
		out, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: aws.String("pk = :pk"),
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":pk": &ddbtypes.AttributeValueMemberS{Value: walletTxPK(w)}}})
		require.NoError(t, err)
		assert.Len(t, out.Items, 1, "wallet %s lists the transfer once", w)
	}
	page, _, err := s.TransfersOfWallets(ctx, []string{"w-src", "w-dst"}, 10, "")
	require.NoError(t, err)
	require.Len(t, page, 1, "a transfer between two listed wallets is listed once")
	assert.Equal(t, tr.ID, page[0].ID)

	assert.Error(t, s.CommitTransfer(ctx, transfer.Change{After: tr}), "a change without Before is refused")
}

// TestLedgerConformsAsATransferStore: the DynamoDB store passes the suite the unit
// tests' fake (internal/memstore) passes (internal/transfer/transfertest).
func TestLedgerConformsAsATransferStore(t *testing.T) {
	transfertest.Run(t, func(t *testing.T) transfertest.Fixture {
		db, table := engineTable(t, true)
		s := &Ledger{DB: db, Table: table}
		src := ledger.Wallet{ID: uuid.NewString(), OwnerID: "owner-a", Currency: "USD", BalanceMinor: transfertest.FundedMinor,
			Status: ledger.StatusActive, Version: 1, CreatedAt: conformance.At, UpdatedAt: conformance.At}
		dst := ledger.Wallet{ID: uuid.NewString(), OwnerID: "owner-b", Currency: "USD", Status: ledger.StatusActive, Version: 1,
			CreatedAt: conformance.At, UpdatedAt: conformance.At}
		require.NoError(t, s.CreateWallet(context.Background(), src))
		require.NoError(t, s.CreateWallet(context.Background(), dst))
		return transfertest.Fixture{Store: s, Source: src, Destination: dst}
	})
}

// TestLedgerConformsAsAWalletStore: the DynamoDB store passes the suite the unit tests'
// fake (internal/memstore) passes (internal/wallet/wallettest).
func TestLedgerConformsAsAWalletStore(t *testing.T) {
	wallettest.Run(t, func(t *testing.T) wallettest.Fixture {
		db, table := engineTable(t, true)
		s := &Ledger{DB: db, Table: table}
		w := ledger.Wallet{ID: uuid.NewString(), OwnerID: "owner-a", Currency: "USD", Status: ledger.StatusActive, Version: 1,
			CreatedAt: conformance.At, UpdatedAt: conformance.At}
		require.NoError(t, s.CreateWallet(context.Background(), w))
		return wallettest.Fixture{Store: s, Wallet: w}
	})
}

func TestCreateUserTakenEmail(t *testing.T) {
	db, table := engineTable(t, false)
	s := &Users{DB: db, Table: table}
	ctx := context.Background()
	first := user.User{ID: uuid.NewString(), Email: "a@example.com", Name: "A", Role: "user", CreatedAt: time.Now().UTC()}
	require.NoError(t, s.Create(ctx, first, testCode(first.ID, "h1")))

	second := first
	second.ID = uuid.NewString()
	require.ErrorIs(t, s.Create(ctx, second, testCode(second.ID, "h2")), user.ErrEmailTaken)
	_, err := s.ByID(ctx, second.ID)
	assert.ErrorIs(t, err, problem.ErrNotFound, "the refused user is not written")
	_, err = s.Code(ctx, second.ID, user.PurposeVerify)
	assert.ErrorIs(t, err, problem.ErrNotFound, "nor its code")
	got, err := s.ByEmail(ctx, first.Email)
	require.NoError(t, err)
	assert.Equal(t, first.ID, got.ID, "the email stays with its first owner")
}

// TestLedgerConformsAsAShardStore: receive shards on the local engine keep the rules
// the fake keeps (internal/wallet/wallettest), and the ledger check passes on each case.
func TestLedgerConformsAsAShardStore(t *testing.T) {
	wallettest.RunShards(t, func(t *testing.T) wallettest.ShardFixture {
		db, table := engineTable(t, true)
		s := &Ledger{DB: db, Table: table}
		payer := ledger.Wallet{ID: uuid.NewString(), OwnerID: "owner-a", Currency: "USD", BalanceMinor: wallettest.PayerFundedMinor,
			Status: ledger.StatusActive, Version: 1, CreatedAt: conformance.At, UpdatedAt: conformance.At}
		merchant := ledger.Wallet{ID: uuid.NewString(), OwnerID: "owner-b", Currency: "USD", Status: ledger.StatusActive, Version: 1,
			ReceiveShards: wallettest.MerchantShards, CreatedAt: conformance.At, UpdatedAt: conformance.At}
		require.NoError(t, s.CreateWallet(context.Background(), payer))
		require.NoError(t, s.CreateWallet(context.Background(), merchant))
		t.Cleanup(func() {
			snap, err := s.Snapshot(context.Background())
			require.NoError(t, err)
			require.Len(t, snap.Shards, wallettest.MerchantShards)
			// the payer was opened funded, with no opening posting: give it one for the check
			snap.Entries = append(snap.Entries, ledger.Entry{ID: "opening:0", PostingID: "opening", Account: payer.ID, Currency: "USD",
				AmountMinor: wallettest.PayerFundedMinor, Kind: ledger.KindCredit}, ledger.Entry{ID: "opening:1", PostingID: "opening",
				Account: "external:funding:USD", Currency: "USD", AmountMinor: -wallettest.PayerFundedMinor, Kind: ledger.KindCredit})
			snap.ExternalBalances["external:funding:USD"] -= wallettest.PayerFundedMinor
			for i := range snap.Wallets {
				if snap.Wallets[i].ID == payer.ID {
					snap.Wallets[i].EntryCount++
				}
			}
			r := ledger.Check(snap)
			assert.True(t, r.OK, "%v", r.Violations)
		})
		return wallettest.ShardFixture{Store: s, Payer: payer, Merchant: merchant}
	})
}
