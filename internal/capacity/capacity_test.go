package capacity

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/costreport"
)

func TestCeilingIsTheSmallestSharedKeyOrQuota(t *testing.T) {
	m := Mix{Name: "m", Ops: 10, APIRequests: 10, Executions: 10, LambdaSeconds: 1, // 0.1 s per op
		Touches: map[string]int{"aaaaaaaa": 10, "bbbbbbbb": 1},
		Roles:   map[string]string{"aaaaaaaa": "merchant"},
		Buckets: map[string]int{"ledger:HOLDS": 4},
		Keys: map[string]costreport.KeyUnits{
			"ledger:CONTROL#BREAKER":  {Calls: 10, ReadUnits: 10},  // 1 RCU per op: 3,000/s
			"ledger:WALLET#aaaaaaaa":  {Calls: 20, WriteUnits: 40}, // every op, 4 WCU: 250/s
			"ledger:WALLET#bbbbbbbb":  {Calls: 1, WriteUnits: 20},  // one op, 20 WCU: 50/s, but only its own
			"ledger:HOLDS#00":         {Calls: 5, WriteUnits: 10},
			"ledger:HOLDS#03":         {Calls: 5, WriteUnits: 10}, // 20 WCU over 4 buckets per 10 ops: 0.5 per op
			"idempotency:cccccccc#dd": {Calls: 3, WriteUnits: 3},  // unknown ids: touched by as many ops as calls
		},
	}
	keys := map[string]Key{}
	for _, k := range m.KeyLoads() {
		keys[k.Shape] = k
	}
	assert.InDelta(t, 3000, keys["ledger:CONTROL#BREAKER"].Ceiling, 1e-9)
	assert.True(t, keys["ledger:CONTROL#BREAKER"].Shared)
	assert.InDelta(t, 250, keys["ledger:WALLET#aaaaaaaa"].Ceiling, 1e-9)
	assert.True(t, keys["ledger:WALLET#aaaaaaaa"].Shared, "a wallet every operation touches caps the mix")
	assert.InDelta(t, 50, keys["ledger:WALLET#bbbbbbbb"].Ceiling, 1e-9)
	assert.False(t, keys["ledger:WALLET#bbbbbbbb"].Shared)
	holds := keys["ledger:HOLDS#<bucket>"]
	assert.Equal(t, "sharded", holds.Class)
	assert.InDelta(t, 2000, holds.Ceiling, 1e-9)
	assert.Equal(t, 3, keys["idempotency:cccccccc#dd"].Touches)

	all, raised := m.Ceiling()
	assert.Equal(t, "key ledger:WALLET#aaaaaaaa", all.Name)
	assert.InDelta(t, 250, all.Ceiling, 1e-9)
	assert.Equal(t, all, raised)
	merchant, ok := m.EntityCeiling("merchant")
	require.True(t, ok)
	assert.Equal(t, "ledger:WALLET#aaaaaaaa", merchant.Shape)

	q := map[string]Limit{}
	for _, l := range m.Quotas() {
		q[l.Name] = l
	}
	assert.InDelta(t, 10000, q[APIGatewayRPS.Name].Ceiling, 1e-9)
	assert.InDelta(t, 6000, q[ExpressStarts.Name].Ceiling, 1e-9)
	assert.InDelta(t, 10000, q[LambdaConcurrency.Name].Ceiling, 1e-9)
}

func TestRaisableQuotasAreReportedApart(t *testing.T) {
	m := Mix{Name: "m", Ops: 10, LambdaSeconds: 100, // 10 s per op: 100/s at 1,000 concurrency
		Keys: map[string]costreport.KeyUnits{"ledger:CONTROL#BREAKER": {Calls: 10, ReadUnits: 10}}}
	all, raised := m.Ceiling()
	assert.Equal(t, LambdaConcurrency.Name, all.Name)
	assert.InDelta(t, 100, all.Ceiling, 1e-9)
	assert.Equal(t, "key ledger:CONTROL#BREAKER", raised.Name)

	var b bytes.Buffer
	require.NoError(t, Write(&b, Report{Command: "make capacity N=10", Date: "2030-01-02", Mixes: []Mix{m},
		Before: []Result{{Mix: "m", KeyCeiling: 50, KeySetBy: "key ledger:HOLDS"}}, Baseline: "before"}))
	assert.Contains(t, b.String(), "| m | 100 | Lambda concurrent executions | 3000 | key ledger:CONTROL#BREAKER | 50 | key ledger:HOLDS |")
}

func TestCachedKeyIsReadOncePerInstancePerTTL(t *testing.T) {
	// 10 ops; the reading functions run 0.2 s per op; a copy lives 2 s: at scale each op
	// costs 0.2/2 = 0.1 reads of 1 RCU, however few reads the run made: 30,000/s.
	m := Mix{Name: "m", Ops: 10,
		Keys:   map[string]costreport.KeyUnits{"ledger:CONTROL#BREAKER": {Calls: 1, ReadUnits: 1}},
		Cached: map[string]CachedRead{"ledger:CONTROL#BREAKER": {TTLSeconds: 2, UnitsPerRead: 1, FunctionSecondsPerOp: 0.2}}}
	k := m.KeyLoads()[0]
	assert.Equal(t, "cached", k.Class)
	assert.True(t, k.Shared)
	assert.InDelta(t, 0.1, k.ReadsPer, 1e-9)
	assert.InDelta(t, 30000, k.Ceiling, 1e-6)
}

// TestReceiveShardsAreOneRowWithOneShardsLoad: a sharded wallet's shard keys are one
// row, the load of the wallet's posts spread over its shards, touched by every operation
// that touched the wallet.
func TestReceiveShardsAreOneRowWithOneShardsLoad(t *testing.T) {
	m := Mix{Name: "m", Ops: 16, ReceiveShards: 8,
		Touches: map[string]int{"aaaaaaaa": 16}, Roles: map[string]string{"aaaaaaaa": "merchant"},
		Keys: map[string]costreport.KeyUnits{
			"ledger:WALLET#aaaaaaaa":      {Calls: 32, ReadUnits: 32},                // 2 RCU per op: 1,500/s
			"ledger:WALLET#aaaaaaaa#RS#1": {Calls: 10, ReadUnits: 4, WriteUnits: 40}, // uneven in a small run
			"ledger:WALLET#aaaaaaaa#RS#2": {Calls: 6, ReadUnits: 4, WriteUnits: 24},
			"notifications:USER#aaaaaaaa": {Calls: 16, WriteUnits: 64}, // 4 WCU per op: 250/s
		},
	}
	keys := map[string]Key{}
	for _, k := range m.KeyLoads() {
		keys[k.Shape] = k
	}
	require.Len(t, keys, 3)
	shards := keys["ledger:WALLET#aaaaaaaa#RS#<shard>"]
	assert.Equal(t, "entity", shards.Class)
	assert.Equal(t, "merchant", shards.Role)
	assert.Equal(t, 16, shards.Touches)
	assert.InDelta(t, 64.0/8/16, shards.WritesPer, 1e-9, "4 WCU per post, spread over 8 shards")
	assert.InDelta(t, 2000, shards.Ceiling, 1e-9)
	assert.True(t, shards.Shared)
	all, _ := m.Ceiling()
	assert.Equal(t, "key notifications:USER#aaaaaaaa", all.Name)
	ledgerKeys, ok := m.EntityCeilingIn("merchant", "ledger")
	require.True(t, ok)
	assert.Equal(t, "ledger:WALLET#aaaaaaaa", ledgerKeys.Shape, "the wallet item's reads, 1,500/s, are below the shards' 2,000/s")
	assert.InDelta(t, 1500, ledgerKeys.Ceiling, 1e-9)

	var b bytes.Buffer
	require.NoError(t, Write(&b, Report{Command: "make capacity N=16", Date: "2030-01-02", Mixes: []Mix{m}}))
	assert.Contains(t, b.String(), "| `ledger:WALLET#<merchant>#RS#<shard>` | entity | merchant | 16 |")
	assert.Contains(t, b.String(), "its ledger keys alone (wallet, shards, transfer list): **1500/s**, set by `ledger:WALLET#aaaaaaaa`")
}
