package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/user"
)

// Users stores accounts in one table keyed by pk:
//
//	USER#<id>      the user record (id, email, name, role, created_at, password_hash)
//	EMAIL#<email>  the uniqueness claim on an email, pointing at the user id
//
// Both items are written in one transaction, each conditional on not existing.
type Users struct {
	DB    API
	Table string
}

var _ user.Store = (*Users)(nil)

type userItem struct {
	PK string `dynamodbav:"pk"`
	user.User
}

type emailItem struct {
	PK     string `dynamodbav:"pk"`
	UserID string `dynamodbav:"user_id"`
}

func userKey(id string) string     { return "USER#" + id }
func emailKey(email string) string { return "EMAIL#" + email }

// Create writes the user and claims its email; a taken email gives user.ErrEmailTaken.
func (s *Users) Create(ctx context.Context, u user.User) error {
	userAV, err := attributevalue.MarshalMap(userItem{PK: userKey(u.ID), User: u})
	if err != nil {
		return fmt.Errorf("marshal user: %w", err)
	}
	emailAV, err := attributevalue.MarshalMap(emailItem{PK: emailKey(u.Email), UserID: u.ID})
	if err != nil {
		return fmt.Errorf("marshal email claim: %w", err)
	}
	emailPut, err := absentPut(s.Table, emailAV)
	if err != nil {
		return err
	}
	userPut, err := absentPut(s.Table, userAV)
	if err != nil {
		return err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []ddbtypes.TransactWriteItem{{Put: emailPut}, {Put: userPut}},
	})
	if reasons, ok := cancellationReasons(err); ok {
		if len(reasons) > 0 && reasons[0] == reasonConditionalCheckFailed {
			return user.ErrEmailTaken
		}
		return fmt.Errorf("create user: cancelled: %v", reasons)
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

// ByEmail finds a user through the email claim.
func (s *Users) ByEmail(ctx context.Context, email string) (user.User, error) {
	var claim emailItem
	if err := getItem(ctx, s.DB, s.Table, pkOnly(emailKey(email)), &claim); err != nil {
		return user.User{}, err
	}
	return s.ByID(ctx, claim.UserID)
}

// ByID reads a user record.
func (s *Users) ByID(ctx context.Context, id string) (user.User, error) {
	var it userItem
	if err := getItem(ctx, s.DB, s.Table, pkOnly(userKey(id)), &it); err != nil {
		return user.User{}, err
	}
	return it.User, nil
}

// Cancellation reason codes of TransactWriteItems.
const (
	reasonNone                   = "None"
	reasonConditionalCheckFailed = "ConditionalCheckFailed"
)

// cancellationReasons returns the per-item reason codes of a cancelled transaction
// ("None" for items that did not fail), in the order the items were sent.
func cancellationReasons(err error) ([]string, bool) {
	var tce *ddbtypes.TransactionCanceledException
	if !errors.As(err, &tce) {
		return nil, false
	}
	out := make([]string, len(tce.CancellationReasons))
	for i, r := range tce.CancellationReasons {
		out[i] = aws.ToString(r.Code)
		if out[i] == "" {
			out[i] = reasonNone
		}
	}
	return out, true
}
