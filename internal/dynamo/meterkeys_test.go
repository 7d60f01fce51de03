package dynamo

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
)

func TestKeyShapeKeepsConstantsAndHashesIDs(t *testing.T) {
	const table = "wallet-LedgerTable-1ABCDEF"
	cases := []struct {
		name, pk, sk, want string
	}{
		{"breaker item", "CONTROL", "BREAKER", "ledger:CONTROL#BREAKER"},
		{"holds index", "HOLDS", "000001700000#tr-1", "ledger:HOLDS"},
		{"holds bucket", "HOLDS#07", "000001700000#tr-1", "ledger:HOLDS#07"},
		{"wallet", "WALLET#w-123", "WALLET", "ledger:WALLET#" + HashSegment("w-123")},
		{"email", "EMAIL#ann@example.com", "", "ledger:EMAIL#" + HashSegment("ann@example.com")},
		{"two ids", "IDEM#u-1#key-9", "", "ledger:IDEM#" + HashSegment("u-1") + "#" + HashSegment("key-9")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := keyShape(table, c.pk, c.sk)
			assert.Equal(t, c.want, got)
			assert.NotContains(t, got, "ann@")
			assert.NotContains(t, got, "w-123")
		})
	}
	assert.Equal(t, "plain:X", keyShape("plain", "X", ""), "a table name without a logical name is kept")
}

func TestQueryShapeFindsThePartitionKey(t *testing.T) {
	values := map[string]ddbtypes.AttributeValue{":0": &ddbtypes.AttributeValueMemberS{Value: "HOLDS#03"}, ":1": &ddbtypes.AttributeValueMemberS{Value: "0009"}}
	got := queryShape("wallet-LedgerTable-X", "(#0 = :0) AND (#1 < :1)", map[string]string{"#0": "pk", "#1": "sk"}, values)
	assert.Equal(t, "ledger:HOLDS#03", got)
	assert.Equal(t, "ledger:QUERY", queryShape("wallet-LedgerTable-X", "#1 < :1", map[string]string{"#1": "sk"}, values))
}

func TestTransactUsesCostTwoUnitsPerItem(t *testing.T) {
	tbl := aws.String("wallet-LedgerTable-X")
	k := func(pk string) map[string]ddbtypes.AttributeValue {
		return map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: pk}, "sk": &ddbtypes.AttributeValueMemberS{Value: "S"}}
	}
	big := k("TRANSFER#t")
	big["blob"] = &ddbtypes.AttributeValueMemberS{Value: strings.Repeat("x", 1500)} // 2 KB started: 4 units
	uses, total := transactUses([]ddbtypes.TransactWriteItem{
		{Put: &ddbtypes.Put{TableName: tbl, Item: big}},
		{Update: &ddbtypes.Update{TableName: tbl, Key: k("WALLET#a")}},
		{Delete: &ddbtypes.Delete{TableName: tbl, Key: k("HOLDS")}},
		{ConditionCheck: &ddbtypes.ConditionCheck{TableName: tbl, Key: k("CONTROL")}},
	})
	assert.InDelta(t, 10, total, 1e-9)
	assert.Equal(t, "ledger:TRANSFER#"+HashSegment("t")+":r0:w4,ledger:WALLET#"+HashSegment("a")+":r0:w2,ledger:HOLDS#S:r0:w2,ledger:CONTROL#S:r0:w2", keyUses(uses))
}

func TestWriteUsesSplitTheTableAndEachIndex(t *testing.T) {
	const table = "wallet-NotificationsTable-X"
	key := map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "USER#u-1"}, "sk": &ddbtypes.AttributeValueMemberS{Value: "N#t-1"}}
	user := "USER#" + HashSegment("u-1")
	cases := []struct {
		name     string
		reported *ddbtypes.ConsumedCapacity
		want     string
	}{
		{"no report: all on the table's key", nil, "notifications:" + user + ":r0:w2"},
		{"a total only: all on the table's key", &ddbtypes.ConsumedCapacity{CapacityUnits: aws.Float64(2)}, "notifications:" + user + ":r0:w2"},
		{"table and index apart", &ddbtypes.ConsumedCapacity{CapacityUnits: aws.Float64(2), Table: &ddbtypes.Capacity{CapacityUnits: aws.Float64(1)},
			GlobalSecondaryIndexes: map[string]ddbtypes.Capacity{"by-time": {CapacityUnits: aws.Float64(1)}}},
			"notifications:" + user + ":r0:w1,notifications/by-time:" + user + ":r0:w1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, keyUses(writeUses(table, key, c.reported, 2)))
		})
	}
	values := map[string]ddbtypes.AttributeValue{":0": &ddbtypes.AttributeValueMemberS{Value: "USER#u-1"}}
	assert.Equal(t, "notifications/by-time:"+user, queryShape(indexTable(table, "by-time"), "#0 = :0", map[string]string{"#0": "pk"}, values))
}
