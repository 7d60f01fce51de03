package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/user"
)

// Users stores accounts in one table keyed by pk:
//
//	USER#<id>      the user record (id, email, name, role, created_at, password_hash)
//	EMAIL#<email>  the uniqueness claim on an email, pointing at the user id
//	CODE#<purpose>#<id>  the user's one-time code for purpose (its hash), removed by
//	                     DynamoDB's TTL after expires_at
//
// A sign-up writes the user, the claim and the verification code in one transaction,
// the first two conditional on not existing.
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

// Create writes the user, claims its email and stores its verification code; a taken
// email gives user.ErrEmailTaken.
func (s *Users) Create(ctx context.Context, u user.User, verify user.Code) error {
	emailPut, err := absentPut(s.Table, "email claim", emailItem{PK: emailKey(u.Email), UserID: u.ID})
	if err != nil {
		return err
	}
	userPut, err := absentPut(s.Table, "user", userItem{PK: userKey(u.ID), User: u})
	if err != nil {
		return err
	}
	code, err := attributevalue.MarshalMap(codeItemOf(verify))
	if err != nil {
		return fmt.Errorf("marshal code: %w", err)
	}
	var tx txn
	tx.add(ddbtypes.TransactWriteItem{Put: emailPut}, refuseWith(user.ErrEmailTaken))
	tx.add(ddbtypes.TransactWriteItem{Put: userPut}, nil)
	tx.add(ddbtypes.TransactWriteItem{Put: &ddbtypes.Put{TableName: aws.String(s.Table), Item: code}}, nil)
	return tx.commit(ctx, s.DB)
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
