package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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
//	pk USER#<user>  sk STATE                unread count and the read-all watermark
//
// A notification and its fact's claim are written in one transaction on condition that
// the claim is new: the deduplication is by what the notification is about, never by
// its time. The unread count is raised after the put, outside a transaction: it is
// a hint, and a crash in between leaves it one low at worst (1 write unit each instead
// of 2 in a transaction).
type Notifications struct {
	DB    API
	Table string
}

var _ notification.Store = (*Notifications)(nil)

type notificationItem struct {
	PK         string    `dynamodbav:"pk"`
	SK         string    `dynamodbav:"sk"`
	ID         string    `dynamodbav:"id"`
	Type       string    `dynamodbav:"type"`
	Message    string    `dynamodbav:"message"`
	TransferID string    `dynamodbav:"transfer_id,omitempty"`
	Read       bool      `dynamodbav:"read"`
	CreatedAt  time.Time `dynamodbav:"created_at"`
}

type notificationState struct {
	Unread        int64     `dynamodbav:"unread"`
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

func (s *Notifications) unreadDelta(userID string, delta int64, cond *expression.ConditionBuilder) (ddbtypes.TransactWriteItem, error) {
	return addTo(s.Table, key(userPK(userID), "STATE"), "unread", delta, cond)
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
// stored as read and not counted.
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
		ID: n.ID, Type: n.Type, Message: n.Message, TransferID: n.TransferID, Read: n.Read, CreatedAt: n.CreatedAt})
	if err != nil {
		return err
	}
	var tx txn
	tx.add(ddbtypes.TransactWriteItem{Put: claim}, refuseWith(errNotifiedBefore))
	tx.add(ddbtypes.TransactWriteItem{Put: put}, refuseWith(errNotifiedBefore))
	if err := tx.commit(ctx, s.DB); errors.Is(err, errNotifiedBefore) {
		return nil // stored before: a redelivery, or another event about the same fact
	} else if err != nil {
		return err
	}
	if n.Read {
		return nil
	}
	upd, err := s.unreadDelta(n.UserID, 1, nil)
	if err != nil {
		return err
	}
	_, err = updateAlone(ctx, s.DB, upd.Update, ddbtypes.ReturnValueNone)
	if err != nil {
		return fmt.Errorf("count unread: %w", err)
	}
	return nil
}

// List returns a page of a user's notifications, newest first, and the unread count.
func (s *Notifications) List(ctx context.Context, userID string, limit int, cursor string) ([]notification.Notification, string, int64, error) {
	st, err := s.state(ctx, userID)
	if err != nil {
		return nil, "", 0, err
	}
	items, next, err := newestPageOf(ctx, s.DB, s.Table, "notification", userPK(userID), "N#", limit, cursor,
		func(it notificationItem) notification.Notification {
			return notification.Notification{ID: it.ID, UserID: userID, Type: it.Type, Message: it.Message,
				TransferID: it.TransferID, Read: it.Read || !it.CreatedAt.After(st.ReadAllBefore), CreatedAt: it.CreatedAt}
		})
	if err != nil {
		return nil, "", 0, err
	}
	return items, next, max(st.Unread, 0), nil
}

// MarkRead marks one notification read and lowers the unread count, once.
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
	positive := expression.Name("unread").GreaterThan(expression.Value(0))
	dec, err := s.unreadDelta(userID, -1, &positive)
	if err != nil {
		return err
	}
	var tx txn
	// Either condition failing means there is nothing to do: read meanwhile, or the
	// count is at zero already.
	tx.add(ddbtypes.TransactWriteItem{Update: updateOf(s.Table, key(userPK(userID), "N#"+id), mark)}, refuseWith(nil))
	tx.add(dec, refuseWith(nil))
	return tx.commit(ctx, s.DB)
}

// MarkAllRead moves the watermark to now and zeroes the unread count.
func (s *Notifications) MarkAllRead(ctx context.Context, userID string, now time.Time) error {
	expr, err := expression.NewBuilder().WithUpdate(expression.Set(expression.Name("unread"), expression.Value(0)).
		Set(expression.Name("read_all_before"), expression.Value(now))).Build()
	if err != nil {
		return fmt.Errorf("build update: %w", err)
	}
	_, err = updateAlone(ctx, s.DB, updateOf(s.Table, key(userPK(userID), "STATE"), expr), ddbtypes.ReturnValueNone)
	if err != nil {
		return fmt.Errorf("mark all read: %w", err)
	}
	return nil
}
