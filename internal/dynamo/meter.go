package dynamo

import (
	"context"
	"log/slog"
	"math"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Metered wraps the DynamoDB client, asks every call for ReturnConsumedCapacity and logs
// the units it reports, with the partition keys the call touched (shaped by keyShape, so
// no user data) and the units each took; when a call reports none, it logs units
// computed from the items the code sends and receives (a read is 1 RRU per 4 KB, half when eventually
// consistent; a write 1 WRU per KB, twice in a transaction; UpdateItem and DeleteItem as
// 1 KB items). Turned on only by the METER_DYNAMODB setting of measurement deployments;
// the cost report adds the lines up.
type Metered struct {
	API
	Log *slog.Logger
}

var _ API = (*Metered)(nil)

const (
	readUnitBytes  = 4096
	writeUnitBytes = 1024
)

func (m *Metered) record(ctx context.Context, op string, rru, wru float64, uses ...keyUse) {
	m.Log.InfoContext(ctx, "ddb_usage", slog.String("op", op), slog.Float64("rru", rru), slog.Float64("wru", wru),
		slog.String("keys", keyUses(uses)))
}

func readUnits(bytes int, consistent bool) float64 {
	u := math.Max(1, math.Ceil(float64(bytes)/readUnitBytes))
	if !consistent {
		u /= 2
	}
	return u
}

func writeUnits(bytes int) float64 { return math.Max(1, math.Ceil(float64(bytes)/writeUnitBytes)) }

// units prefers what DynamoDB reported over the computed estimate. A cancelled
// transaction or failed condition reports nothing and is counted by the estimate.
func units(reported *ddbtypes.ConsumedCapacity, computed float64) float64 {
	if reported != nil && reported.CapacityUnits != nil {
		return *reported.CapacityUnits
	}
	return computed
}

// GetItem implements API.
func (m *Metered) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	in.ReturnConsumedCapacity = ddbtypes.ReturnConsumedCapacityTotal
	out, err := m.API.GetItem(ctx, in, opts...)
	size := 0
	var reported *ddbtypes.ConsumedCapacity
	if out != nil {
		size, reported = ItemBytes(out.Item), out.ConsumedCapacity
	}
	rru := units(reported, readUnits(size, aws.ToBool(in.ConsistentRead)))
	m.record(ctx, "GetItem", rru, 0, keyUse{shape: itemShape(aws.ToString(in.TableName), in.Key), rru: rru})
	return out, err
}

// BatchGetItem implements API.
func (m *Metered) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	in.ReturnConsumedCapacity = ddbtypes.ReturnConsumedCapacityTotal
	out, err := m.API.BatchGetItem(ctx, in, opts...)
	var rru float64
	var reported *ddbtypes.ConsumedCapacity
	var uses []keyUse
	if out != nil {
		for table, items := range out.Responses {
			consistent := aws.ToBool(in.RequestItems[table].ConsistentRead)
			for _, it := range items {
				u := readUnits(ItemBytes(it), consistent) // each item is read, and billed, on its own
				rru += u
				uses = append(uses, keyUse{shape: itemShape(table, it), rru: u})
			}
		}
		if len(out.ConsumedCapacity) == 1 {
			reported = &out.ConsumedCapacity[0]
		}
	}
	m.record(ctx, "BatchGetItem", units(reported, rru), 0, uses...)
	return out, err
}

// Query implements API.
func (m *Metered) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	in.ReturnConsumedCapacity = ddbtypes.ReturnConsumedCapacityTotal
	out, err := m.API.Query(ctx, in, opts...)
	size := 0
	var reported *ddbtypes.ConsumedCapacity
	if out != nil {
		for _, it := range out.Items {
			size += ItemBytes(it)
		}
		reported = out.ConsumedCapacity
	}
	rru := units(reported, readUnits(size, aws.ToBool(in.ConsistentRead)))
	table := aws.ToString(in.TableName)
	if in.IndexName != nil { // an index's partitions are its own
		table = indexTable(table, *in.IndexName)
	}
	m.record(ctx, "Query", rru, 0, keyUse{shape: queryShape(table, aws.ToString(in.KeyConditionExpression),
		in.ExpressionAttributeNames, in.ExpressionAttributeValues), rru: rru})
	return out, err
}

// Scan implements API.
func (m *Metered) Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	out, err := m.API.Scan(ctx, in, opts...)
	size := 0
	if out != nil {
		for _, it := range out.Items {
			size += ItemBytes(it)
		}
	}
	rru := readUnits(size, aws.ToBool(in.ConsistentRead))
	m.record(ctx, "Scan", rru, 0, keyUse{shape: shortTable(aws.ToString(in.TableName)) + ":SCAN", rru: rru})
	return out, err
}

// PutItem implements API.
func (m *Metered) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	in.ReturnConsumedCapacity = ddbtypes.ReturnConsumedCapacityIndexes
	out, err := m.API.PutItem(ctx, in, opts...)
	var reported *ddbtypes.ConsumedCapacity
	if out != nil {
		reported = out.ConsumedCapacity
	}
	wru := units(reported, writeUnits(ItemBytes(in.Item)))
	m.record(ctx, "PutItem", 0, wru, writeUses(aws.ToString(in.TableName), in.Item, reported, wru)...)
	return out, err
}

// UpdateItem implements API.
func (m *Metered) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	in.ReturnConsumedCapacity = ddbtypes.ReturnConsumedCapacityIndexes
	out, err := m.API.UpdateItem(ctx, in, opts...)
	var reported *ddbtypes.ConsumedCapacity
	if out != nil {
		reported = out.ConsumedCapacity
	}
	wru := units(reported, 1)
	m.record(ctx, "UpdateItem", 0, wru, writeUses(aws.ToString(in.TableName), in.Key, reported, wru)...)
	return out, err
}

// DeleteItem implements API.
func (m *Metered) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	in.ReturnConsumedCapacity = ddbtypes.ReturnConsumedCapacityIndexes
	out, err := m.API.DeleteItem(ctx, in, opts...)
	var reported *ddbtypes.ConsumedCapacity
	if out != nil {
		reported = out.ConsumedCapacity
	}
	wru := units(reported, 1)
	m.record(ctx, "DeleteItem", 0, wru, writeUses(aws.ToString(in.TableName), in.Key, reported, wru)...)
	return out, err
}

// TransactWriteItems implements API.
func (m *Metered) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	in.ReturnConsumedCapacity = ddbtypes.ReturnConsumedCapacityTotal
	out, err := m.API.TransactWriteItems(ctx, in, opts...)
	uses, wru := transactUses(in.TransactItems)
	if out != nil && len(out.ConsumedCapacity) > 0 {
		wru = 0
		for _, c := range out.ConsumedCapacity {
			wru += aws.ToFloat64(c.CapacityUnits)
		}
	}
	m.record(ctx, "TransactWriteItems", 0, wru, uses...)
	return out, err
}

// ItemBytes is DynamoDB's size of an item: attribute names plus values.
func ItemBytes(item map[string]ddbtypes.AttributeValue) int {
	n := 0
	for k, v := range item {
		n += len(k) + valueBytes(v)
	}
	return n
}

func valueBytes(v ddbtypes.AttributeValue) int {
	switch t := v.(type) {
	case *ddbtypes.AttributeValueMemberS:
		return len(t.Value)
	case *ddbtypes.AttributeValueMemberN:
		return (len(t.Value)+1)/2 + 1
	case *ddbtypes.AttributeValueMemberB:
		return len(t.Value)
	case *ddbtypes.AttributeValueMemberBOOL, *ddbtypes.AttributeValueMemberNULL:
		return 1
	case *ddbtypes.AttributeValueMemberL:
		n := 3
		for _, e := range t.Value {
			n += 1 + valueBytes(e)
		}
		return n
	case *ddbtypes.AttributeValueMemberM:
		return 3 + ItemBytes(t.Value) + len(t.Value)
	case *ddbtypes.AttributeValueMemberSS:
		n := 0
		for _, s := range t.Value {
			n += len(s)
		}
		return n
	case *ddbtypes.AttributeValueMemberNS:
		n := 0
		for _, s := range t.Value {
			n += (len(s)+1)/2 + 1
		}
		return n
	}
	return 0
}
