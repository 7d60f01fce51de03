package ledger

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReceiveShardOf: a shard is a pure function of the posting id, within 1..n, spread
// over every shard; 0 for a wallet without shards.
func TestReceiveShardOf(t *testing.T) {
	tests := map[string]struct {
		n        int
		postings int
	}{
		"no shards":       {n: 0, postings: 10},
		"one shard":       {n: 1, postings: 10},
		"four shards":     {n: 4, postings: 400},
		"the most shards": {n: ReceiveShardsMax, postings: 1_600},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			seen := map[int]int{}
			for i := range tc.postings {
				id := fmt.Sprintf("transfer-%d-post", i)
				k := ReceiveShardOf(id, tc.n)
				assert.Equal(t, k, ReceiveShardOf(id, tc.n), "the same posting, the same shard")
				if tc.n == 0 {
					assert.Zero(t, k)
					continue
				}
				require.GreaterOrEqual(t, k, 1)
				require.LessOrEqual(t, k, tc.n)
				seen[k]++
			}
			if tc.n > 0 {
				assert.Len(t, seen, tc.n, "every shard takes postings")
				for k, got := range seen { // within half of the even share
					assert.Greater(t, got, tc.postings/tc.n/2, "shard %d", k)
				}
			}
		})
	}
}

func TestValidReceiveShards(t *testing.T) {
	for n, ok := range map[int]bool{-1: false, 0: true, 1: true, ReceiveShardsMax: true, ReceiveShardsMax + 1: false} {
		if ok {
			assert.NoError(t, ValidReceiveShards(n), "%d", n)
		} else {
			assert.ErrorIs(t, ValidReceiveShards(n), ErrInvalidReceiveShards, "%d", n)
		}
	}
}

// TestPostIntoShards: a post into a wallet with shards credits the shard its posting
// id picks; into an ordinary wallet, the wallet item; the debit is always on the item.
func TestPostIntoShards(t *testing.T) {
	src := Wallet{ID: "src", Currency: "USD", BalanceMinor: 1_000, Status: StatusActive}
	for name, shards := range map[string]int{"ordinary": 0, "sharded": 8} {
		t.Run(name, func(t *testing.T) {
			dst := Wallet{ID: "dst", Currency: "USD", Status: StatusActive, ReceiveShards: shards}
			ds, _, err := Post(src, dst, PostInput{PostingID: "t1-post", CaptureMinor: 10, Kind: KindTransfer})
			require.NoError(t, err)
			assert.Zero(t, ds[0].Shard, "the debit is on the source's item")
			assert.Equal(t, ReceiveShardOf("t1-post", shards), ds[1].Shard)
			if shards > 0 {
				assert.Equal(t, ShardKey("dst", ds[1].Shard), ds[1].Target())
			} else {
				assert.Equal(t, "dst", ds[1].Target())
			}
		})
	}
}

// TestWithShards: a wallet reads as its item plus its shards.
func TestWithShards(t *testing.T) {
	w := Wallet{ID: "w", BalanceMinor: 100, HeldMinor: 30, EntryCount: 2, ReceiveShards: 2}
	tests := map[string]struct {
		shards                 []Shard
		wantBalance, wantAvail int64
		wantEntries            int64
	}{
		"no shards":         {nil, 100, 70, 2},
		"empty shards":      {[]Shard{{Number: 1}, {Number: 2}}, 100, 70, 2},
		"shards with money": {[]Shard{{Number: 1, BalanceMinor: 5, EntryCount: 1}, {Number: 2, BalanceMinor: 45, EntryCount: 3}}, 150, 120, 6},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := WithShards(w, tc.shards)
			assert.Equal(t, tc.wantBalance, got.BalanceMinor)
			assert.Equal(t, tc.wantAvail, got.AvailableMinor())
			assert.Equal(t, tc.wantEntries, got.EntryCount)
			assert.Equal(t, int64(30), got.HeldMinor)
		})
	}
}

// TestCheckCountsShards: the check adds each shard to its wallet and holds the shards
// to their wallet's status and count.
func TestCheckCountsShards(t *testing.T) {
	entry := func(id, account string, amount int64) Entry {
		return Entry{ID: id, PostingID: "p", Account: account, Currency: "USD", AmountMinor: amount, Kind: KindCredit}
	}
	entries := []Entry{entry("p:0", "w", 80), entry("p:1", "external:funding:USD", -80)}
	ext := map[string]int64{"external:funding:USD": -80}
	w := Wallet{ID: "w", Currency: "USD", BalanceMinor: 50, EntryCount: 0, Status: StatusActive, ReceiveShards: 2}
	shard := func(k int, balance, entries int64, status Status) Shard {
		return Shard{WalletID: "w", Number: k, Currency: "USD", BalanceMinor: balance, EntryCount: entries, Status: status}
	}
	tests := map[string]struct {
		shards []Shard
		want   []string
	}{
		"item and shards sum to the entries": {[]Shard{shard(1, 30, 1, StatusActive), shard(2, 0, 0, StatusActive)}, nil},
		"a shard short": {[]Shard{shard(1, 20, 1, StatusActive), shard(2, 0, 0, StatusActive)},
			[]string{"wallet w: balance 70, entries sum to 80", "USD: wallets and external accounts sum to -10, want 0"}},
		"a shard missing": {[]Shard{shard(1, 30, 1, StatusActive)}, []string{"wallet w: 1 receive shards, want 2"}},
		"a shard not frozen with its wallet": {[]Shard{shard(1, 30, 1, StatusActive), shard(2, 0, 0, StatusFrozen)},
			[]string{"wallet w: shard 2 is FROZEN, the wallet ACTIVE"}},
		"a negative shard": {[]Shard{shard(1, 40, 1, StatusActive), shard(2, -10, 0, StatusActive)},
			[]string{"wallet w: shard 2 balance -10 < 0"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := Check(Snapshot{Wallets: []Wallet{w}, Shards: tc.shards, Entries: entries, ExternalBalances: ext})
			if tc.want == nil {
				assert.True(t, r.OK, "%v", r.Violations)
				return
			}
			assert.False(t, r.OK)
			assert.Equal(t, tc.want, r.Violations)
		})
	}
	orphan := Check(Snapshot{Shards: []Shard{shard(1, 0, 0, StatusActive)}})
	assert.Equal(t, []string{"wallet w: 1 receive shards but no wallet"}, orphan.Violations)
}
