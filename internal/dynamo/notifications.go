package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/notification"
	"github.com/serverless-wallet/wallet/internal/problem"
)

// Notifications keeps notifications in their own table:
//
//	pk USER#<user>  sk N#<notification id>  one notification (ids are time-ordered)
//	pk USER#<user>  sk F#<fact>             its fact's claim (event id and recipient, no time)
//	pk USER#<user>  sk STATE                the read-all watermark
//
// A notification and its fact's claim are written in one transaction on condition that
// the claim is new: the deduplication is by what the notification is about, never by
// its time. No unread count is stored: List counts the unread notifications newer than
// the watermark when asked, so a write sent twice, or a crash between two writes, can
// never make the count wrong, and a notification costs no counter write.
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

type notificationItem struct {
	PK         string    `dynamodbav:"pk"`
	SK         string    `dynamodbav:"sk"`
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

// factSK is the key of a notification's fact claim.
func factSK(n notification.Notification) string { return "F#" + n.Fact }

// errNotifiedBefore is a notification whose fact is claimed: nothing to add.
var errNotifiedBefore = errors.New("notified before")

// Exists reports whether a notification of n's fact is stored.
func (s *Notifications) Exists(ctx context.Context, n notification.Notification) (bool, error) {
	res, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: key(userPK(n.UserID), factSK(n)),
		ConsistentRead: aws.Bool(true), ProjectionExpression: aws.String("pk")})
	if err != nil {
		return false, fmt.Errorf("get notification: %w", err)
	}
	return len(res.Item) > 0, nil
}

// Add stores a notification once; one older than the user's read-all watermark is
// stored as read.
func (s *Notifications) Add(ctx context.Context, n notification.Notification) error {
	st, err := s.state(ctx, n.UserID)
	if err != nil {
		return err
	}
	n.Read = !n.CreatedAt.After(st.ReadAllBefore)
	if n.Fact == "" {
		return fmt.Errorf("notification %s without its fact", n.ID)
	}
	claim, err := absentPut(s.Table, "notification claim", map[string]string{"pk": userPK(n.UserID), "sk": factSK(n), "id": n.ID})
	if err != nil {
		return err
	}
	put, err := absentPut(s.Table, "notification", notificationItem{PK: userPK(n.UserID), SK: "N#" + n.ID,
		ID: n.ID, Type: n.Type, Message: n.Message, TransferID: n.TransferID, RequestID: n.PaymentRequestID, Read: n.Read, CreatedAt: n.CreatedAt})
	if err != nil {
		return err
	}
	var tx txn
	tx.add(ddbtypes.TransactWriteItem{Put: claim}, refuseWith(errNotifiedBefore))
	tx.add(ddbtypes.TransactWriteItem{Put: put}, refuseWith(errNotifiedBefore))
	if err := tx.commit(ctx, s.DB); err != nil && !errors.Is(err, errNotifiedBefore) {
		return err
	}
	return nil // errNotifiedBefore: stored before (a redelivery, or another event about the same fact)
}

// List returns a page of a user's notifications, newest first, and how many are unread
// (counted up to UnreadCountMax).
func (s *Notifications) List(ctx context.Context, userID string, limit int, cursor string) ([]notification.Notification, string, int64, error) {
	st, err := s.state(ctx, userID)
	if err != nil {
		return nil, "", 0, err
	}
	items, next, err := newestPageOf(ctx, s.DB, s.Table, "notification", userPK(userID), "N#", limit, cursor,
		func(it notificationItem) notification.Notification {
			return notification.Notification{ID: it.ID, UserID: userID, Type: it.Type, Message: it.Message,
				TransferID: it.TransferID, PaymentRequestID: it.RequestID, Read: it.Read || !it.CreatedAt.After(st.ReadAllBefore), CreatedAt: it.CreatedAt}
		})
	if err != nil {
		return nil, "", 0, err
	}
	unread, err := s.countUnread(ctx, userID, st.ReadAllBefore)
	if err != nil {
		return nil, "", 0, err
	}
	return items, next, unread, nil
}

// countUnread counts the notifications created after the watermark and not marked read,
// up to UnreadCountMax, reading at most unreadScanMax of them. Ids begin with their
// time's milliseconds, so the query starts at the watermark's millisecond; the times
// themselves decide within it.
func (s *Notifications) countUnread(ctx context.Context, userID string, watermark time.Time) (int64, error) {
	kc := expression.Key("pk").Equal(expression.Value(userPK(userID)))
	if watermark.IsZero() {
		kc = kc.And(expression.Key("sk").BeginsWith("N#"))
	} else {
		kc = kc.And(expression.Key("sk").Between(expression.Value(fmt.Sprintf("N#%013d", watermark.UnixMilli())), expression.Value("N#~")))
	}
	proj := expression.NamesList(expression.Name("read"), expression.Name("created_at"))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).WithProjection(proj).Build()
	if err != nil {
		return 0, fmt.Errorf("build query: %w", err)
	}
	in := &dynamodb.QueryInput{TableName: aws.String(s.Table), KeyConditionExpression: expr.KeyCondition(),
		ProjectionExpression: expr.Projection(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(), ScanIndexForward: aws.Bool(false), Limit: aws.Int32(unreadPage)}
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
	st, err := s.state(ctx, userID)
	if err != nil {
		return err
	}
	var it notificationItem
	if err := getItem(ctx, s.DB, s.Table, key(userPK(userID), "N#"+id), &it); err != nil {
		return err
	}
	if it.Read || !it.CreatedAt.After(st.ReadAllBefore) {
		return nil
	}
	mark, err := expression.NewBuilder().WithUpdate(expression.Set(expression.Name("read"), expression.Value(true))).
		WithCondition(expression.Name("read").Equal(expression.Value(false))).Build()
	if err != nil {
		return fmt.Errorf("build update: %w", err)
	}
	if _, err := updateAlone(ctx, s.DB, updateOf(s.Table, key(userPK(userID), "N#"+id), mark), ddbtypes.ReturnValueNone); err != nil && !isConditionFailed(err) {
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
