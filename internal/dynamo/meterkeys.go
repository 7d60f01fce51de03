package dynamo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// keyShapeHashHex is how many hex digits of an id's SHA-256 a key shape keeps: enough to
// tell the partitions of one run apart, never the id itself.
const keyShapeHashHex = 8

var (
	constantSegment = regexp.MustCompile(`^([A-Z_]+|[0-9]{1,3})$`)
	keyConditionPK  = regexp.MustCompile(`(#\w+)\s*=\s*(:\w+)`)
)

// keyShape is the partition a key falls in, with no user data in it: the key's constant
// segments (upper-case words, bucket numbers of up to 3 digits) as they are, every other
// segment (an id, an e-mail address, a time) replaced by the first hex digits of its
// SHA-256, so WALLET#<id> is WALLET#<hash>. A constant partition key with a constant sort
// key (CONTROL/BREAKER) names both, since that one item is what a call touches.
func keyShape(table, pk, sk string) string {
	segs := strings.Split(pk, "#")
	for i, s := range segs {
		if !constantSegment.MatchString(s) {
			segs[i] = HashSegment(s)
		}
	}
	shape := strings.Join(segs, "#")
	if len(segs) == 1 && constantSegment.MatchString(pk) && sk != "" && constantSegment.MatchString(sk) {
		shape += "#" + sk
	}
	return shortTable(table) + ":" + shape
}

// HashSegment is how keyShape writes one id: the measuring tool hashes the ids it knows
// (wallets, users, transfers) the same way to count which operations touched a key.
func HashSegment(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:keyShapeHashHex]
}

// shortTable names a table by its logical name (wallet-LedgerTable-1X2Y → ledger).
func shortTable(name string) string {
	for _, part := range strings.Split(name, "-") {
		if strings.HasSuffix(part, "Table") && len(part) > len("Table") {
			return strings.ToLower(strings.TrimSuffix(part, "Table"))
		}
	}
	return name
}

func stringAttr(item map[string]ddbtypes.AttributeValue, name string) string {
	if v, ok := item[name].(*ddbtypes.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// itemShape is the shape of the key of an item or of a Key map (attributes pk, sk).
func itemShape(table string, item map[string]ddbtypes.AttributeValue) string {
	return keyShape(table, stringAttr(item, "pk"), stringAttr(item, "sk"))
}

// indexTable names a global secondary index's partitions as table/index, so the key
// shapes of an index's writes and reads are told apart from its table's: a GSI has
// partitions, and a per-partition write limit, of its own.
func indexTable(table, index string) string { return shortTable(table) + "/" + index }

// writeUses splits one write's units between the item's partition in the table and its
// partition in each index the write touched, as DynamoDB reports them when asked for
// INDEXES. Every index of this schema (template.yaml: the notifications' by-time) is
// keyed by the table's own pk, so an index write lands on the item's pk in the index's
// partitions. Without a breakdown, the whole write is counted on the table's key.
func writeUses(table string, key map[string]ddbtypes.AttributeValue, reported *ddbtypes.ConsumedCapacity, wru float64) []keyUse {
	if reported == nil || reported.Table == nil || len(reported.GlobalSecondaryIndexes) == 0 {
		return []keyUse{{shape: itemShape(table, key), wru: wru}}
	}
	uses := []keyUse{{shape: itemShape(table, key), wru: aws.ToFloat64(reported.Table.CapacityUnits)}}
	names := make([]string, 0, len(reported.GlobalSecondaryIndexes))
	for name := range reported.GlobalSecondaryIndexes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c := reported.GlobalSecondaryIndexes[name]
		uses = append(uses, keyUse{shape: keyShape(indexTable(table, name), stringAttr(key, "pk"), ""), wru: aws.ToFloat64(c.CapacityUnits)})
	}
	return uses
}

// queryShape reads the partition key a Query names from its key condition.
func queryShape(table, cond string, names map[string]string, values map[string]ddbtypes.AttributeValue) string {
	for _, m := range keyConditionPK.FindAllStringSubmatch(cond, -1) {
		if names[m[1]] == "pk" {
			if v, ok := values[m[2]].(*ddbtypes.AttributeValueMemberS); ok {
				return keyShape(table, v.Value, "")
			}
		}
	}
	return shortTable(table) + ":QUERY"
}

// keyUse is the capacity one call used on one partition key.
type keyUse struct {
	shape    string
	rru, wru float64
}

// keyUses writes a call's per-key capacity as one log attribute: shape:r<units>:w<units>,
// comma separated, in the order the call touched them.
func keyUses(uses []keyUse) string {
	parts := make([]string, 0, len(uses))
	for _, u := range uses {
		parts = append(parts, fmt.Sprintf("%s:r%g:w%g", u.shape, u.rru, u.wru))
	}
	return strings.Join(parts, ",")
}

// transactUses is the capacity of each item of a write transaction: 2 write units per
// started KB of a put item, 2 for an update, delete or condition check (items under 1 KB).
func transactUses(items []ddbtypes.TransactWriteItem) ([]keyUse, float64) {
	var uses []keyUse
	var total float64
	for _, it := range items {
		var u keyUse
		switch {
		case it.Put != nil:
			u = keyUse{shape: itemShape(aws.ToString(it.Put.TableName), it.Put.Item), wru: 2 * writeUnits(ItemBytes(it.Put.Item))}
		case it.Update != nil:
			u = keyUse{shape: itemShape(aws.ToString(it.Update.TableName), it.Update.Key), wru: 2}
		case it.Delete != nil:
			u = keyUse{shape: itemShape(aws.ToString(it.Delete.TableName), it.Delete.Key), wru: 2}
		case it.ConditionCheck != nil:
			u = keyUse{shape: itemShape(aws.ToString(it.ConditionCheck.TableName), it.ConditionCheck.Key), wru: 2}
		default:
			u = keyUse{shape: "?", wru: 2}
		}
		total += u.wru
		uses = append(uses, u)
	}
	return uses, total
}

// ShardedKeys names the partition keys that are spread over buckets (the bucket is the
// key's last segment), as table:PK, with their number of buckets.
func ShardedKeys() map[string]int {
	return map[string]int{"ledger:" + holdsPK: HoldBuckets, "ledger:" + requestExpiryPK: RequestBuckets, "ledger:ACCOUNT": ExternalShards}
}
