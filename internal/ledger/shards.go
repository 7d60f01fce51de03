package ledger

import (
	"fmt"
	"hash/fnv"

	"github.com/serverless-wallet/wallet/internal/problem"
)

// A wallet that receives more than one partition can take (a merchant paid by many)
// is opened with receive shards: items of its own that incoming transfers credit
// instead of the wallet, each a separate partition. Shards only receive: every debit,
// hold and status rule stays on the wallet, and a sweep moves a shard's balance into
// the wallet (one conditional transaction per shard) when a debit finds the wallet
// short. The wallet as read (balance, entry count) is the wallet item plus its shards.

// ReceiveShardsMax bounds a wallet's receive shards: each is read when the wallet is
// read (one BatchGetItem) and written by a freeze or close (one transaction).
const ReceiveShardsMax = 16

// ErrInvalidReceiveShards is a receive shard count out of range.
var ErrInvalidReceiveShards = problem.Invalid("invalid_receive_shards",
	fmt.Sprintf("receive_shards must be between 0 and %d", ReceiveShardsMax))

// ValidReceiveShards checks a wallet's receive shard count: 0 (an ordinary wallet) to
// ReceiveShardsMax.
func ValidReceiveShards(n int) error {
	if n < 0 || n > ReceiveShardsMax {
		return ErrInvalidReceiveShards
	}
	return nil
}

// ReceiveShardOf is the shard, 1 to n, that the posting postingID credits on a wallet
// with n receive shards: a pure function of the posting id, so a retried posting lands
// on the same shard, where its entry already exists and is refused. 0 when n is 0.
func ReceiveShardOf(postingID string, n int) int {
	if n <= 0 {
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(postingID))
	return int(h.Sum32()%uint32(n)) + 1 // #nosec G115 -- n ≤ ReceiveShardsMax
}

// ShardKey names receive shard k of a wallet in stores that keep wallets by key.
func ShardKey(walletID string, k int) string { return fmt.Sprintf("%s#RS#%d", walletID, k) }

// Target is the key of the item a delta changes: its wallet, or one of the wallet's
// receive shards.
func (d Delta) Target() string {
	if d.Shard == 0 {
		return d.WalletID
	}
	return ShardKey(d.WalletID, d.Shard)
}

// Shard is one receive shard as stored: what it received, net of what sweeps moved to
// its wallet, and the wallet's status, which a freeze or close writes onto every
// shard in the same transaction as the wallet so that a credit checks it on the shard.
type Shard struct {
	WalletID     string
	Number       int
	Currency     string
	BalanceMinor int64
	EntryCount   int64
	Status       Status
}

// WithShards is a wallet as a whole: the wallet item plus its shards' balances and
// entry counts (what a sweep of every shard would leave on the wallet item).
func WithShards(w Wallet, shards []Shard) Wallet {
	for _, sh := range shards {
		w.BalanceMinor += sh.BalanceMinor
		w.EntryCount += sh.EntryCount
	}
	return w
}
