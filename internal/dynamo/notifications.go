package dynamo

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/notification"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
)

// Notifications keeps notifications in their own table:
//
//	pk USER#<user>  sk N#<fact>  at <notification id>  one notification, keyed by its fact
//	                                                   (event id and recipient, no time)
//	pk USER#<user>  sk STATE                           the read-all watermark
//
// and lists them through the table's index NotificationsByTime (pk, at): notification
// ids begin with their event's time, so the index orders a user's notifications newest
// first. A notification is one conditional put on the fact's key: a redelivery, or
// another event about the same fact, finds it and writes nothing. The deduplication is
// by what the notification is about, never by its time. No unread count is stored: List
// counts the unread notifications newer than the watermark when asked, so a write sent
// twice, or a crash between two writes, can never make the count wrong, and a
// notification costs no counter write.
type Notifications struct {
	DB    API
	Table string
}

var _ notification.Store = (*Notifications)(nil)

// Bounds of the unread count List answers.
const (
	// UnreadCountMax is as far as List counts: a client shows it as "99+".
	UnreadCountMax = 99
	// unreadScanMax bounds the notifications newer than the watermark that one count
	// reads (each page is a query of at most unreadPage items).
	unreadScanMax = 500
	unreadPage    = 100
)

// NotificationsByTime is the notifications table's index of a user's notifications by
// time (template.yaml: pk, at; every attribute projected).
const NotificationsByTime = "by-time"

// notificationSKPrefix begins a notification's sort key: N#<fact>.
const notificationSKPrefix = "N#"

type notificationItem struct {
	PK         string    `dynamodbav:"pk"`
	SK         string    `dynamodbav:"sk"`
	At         string    `dynamodbav:"at"` // the index's sort key: the time-ordered id
	ID         string    `dynamodbav:"id"`
	Type       string    `dynamodbav:"type"`
	Message    string    `dynamodbav:"message"`
	TransferID string    `dynamodbav:"transfer_id,omitempty"`
	RequestID  string    `dynamodbav:"payment_request_id,omitempty"`
	Read       bool      `dynamodbav:"read"`
	CreatedAt  time.Time `dynamodbav:"created_at"`
}

type notificationState struct {
	ReadAllBefore time.Time `dynamodbav:"read_all_before"`
}

func userPK(id string) string { return "USER#" + id }

func (s *Notifications) state(ctx context.Context, userID string) (notificationState, error) {
	var st notificationState
	if err := getItem(ctx, s.DB, s.Table, key(userPK(userID), "STATE"), &st); err != nil && !errors.Is(err, problem.ErrNotFound) {
		return st, err
	}
	return st, nil // none stored yet: nothing unread, nothing read
}

// factSK is the sort key of a notification: its fact.
func factSK(fact string) string { return notificationSKPrefix + fact }

// factOfID is the fact a notification id names (IDFor: <13-digit time>-<16 hex fact>);
// "" when id is not a notification id.
func factOfID(id string) string {
	at, fact, ok := strings.Cut(id, "-")
	if !ok || len(at) != 13 || strings.Trim(at, "0123456789") != "" || len(fact) != 16 || strings.Trim(fact, "0123456789abcdef") != "" {
		return ""
	}
	return fact
}

// Exists reports whether a notification of n's fact is stored.
func (s *Notifications) Exists(ctx context.Context, n notification.Notification) (bool, error) {
	res, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: key(userPK(n.UserID), factSK(n.Fact)),
		ConsistentRead: aws.Bool(true), ProjectionExpression: aws.String("pk")})
	if err != nil {
		return false, fmt.Errorf("get notification: %w", err)
	}
	return len(res.Item) > 0, nil
}

// Add stores a notification once, in one conditional put on its fact's key (a single
// write, not a transaction, and no read: one older than the user's read-all watermark
// is read because List and the unread count compare it with the watermark, whenever it
// was stored).
func (s *Notifications) Add(ctx context.Context, n notification.Notification) error {
	if n.Fact == "" || factOfID(n.ID) != n.Fact {
		return fmt.Errorf("notification %s without its fact", n.ID)
	}
	put, err := absentPut(s.Table, "notification", notificationItem{PK: userPK(n.UserID), SK: factSK(n.Fact), At: n.ID,
		ID: n.ID, Type: n.Type, Message: n.Message, TransferID: n.TransferID, RequestID: n.PaymentRequestID, Read: n.Read, CreatedAt: n.CreatedAt})
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: put.TableName, Item: put.Item,
		ConditionExpression: put.ConditionExpression, ExpressionAttributeNames: put.ExpressionAttributeNames})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("put notification: %w", err)
	}
	return nil // refused: stored before (a redelivery, or another event about the same fact)
}

// List returns a page of a user's notifications, newest first, and how many are unread
// (counted up to UnreadCountMax).
func (s *Notifications) List(ctx context.Context, userID string, limit int, cursor string) ([]notification.Notification, string, int64, error) {
	st, err := s.state(ctx, userID)
	if err != nil {
		return nil, "", 0, err
	}
	in, err := s.byTime(userID, "", int32(limit)) // #nosec G115 -- the service bounds limit to a page size
	if err != nil {
		return nil, "", 0, err
	}
	if cursor != "" {
		at, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || factOfID(string(at)) == "" {
			return nil, "", 0, op.ErrInvalidCursor
		}
		in.ExclusiveStartKey = s.indexKey(userID, string(at))
	}
	out, err := s.DB.Query(ctx, in)
	if err != nil {
		return nil, "", 0, fmt.Errorf("query notifications: %w", err)
	}
	items := make([]notification.Notification, 0, len(out.Items))
	var it notificationItem
	for _, raw := range out.Items {
		it = notificationItem{}
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return nil, "", 0, fmt.Errorf("unmarshal notification: %w", err)
		}
		items = append(items, notification.Notification{ID: it.ID, UserID: userID, Type: it.Type, Message: it.Message,
			TransferID: it.TransferID, PaymentRequestID: it.RequestID, Read: it.Read || !it.CreatedAt.After(st.ReadAllBefore), CreatedAt: it.CreatedAt})
	}
	next := ""
	if len(items) > 0 && len(out.LastEvaluatedKey) > 0 {
		next = base64.RawURLEncoding.EncodeToString([]byte(it.At))
	}
	unread, err := s.countUnread(ctx, userID, st.ReadAllBefore)
	if err != nil {
		return nil, "", 0, err
	}
	return items, next, unread, nil
}

// byTime is a query of a user's notifications in the index, newest first, from the
// id from on ("": all), limit a page; projection (optional) names the attributes read.
func (s *Notifications) byTime(userID, from string, limit int32, projection ...string) (*dynamodb.QueryInput, error) {
	kc := expression.Key("pk").Equal(expression.Value(userPK(userID)))
	if from != "" {
		kc = kc.And(expression.Key("at").GreaterThanEqual(expression.Value(from)))
	}
	b := expression.NewBuilder().WithKeyCondition(kc)
	if len(projection) > 0 {
		proj := expression.NamesList(expression.Name(projection[0]))
		for _, name := range projection[1:] {
			proj = proj.AddNames(expression.Name(name))
		}
		b = b.WithProjection(proj)
	}
	expr, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("build query: %w", err)
	}
	// An index read is eventually consistent (DynamoDB refuses ConsistentRead on a
	// global secondary index): a list shown to a person, not a decision.
	return &dynamodb.QueryInput{TableName: aws.String(s.Table), IndexName: aws.String(NotificationsByTime),
		KeyConditionExpression: expr.KeyCondition(), ProjectionExpression: expr.Projection(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ScanIndexForward: aws.Bool(false), Limit: aws.Int32(limit)}, nil
}

// indexKey is where a query of the index resumes after the notification id: the index's
// key and the table's.
func (s *Notifications) indexKey(userID, id string) map[string]ddbtypes.AttributeValue {
	k := key(userPK(userID), factSK(factOfID(id)))
	k["at"] = &ddbtypes.AttributeValueMemberS{Value: id}
	return k
}

// countUnread counts the notifications created after the watermark and not marked read,
// up to UnreadCountMax, reading at most unreadScanMax of them. Ids begin with their
// time's milliseconds, so the query starts at the watermark's millisecond; the times
// themselves decide within it.
func (s *Notifications) countUnread(ctx context.Context, userID string, watermark time.Time) (int64, error) {
	from := ""
	if !watermark.IsZero() {
		from = fmt.Sprintf("%013d", watermark.UnixMilli())
	}
	in, err := s.byTime(userID, from, unreadPage, "read", "created_at")
	if err != nil {
		return 0, err
	}
	var unread int64
	for scanned := 0; scanned < unreadScanMax && unread < UnreadCountMax; {
		out, err := s.DB.Query(ctx, in)
		if err != nil {
			return 0, fmt.Errorf("count unread: %w", err)
		}
		for _, item := range out.Items {
			var it notificationItem
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return 0, fmt.Errorf("unmarshal notification: %w", err)
			}
			if !it.Read && it.CreatedAt.After(watermark) {
				unread++
			}
		}
		scanned += len(out.Items)
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	return min(unread, UnreadCountMax), nil
}

// MarkRead marks one notification read, once: a second mark finds it read and changes
// nothing.
func (s *Notifications) MarkRead(ctx context.Context, userID, id string) error {
	fact := factOfID(id)
	if fact == "" {
		return problem.ErrNotFound
	}
	st, err := s.state(ctx, userID)
	if err != nil {
		return err
	}
	var it notificationItem
	if err := getItem(ctx, s.DB, s.Table, key(userPK(userID), factSK(fact)), &it); err != nil {
		return err
	}
	if it.ID != id { // the fact's notification has another id: id names none
		return problem.ErrNotFound
	}
	if it.Read || !it.CreatedAt.After(st.ReadAllBefore) {
		return nil
	}
	mark, err := expression.NewBuilder().WithUpdate(expression.Set(expression.Name("read"), expression.Value(true))).
		WithCondition(expression.Name("read").Equal(expression.Value(false))).Build()
	if err != nil {
		return fmt.Errorf("build update: %w", err)
	}
	if _, err := updateAlone(ctx, s.DB, updateOf(s.Table, key(userPK(userID), factSK(fact)), mark), ddbtypes.ReturnValueNone); err != nil && !isConditionFailed(err) {
		return fmt.Errorf("mark read: %w", err)
	}
	return nil
}

// MarkAllRead moves the watermark to now: every notification created up to now reads as
// read, and the count starts after it.
func (s *Notifications) MarkAllRead(ctx context.Context, userID string, now time.Time) error {
	expr, err := expression.NewBuilder().WithUpdate(expression.Set(expression.Name("read_all_before"), expression.Value(now))).Build()
	if err != nil {
		return fmt.Errorf("build update: %w", err)
	}
	_, err = updateAlone(ctx, s.DB, updateOf(s.Table, key(userPK(userID), "STATE"), expr), ddbtypes.ReturnValueNone)
	if err != nil {
		return fmt.Errorf("mark all read: %w", err)
	}
	return nil
}
