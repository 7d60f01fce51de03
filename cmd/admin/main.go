// Command admin grants and revokes the admin role: the only way an account becomes an
// admin (every sign-up is a user). It runs as the operator, with the operator's AWS
// credentials, outside the API; each change is conditional on the role it expects (a
// second run is answered "no change"), writes its audit record in the same transaction,
// and a revoke ends every session of the account (internal/admin).
//
//	go run ./cmd/admin grant  --email a@example.com --reason "on call" --outputs outputs.json
//	go run ./cmd/admin revoke --email a@example.com --reason "left the team" --outputs outputs.json
//	make admin-grant EMAIL=… REASON=…   /   make admin-revoke EMAIL=… REASON=…   (the local stack)
//
// The outputs file holds the stack's outputs (UsersTableName, AuditTableName). The
// audit record names the operator: --actor, or by default the caller's AWS identity
// (STS GetCallerIdentity's ARN).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/serverless-wallet/wallet/internal/admin"
	"github.com/serverless-wallet/wallet/internal/cli"
	"github.com/serverless-wallet/wallet/internal/dynamo"
	"github.com/serverless-wallet/wallet/internal/user"
)

func main() { os.Exit(cli.ExitCode(os.Stderr, "admin", run(os.Args[1:]))) }

const usage = "usage: admin grant|revoke --email <address> --reason <why> --outputs <stack outputs file> [--actor <operator>]"

func run(args []string) error {
	if len(args) == 0 || (args[0] != "grant" && args[0] != "revoke") {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("admin "+args[0], flag.ContinueOnError)
	email := fs.String("email", "", "the account's email")
	reason := fs.String("reason", "", "why, kept in the audit trail")
	outputsFile := fs.String("outputs", "", "the stack outputs file (UsersTableName, AuditTableName)")
	actor := fs.String("actor", "", "the operator the audit record names (default: the caller's AWS identity)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *outputsFile == "" {
		return errors.New(usage)
	}
	outputs, err := cli.ReadOutputs(*outputsFile)
	if err != nil {
		return err
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	if *actor == "" {
		id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return fmt.Errorf("find the operator's AWS identity (or name the operator with --actor): %w", err)
		}
		*actor = aws.ToString(id.Arn)
	}
	db := dynamodb.NewFromConfig(cfg)
	users := &dynamo.Users{DB: db, Table: outputs["UsersTableName"]}
	audit := &dynamo.Audit{DB: db, Table: outputs["AuditTableName"]}
	if users.Table == "" || audit.Table == "" {
		return fmt.Errorf("%s has no UsersTableName or AuditTableName", *outputsFile)
	}
	sessions, err := user.NewService(users, nil, nil, nil)
	if err != nil {
		return err
	}
	sessions.UseSessions(users)
	roles := &admin.Roles{Accounts: users, Store: &dynamo.Roles{Users: users, Audit: audit}, Sessions: sessions}
	change := roles.Grant
	if args[0] == "revoke" {
		change = roles.Revoke
	}
	out, err := change(ctx, admin.RoleChange{Email: *email, Reason: *reason, Operator: *actor})
	if err != nil {
		return err
	}
	fmt.Println(out)
	return nil
}
