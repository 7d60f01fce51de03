//go:build integration

package integration

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const merchantShards = 8

// storedBalances reads, past the API, the wallet item's balance and each receive
// shard's: where the money of a sharded wallet is.
func storedBalances(t *testing.T, walletID string) (item int64, shards []int64) {
	t.Helper()
	db, table := ledgerTable(t)
	read := func(pk string) int64 {
		out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
			Key: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: pk}, "sk": &ddbtypes.AttributeValueMemberS{Value: "WALLET"}}})
		require.NoError(t, err)
		require.NotEmpty(t, out.Item, "item %s", pk)
		var it struct {
			Balance int64 `dynamodbav:"balance"`
		}
		require.NoError(t, attributevalue.UnmarshalMap(out.Item, &it))
		return it.Balance
	}
	item = read("WALLET#" + walletID)
	for k := 1; k <= merchantShards; k++ {
		shards = append(shards, read(fmt.Sprintf("WALLET#%s#RS#%d", walletID, k)))
	}
	return item, shards
}

func sum(xs []int64) int64 {
	var s int64
	for _, x := range xs {
		s += x
	}
	return s
}

// TestShardedMerchantWallet: a wallet opened with receive shards takes many payers'
// transfers at once on its shards (not its wallet item), reads as the sum, pays out
// beyond its wallet item by sweeping the shards (exactly once), refuses money into its
// shards while frozen, and the ledger check stays exact.
func TestShardedMerchantWallet(t *testing.T) {
	const payers, perPayer, payMinor, creditMinor = 4, 5, 70, 1_000
	m := signupAndLogin(t, "merchant")
	bad := do(t, call{method: "POST", path: "/v1/wallets", token: m.Token, body: map[string]any{"currency": "USD", "receive_shards": 17}})
	assert.Equal(t, http.StatusBadRequest, bad.Status, "%s", bad.Body)
	r := do(t, call{method: "POST", path: "/v1/wallets", token: m.Token, body: map[string]any{"currency": "USD", "receive_shards": merchantShards}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	var mw struct {
		walletView
		ReceiveShards int `json:"receive_shards"`
	}
	decode(t, r, &mw)
	require.Equal(t, merchantShards, mw.ReceiveShards)
	require.Equal(t, http.StatusCreated, credit(t, m.Token, mw.ID, "merchant-float", creditMinor).Status, "a credit goes to the wallet item")

	type party struct {
		acct   account
		wallet walletView
	}
	ps := make([]party, payers)
	for i := range ps {
		a, w := funded(t, fmt.Sprintf("payer-%d", i), 10_000)
		ps[i] = party{a, w}
	}
	var wg sync.WaitGroup
	errs := make(chan error, payers*perPayer)
	ids := make(chan string, payers*perPayer)
	for i, p := range ps {
		for j := range perPayer {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := sendTransfer(p.acct.Token, fmt.Sprintf("pay-%d-%d", i, j), transferBody(p.wallet.ID, mw.ID, payMinor))
				if err == nil && r.Status != http.StatusCreated && r.Status != http.StatusAccepted {
					err = fmt.Errorf("payer %d: %d %s", i, r.Status, r.Body)
				}
				if err == nil {
					var id string
					if id, err = transferIDIn(r); err == nil {
						final, ferr := awaitFinal(p.acct.Token, id)
						if err = ferr; err == nil && final.Status != "COMPLETED" {
							err = fmt.Errorf("transfer %s ended %s", id, final.Status)
						}
						ids <- id
					}
				}
				errs <- err
			}()
		}
	}
	wg.Wait()
	close(errs)
	close(ids)
	for err := range errs {
		require.NoError(t, err)
	}
	received := int64(payers * perPayer * payMinor)

	// A held payment captured later lands on a shard too.
	hold := createTransfer(t, ps[0].acct.Token, "merchant-hold", transferBody(ps[0].wallet.ID, mw.ID, 50, "mode", "hold"))
	require.Equal(t, "HELD", hold.Status)
	c := do(t, call{method: "POST", path: "/v1/transfers/" + hold.ID + "/capture", token: ps[0].acct.Token,
		headers: map[string]string{"Idempotency-Key": "merchant-capture"}})
	require.Equal(t, http.StatusOK, c.Status, "%s", c.Body)
	received += 50

	item, shards := storedBalances(t, mw.ID)
	assert.EqualValues(t, creditMinor, item, "no transfer wrote the wallet item")
	assert.Equal(t, received, sum(shards), "every transfer is on a shard")
	nonEmpty := 0
	for _, b := range shards {
		if b > 0 {
			nonEmpty++
		}
	}
	assert.Greater(t, nonEmpty, 1, "transfers spread over the shards: %v", shards)

	balance := creditMinor + received
	w := getWallet(t, m.Token, mw.ID)
	assert.Equal(t, balance, w.Balance, "the balance is the wallet item plus its shards")
	assert.Equal(t, balance, w.Available)
	var list struct {
		Items []walletView `json:"items"`
	}
	require.NoError(t, getJSON(m.Token, "/v1/wallets", &list))
	require.Len(t, list.Items, 1)
	assert.Equal(t, balance, list.Items[0].Balance)
	entries := 1 + payers*perPayer + 1
	requireExactStatement(t, m.Token, mw.ID, balance, entries)

	t.Run("paying out beyond the wallet item sweeps the shards, once", func(t *testing.T) {
		out := createTransfer(t, m.Token, "merchant-payout", transferBody(mw.ID, ps[1].wallet.ID, creditMinor+300))
		require.Equal(t, "COMPLETED", out.Status, "%+v", out)
		balance -= creditMinor + 300
		entries++
		item, shards := storedBalances(t, mw.ID)
		assert.Zero(t, sum(shards), "the sweep emptied the shards")
		assert.Equal(t, balance, item)
		wd := withdraw(t, m.Token, mw.ID, "merchant-withdraw", 200)
		require.Equal(t, http.StatusCreated, wd.Status, "%s", wd.Body)
		balance -= 200
		entries++
		tooMuch := postTransfer(t, m.Token, "merchant-too-much", transferBody(mw.ID, ps[1].wallet.ID, balance+1))
		assert.Equal(t, "insufficient_funds", tooMuch.ErrorCode(), "%s", tooMuch.Body)
		assert.Equal(t, balance, getWallet(t, m.Token, mw.ID).Balance)
	})

	t.Run("a refund from the merchant after more payments sweeps again", func(t *testing.T) {
		for j := range 3 {
			createTransfer(t, ps[2].acct.Token, fmt.Sprintf("pay-again-%d", j), transferBody(ps[2].wallet.ID, mw.ID, 400))
		}
		balance += 1_200
		entries += 3
		paid := <-ids
		rf := refund(t, m.Token, paid, "merchant-refund", payMinor)
		require.Equal(t, http.StatusCreated, rf.Status, "%s", rf.Body)
		balance -= payMinor
		entries++
		held := createTransfer(t, m.Token, "merchant-holds", transferBody(mw.ID, ps[3].wallet.ID, balance, "mode", "hold"))
		require.Equal(t, "HELD", held.Status, "a hold of the whole balance sweeps what is on the shards")
		v := do(t, call{method: "POST", path: "/v1/transfers/" + held.ID + "/void", token: m.Token, headers: map[string]string{"Idempotency-Key": "merchant-void"}})
		require.Equal(t, http.StatusOK, v.Status, "%s", v.Body)
		w := getWallet(t, m.Token, mw.ID)
		assert.Equal(t, balance, w.Balance)
		assert.Zero(t, w.Held)
	})

	t.Run("a frozen wallet's shards receive nothing", func(t *testing.T) {
		admin := adminToken(t)
		fr := do(t, call{method: "PATCH", path: "/v1/wallets/" + mw.ID, token: admin, body: map[string]string{"status": "FROZEN", "reason": "shard test"}})
		require.Equal(t, http.StatusOK, fr.Status, "%s", fr.Body)
		for j := range 4 { // posting ids that fall on several shards
			r := postTransfer(t, ps[3].acct.Token, fmt.Sprintf("pay-frozen-%d", j), transferBody(ps[3].wallet.ID, mw.ID, 10))
			assert.Equal(t, "wallet_not_active", r.ErrorCode(), "%s", r.Body)
		}
		_, shards := storedBalances(t, mw.ID)
		assert.Equal(t, balance, getWallet(t, admin, mw.ID).Balance)
		un := do(t, call{method: "PATCH", path: "/v1/wallets/" + mw.ID, token: admin, body: map[string]string{"status": "ACTIVE", "reason": "shard test"}})
		require.Equal(t, http.StatusOK, un.Status, "%s", un.Body)
		after := createTransfer(t, ps[3].acct.Token, "pay-unfrozen", transferBody(ps[3].wallet.ID, mw.ID, 10))
		assert.Equal(t, "COMPLETED", after.Status)
		balance += 10
		entries++
		_, later := storedBalances(t, mw.ID)
		assert.Equal(t, sum(shards)+10, sum(later), "unfrozen, its shards receive again")
	})

	requireExactStatement(t, m.Token, mw.ID, balance, entries)
	requireLedgerConsistent(t)
}
