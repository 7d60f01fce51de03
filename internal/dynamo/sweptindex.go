package dynamo

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// A swept index lists things by when they fall due (the expiring holds, the expiring
// payment requests) for a scheduled sweeper: pk <prefix>#<bucket>, sk <due time, fixed
// width>#<id>. Its sort key grows with time, so one partition would take every new
// entry's write and delete (DynamoDB cannot split new writes of an increasing key);
// spread over buckets by the id's hash, it takes that many partitions' writes.
type sweptIndex struct {
	pk      string // the buckets' prefix
	buckets int
	idAttr  string // the attribute of an entry that names what it indexes
}

// bucketOf is the bucket of an id: a pure function of it, so an entry is deleted where
// it was put.
func bucketOf(prefix, id string, buckets int) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return fmt.Sprintf("%s#%02d", prefix, h.Sum32()%uint32(buckets)) // #nosec G115 -- a small positive constant
}

// sweptBucketQueriesInFlight bounds how many index buckets one page reads at once.
const sweptBucketQueriesInFlight = 8

// Positions in a swept index: a bucket not read yet is "", a bucket read to its end
// sweptBucketDone; the position of a page is the buckets' positions joined.
const (
	sweptBucketDone = "~"
	sweptBucketSep  = "|"
)

// dueEntry is an entry of a swept index.
type dueEntry struct{ sk, id string }

// dueIn lists the entries of ix whose sort key is below bound (the due time of now,
// then a character after "#"), after the index position after ("" from the start). A
// page reads every bucket not yet read to its end, up to sweptBucketQueriesInFlight at
// once and a share of limit from each, and lists what they hold oldest first. It
// returns the position to continue from, "" when every bucket has been read to its end.
func (s *Ledger) dueIn(ctx context.Context, ix sweptIndex, bound string, limit int, after string) ([]dueEntry, string, error) {
	pos := make([]string, ix.buckets)
	if after != "" {
		pos = strings.Split(after, sweptBucketSep)
		if len(pos) != ix.buckets {
			return nil, "", fmt.Errorf("%s index: position of %d buckets, the index has %d", ix.pk, len(pos), ix.buckets)
		}
	}
	perBucket := max(1, (limit+ix.buckets-1)/ix.buckets)
	found := make([][]dueEntry, ix.buckets)
	errs := make([]error, ix.buckets)
	slots := make(chan struct{}, sweptBucketQueriesInFlight)
	var wg sync.WaitGroup
	for b := range ix.buckets {
		if pos[b] == sweptBucketDone {
			continue
		}
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			found[b], pos[b], errs[b] = s.dueInBucket(ctx, ix, fmt.Sprintf("%s#%02d", ix.pk, b), bound, perBucket, pos[b])
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, "", err
	}
	var all []dueEntry
	for _, f := range found {
		all = append(all, f...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].sk < all[j].sk })
	for _, p := range pos {
		if p != sweptBucketDone {
			return all, strings.Join(pos, sweptBucketSep), nil
		}
	}
	return all, "", nil
}

// dueInBucket reads one page of one bucket after the sort key after and returns its
// entries and the bucket's next position.
func (s *Ledger) dueInBucket(ctx context.Context, ix sweptIndex, pk, bound string, limit int, after string) ([]dueEntry, string, error) {
	kc := expression.Key("pk").Equal(expression.Value(pk)).And(expression.Key("sk").LessThan(expression.Value(bound)))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, "", fmt.Errorf("build query: %w", err)
	}
	in := &dynamodb.QueryInput{TableName: aws.String(s.Table), KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(), Limit: aws.Int32(int32(limit)), ConsistentRead: aws.Bool(true)} // #nosec G115 -- small constant
	if after != "" {
		in.ExclusiveStartKey = key(pk, after)
	}
	out, err := s.DB.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("query due entries in %s: %w", pk, err)
	}
	entries := make([]dueEntry, 0, len(out.Items))
	for _, item := range out.Items {
		var sk, id string
		if err := attributevalue.Unmarshal(item["sk"], &sk); err != nil {
			return nil, "", fmt.Errorf("unmarshal %s entry: %w", ix.pk, err)
		}
		if err := attributevalue.Unmarshal(item[ix.idAttr], &id); err != nil {
			return nil, "", fmt.Errorf("unmarshal %s entry: %w", ix.pk, err)
		}
		entries = append(entries, dueEntry{sk: sk, id: id})
	}
	next := stringAttr(out.LastEvaluatedKey, "sk")
	if next == "" {
		next = sweptBucketDone
	}
	return entries, next, nil
}
