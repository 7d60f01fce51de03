package dynamo

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/user"
)

// Sessions are kept in the users table:
//
//	SESSION#<id>     the session (user, device, ip, times, current refresh hash, revoked)
//	REFRESH#<hash>   one refresh token of a session, used once rotated
//
// and the user record's session_ids string set names its sessions. Both kinds of item
// carry expires_at (the table's TTL attribute): a session lives RefreshTTL past its last
// refresh.
var _ user.Sessions = (*Users)(nil)

// batchGetKeysMax is DynamoDB's limit of keys per BatchGetItem.
const batchGetKeysMax = 100

func sessionKey(id string) string        { return "SESSION#" + id }
func refreshKey(hash string) string      { return "REFRESH#" + hash }
func unixOf(t time.Time) int64           { return t.Unix() }
func timeOf(unixSeconds int64) time.Time { return time.Unix(unixSeconds, 0).UTC() }

type sessionItem struct {
	PK string `dynamodbav:"pk"`
	user.SessionRecord
	ExpiresAt int64 `dynamodbav:"expires_at"`
}

type refreshItem struct {
	PK        string `dynamodbav:"pk"`
	SessionID string `dynamodbav:"session_id"`
	UserID    string `dynamodbav:"user_id"`
	Used      bool   `dynamodbav:"used"`
	ExpiresAt int64  `dynamodbav:"expires_at"`
}

// idSet is a DynamoDB string set of ids.
type idSet []string

func (v idSet) MarshalDynamoDBAttributeValue() (ddbtypes.AttributeValue, error) {
	return &ddbtypes.AttributeValueMemberSS{Value: v}, nil
}

func (s *Users) newRefreshPut(r user.SessionRecord) (*ddbtypes.Put, error) {
	return absentPut(s.Table, "refresh token", refreshItem{PK: refreshKey(r.RefreshHash), SessionID: r.ID, UserID: r.UserID, ExpiresAt: unixOf(r.ExpiresAt)})
}

// StartSession writes the session and its first refresh token and names it on the user,
// in one transaction.
func (s *Users) StartSession(ctx context.Context, r user.SessionRecord) error {
	sess, err := absentPut(s.Table, "session", sessionItem{PK: sessionKey(r.ID), SessionRecord: r, ExpiresAt: unixOf(r.ExpiresAt)})
	if err != nil {
		return err
	}
	ref, err := s.newRefreshPut(r)
	if err != nil {
		return err
	}
	add, err := expression.NewBuilder().WithUpdate(expression.Add(expression.Name("session_ids"), expression.Value(idSet{r.ID}))).
		WithCondition(expression.AttributeExists(expression.Name("pk"))).Build()
	if err != nil {
		return fmt.Errorf("build session list: %w", err)
	}
	var tx txn
	tx.add(ddbtypes.TransactWriteItem{Put: sess}, nil)
	tx.add(ddbtypes.TransactWriteItem{Put: ref}, nil)
	tx.add(ddbtypes.TransactWriteItem{Update: updateOf(s.Table, pkOnly(userKey(r.UserID)), add)}, nil)
	return tx.commit(ctx, s.DB)
}

// Session reads one session.
func (s *Users) Session(ctx context.Context, id string) (user.SessionRecord, error) {
	var it sessionItem
	if err := getItem(ctx, s.DB, s.Table, pkOnly(sessionKey(id)), &it); err != nil {
		return user.SessionRecord{}, err
	}
	r := it.SessionRecord
	r.ExpiresAt = timeOf(it.ExpiresAt)
	return r, nil
}

// RefreshByHash reads one refresh token.
func (s *Users) RefreshByHash(ctx context.Context, hash string) (user.Refresh, error) {
	var it refreshItem
	if err := getItem(ctx, s.DB, s.Table, pkOnly(refreshKey(hash)), &it); err != nil {
		return user.Refresh{}, err
	}
	return user.Refresh{Hash: hash, SessionID: it.SessionID, UserID: it.UserID, Used: it.Used}, nil
}

// Rotate marks old used, stores next's refresh token and moves the session on, in one
// transaction conditional on old being unused and the session active on old.
func (s *Users) Rotate(ctx context.Context, old user.Refresh, next user.SessionRecord) error {
	used := expression.Name("used")
	mark, err := expression.NewBuilder().WithUpdate(expression.Set(used, expression.Value(true))).
		WithCondition(used.Equal(expression.Value(false))).Build()
	if err != nil {
		return fmt.Errorf("build refresh use: %w", err)
	}
	ref, err := s.newRefreshPut(next)
	if err != nil {
		return err
	}
	move, err := expression.NewBuilder().WithUpdate(
		expression.Set(expression.Name("refresh_hash"), expression.Value(next.RefreshHash)).
			Set(expression.Name("last_used_at"), expression.Value(next.LastUsedAt)).
			Set(expression.Name("ip"), expression.Value(next.IP)).
			Set(expression.Name("expires_at"), expression.Value(unixOf(next.ExpiresAt)))).
		WithCondition(expression.And(
			expression.Name("refresh_hash").Equal(expression.Value(old.Hash)),
			expression.Name("revoked").Equal(expression.Value(false)))).Build()
	if err != nil {
		return fmt.Errorf("build session move: %w", err)
	}
	var tx txn
	tx.add(ddbtypes.TransactWriteItem{Update: updateOf(s.Table, pkOnly(refreshKey(old.Hash)), mark)}, refuseWith(user.ErrInvalidRefresh))
	tx.add(ddbtypes.TransactWriteItem{Put: ref}, nil)
	tx.add(ddbtypes.TransactWriteItem{Update: updateOf(s.Table, pkOnly(sessionKey(next.ID)), move)}, refuseWith(user.ErrInvalidRefresh))
	return tx.commit(ctx, s.DB)
}

// Revoke ends one of the user's sessions and drops it from the user's list, in one
// transaction; problem.ErrNotFound when the session is not the user's. Revoking twice
// is harmless.
func (s *Users) Revoke(ctx context.Context, userID, sessionID string) error {
	end, err := expression.NewBuilder().WithUpdate(expression.Set(expression.Name("revoked"), expression.Value(true))).
		WithCondition(expression.Name("user_id").Equal(expression.Value(userID))).Build()
	if err != nil {
		return fmt.Errorf("build revoke: %w", err)
	}
	drop, err := expression.NewBuilder().WithUpdate(expression.Delete(expression.Name("session_ids"), expression.Value(idSet{sessionID}))).Build()
	if err != nil {
		return fmt.Errorf("build session list: %w", err)
	}
	var tx txn
	tx.add(ddbtypes.TransactWriteItem{Update: updateOf(s.Table, pkOnly(sessionKey(sessionID)), end)}, refuseWith(problem.ErrNotFound))
	tx.add(ddbtypes.TransactWriteItem{Update: updateOf(s.Table, pkOnly(userKey(userID)), drop)}, nil)
	return tx.commit(ctx, s.DB)
}

// UserSessions reads the sessions the user's record names, newest first.
func (s *Users) UserSessions(ctx context.Context, userID string) ([]user.SessionRecord, error) {
	var it struct {
		IDs []string `dynamodbav:"session_ids,stringset"`
	}
	if err := getItem(ctx, s.DB, s.Table, pkOnly(userKey(userID)), &it); err != nil {
		return nil, err
	}
	var out []user.SessionRecord
	for start := 0; start < len(it.IDs); start += batchGetKeysMax {
		keys := make([]map[string]ddbtypes.AttributeValue, 0, batchGetKeysMax)
		for _, id := range it.IDs[start:min(start+batchGetKeysMax, len(it.IDs))] {
			keys = append(keys, pkOnly(sessionKey(id)))
		}
		for len(keys) > 0 {
			res, err := s.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]ddbtypes.KeysAndAttributes{
				s.Table: {Keys: keys, ConsistentRead: aws.Bool(true)}}})
			if err != nil {
				return nil, fmt.Errorf("read sessions: %w", err)
			}
			for _, raw := range res.Responses[s.Table] {
				var si sessionItem
				if err := attributevalue.UnmarshalMap(raw, &si); err != nil {
					return nil, fmt.Errorf("unmarshal session: %w", err)
				}
				r := si.SessionRecord
				r.ExpiresAt = timeOf(si.ExpiresAt)
				out = append(out, r)
			}
			keys = res.UnprocessedKeys[s.Table].Keys
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}
