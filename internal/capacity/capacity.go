// Package capacity models how fast the deployed design could run on AWS: from what a
// measured mix of operations did (the metered DynamoDB units per partition key, the API
// requests, state machine executions and Lambda time per operation) it works out the
// rate each partition key and each account quota allows, and the mix's ceiling, the
// smallest of them.
package capacity

import (
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/serverless-wallet/wallet/internal/costreport"
)

// DynamoDB serves at most this much on one partition per second (a partition key with
// an increasing sort key stays on one partition for new writes).
const (
	PartitionWriteUnitsPerSecond = 1000
	PartitionReadUnitsPerSecond  = 3000
)

// Quota is an account quota per region that caps a mix.
type Quota struct {
	Name     string
	Limit    float64
	Unit     string
	Raisable bool
	Source   string
}

// The account quotas the mixes run into, at AWS's documented defaults.
var (
	LambdaConcurrency = Quota{Name: "Lambda concurrent executions", Limit: 1000, Unit: "concurrent executions", Raisable: true,
		Source: "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html (1,000 per region; can be increased to tens of thousands)"}
	APIGatewayRPS = Quota{Name: "API Gateway throttle per account", Limit: 10000, Unit: "requests/s", Raisable: true,
		Source: "https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html (10,000 rps per account per region, 2,500 in some regions; can be increased)"}
	ExpressStarts = Quota{Name: "Step Functions Express StartSyncExecution", Limit: 6000, Unit: "starts/s", Raisable: true,
		Source: "https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html (API action throttling, Express: the large regions' published refill rate; lower in smaller regions; can be increased)"}
)

// Mix is what one measured mix did.
type Mix struct {
	Name        string
	Description string
	Ops         int                            // operations completed
	Keys        map[string]costreport.KeyUnits // by key shape
	// Touches counts, by hashed id (dynamo.HashSegment), the operations whose wallets,
	// users or transfer touched that id.
	Touches       map[string]int
	Roles         map[string]string // hashed id → what it is in the mix ("merchant wallet", "payer wallet", …)
	APIRequests   int
	Executions    int
	LambdaSeconds float64        // billed, summed over every function
	Buckets       map[string]int // sharded keys' table:first segment → their number of buckets (the last segment)
	// ReceiveShards is how many receive shards the mix's sharded wallets have: their
	// shard keys (WALLET#<id>#RS#<k>) are one row per wallet with the load of one shard,
	// the wallet's load spread evenly by the hash of the posting id.
	ReceiveShards int
	Cached        map[string]CachedRead
}

// CachedRead is a key every function instance reads at most once per TTL: however few
// reads the run made, at scale it takes one read per instance per TTL, and the instances
// are the mix's rate times the seconds its reading functions run per operation.
type CachedRead struct {
	TTLSeconds           float64
	UnitsPerRead         float64
	FunctionSecondsPerOp float64 // billed seconds per operation of the functions that read it
}

// Key is one partition key's load in a mix and the rate it allows.
type Key struct {
	Shape     string
	Class     string // global: one key for everyone; sharded: one of N buckets; entity: one wallet's, user's, transfer's
	Role      string
	Touches   int // operations that touched it
	ReadsPer  float64
	WritesPer float64 // units per operation that touched it
	Ceiling   float64 // operations per second through this key
	Shared    bool    // every operation of the mix touches it: its ceiling caps the mix
}

// Limit is one thing that caps a mix.
type Limit struct {
	Name     string
	PerOp    float64 // what one operation uses of it
	Ceiling  float64 // operations per second
	Raisable bool
}

var hashedSegment = regexp.MustCompile(`^[0-9a-f]{8}$`)
var bucketSegment = regexp.MustCompile(`^[0-9]{1,3}$`)
var receiveShardKey = regexp.MustCompile(`^(.+#RS)#[0-9]{1,3}$`)

// ReceiveShardRow is how a wallet's receive shard keys are named as one row.
const ReceiveShardRow = "#<shard>"

// KeyLoads works out each key's rate, lowest first. A sharded key's buckets are shown as
// one row with the load of one bucket, the mix's load on them spread evenly by the hash.
func (m Mix) KeyLoads() []Key {
	merged := map[string]costreport.KeyUnits{}
	class := map[string]string{}
	for shape, u := range m.Keys {
		name, c := shape, "global"
		table, pk, _ := strings.Cut(shape, ":")
		segs := strings.Split(pk, "#")
		switch {
		case m.ReceiveShards > 0 && receiveShardKey.MatchString(pk):
			name, c = table+":"+receiveShardKey.FindStringSubmatch(pk)[1]+ReceiveShardRow, "entity"
		case len(segs) >= 2 && bucketSegment.MatchString(segs[len(segs)-1]) && m.Buckets[table+":"+segs[0]] > 0:
			name, c = table+":"+strings.Join(segs[:len(segs)-1], "#")+"#<bucket>", "sharded"
		case hasHashed(segs):
			c = "entity"
		}
		k := merged[name]
		k.Calls += u.Calls
		k.ReadUnits += u.ReadUnits
		k.WriteUnits += u.WriteUnits
		merged[name], class[name] = k, c
	}
	out := make([]Key, 0, len(merged))
	for name, u := range merged {
		k := Key{Shape: name, Class: class[name], Touches: m.Ops}
		switch k.Class {
		case "sharded":
			table, pk, _ := strings.Cut(name, ":")
			prefix, _, _ := strings.Cut(pk, "#")
			n := float64(m.Buckets[table+":"+prefix])
			u.ReadUnits, u.WriteUnits = u.ReadUnits/n, u.WriteUnits/n
		case "entity":
			k.Touches, k.Role = m.entityTouches(name, u.Calls)
			if strings.HasSuffix(name, ReceiveShardRow) {
				n := float64(m.ReceiveShards)
				u.ReadUnits, u.WriteUnits = u.ReadUnits/n, u.WriteUnits/n
			}
		}
		if c, ok := m.Cached[name]; ok && c.TTLSeconds > 0 {
			k.Class = "cached"
			u.ReadUnits = c.UnitsPerRead * c.FunctionSecondsPerOp / c.TTLSeconds * float64(m.Ops)
		}
		if k.Touches < 1 {
			k.Touches = 1
		}
		k.ReadsPer, k.WritesPer = u.ReadUnits/float64(k.Touches), u.WriteUnits/float64(k.Touches)
		k.Ceiling = ceiling(k.ReadsPer, k.WritesPer)
		k.Shared = k.Class != "entity" || k.Touches >= m.Ops
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Ceiling != out[j].Ceiling {
			return out[i].Ceiling < out[j].Ceiling
		}
		return out[i].Shape < out[j].Shape
	})
	return out
}

func hasHashed(segs []string) bool {
	for _, s := range segs {
		if hashedSegment.MatchString(s) {
			return true
		}
	}
	return false
}

// entityTouches is how many operations touched the entity a key belongs to: the most
// of any id it carries that the driver knows. A key of ids the driver does not know (an
// idempotency record, a rate-limit window) is counted as touched by as many operations
// as calls reached it, at most all of them: the cautious reading.
func (m Mix) entityTouches(shape string, calls int) (int, string) {
	_, pk, _ := strings.Cut(shape, ":")
	best, role := 0, ""
	for _, s := range strings.Split(pk, "#") {
		if n := m.Touches[s]; n > best {
			best, role = n, m.Roles[s]
		}
	}
	if best == 0 {
		return min(calls, m.Ops), "unknown id: touches counted by calls"
	}
	return best, role
}

func ceiling(readsPer, writesPer float64) float64 {
	c := math.Inf(1)
	if readsPer > 0 {
		c = PartitionReadUnitsPerSecond / readsPer
	}
	if writesPer > 0 {
		c = math.Min(c, PartitionWriteUnitsPerSecond/writesPer)
	}
	return c
}

// Quotas is each account quota's ceiling for the mix.
func (m Mix) Quotas() []Limit {
	ops := float64(m.Ops)
	var out []Limit
	add := func(q Quota, perOp float64) {
		if perOp > 0 {
			out = append(out, Limit{Name: q.Name, PerOp: perOp, Ceiling: q.Limit / perOp, Raisable: q.Raisable})
		}
	}
	add(APIGatewayRPS, float64(m.APIRequests)/ops)
	add(ExpressStarts, float64(m.Executions)/ops)
	add(LambdaConcurrency, m.LambdaSeconds/ops)
	return out
}

// Ceiling is the smallest of the shared keys' and the quotas' ceilings, and what sets
// it; withRaised is the same with the raisable quotas left out (what the design allows
// once they are raised).
func (m Mix) Ceiling() (all Limit, withRaised Limit) {
	all = Limit{Ceiling: math.Inf(1)}
	withRaised = all
	for _, k := range m.KeyLoads() {
		if !k.Shared {
			continue
		}
		l := Limit{Name: "key " + k.Shape, Ceiling: k.Ceiling}
		if l.Ceiling < all.Ceiling {
			all = l
		}
		if l.Ceiling < withRaised.Ceiling {
			withRaised = l
		}
	}
	for _, q := range m.Quotas() {
		if q.Ceiling < all.Ceiling {
			all = q
		}
		if !q.Raisable && q.Ceiling < withRaised.Ceiling {
			withRaised = q
		}
	}
	return all, withRaised
}

// EntityCeiling is the lowest ceiling of the keys of the entity with the given role (one
// wallet: its balance item, its transfer list, its owner's records).
func (m Mix) EntityCeiling(role string) (Key, bool) { return m.EntityCeilingIn(role, "") }

// EntityCeilingIn is EntityCeiling over one table's keys ("": every table).
func (m Mix) EntityCeilingIn(role, table string) (Key, bool) {
	for _, k := range m.KeyLoads() { // lowest first
		if k.Class == "entity" && k.Role == role && (table == "" || strings.HasPrefix(k.Shape, table+":")) {
			return k, true
		}
	}
	return Key{}, false
}
