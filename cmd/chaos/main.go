// Command chaos runs the bank workload with faults (internal/chaos) against the stack
// deployed on the local engine and checks that every cent is accounted for.
//
//	go run ./cmd/chaos -clients 8 -ops 400
//
// It needs a deployment with FaultInjection=true (scripts/deploy-local.sh sets it) and
// the AWS SDK pointed at the engine (it writes the CONTROL/FAULTS item). It exits 1
// when the check finds a problem.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"github.com/serverless-wallet/wallet/internal/chaos"
	"github.com/serverless-wallet/wallet/internal/cli"
	"github.com/serverless-wallet/wallet/internal/mailbox"
)

// The admin account the local deployment makes (scripts/admin-local.py), with the tests' password.
const (
	adminEmail    = "admin@wallet.local"
	adminPassword = "local admin password"
	userPassword  = "chaos workload password"
)

func main() { os.Exit(cli.ExitCode(os.Stderr, "chaos", run())) }

func run() error {
	clients := flag.Int("clients", 8, "concurrent clients (one user and wallet each)")
	ops := flag.Int("ops", 400, "operations in all")
	seed := flag.Uint64("seed", uint64(time.Now().UnixNano()), "random seed (printed, to repeat a run)")
	outputsFile := flag.String("outputs", ".local/outputs.json", "stack outputs written by the deploy")
	timeout := flag.Duration("timeout", 30*time.Minute, "give up after this long")
	flag.Parse()
	if *clients < 2 {
		return errors.New("-clients: at least 2, so every transfer has another wallet to go to")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	outputs, err := cli.ReadOutputs(*outputsFile)
	if err != nil {
		return err
	}
	if outputs["FaultInjection"] != "true" {
		return errors.New("the deployment does not read injected faults (output FaultInjection): deploy with FAULT_INJECTION=true")
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	faults := &controlItems{db: dynamodb.NewFromConfig(cfg), table: outputs["LedgerTableName"]}
	if err := faults.save(ctx); err != nil {
		return err
	}
	api := &chaos.Client{BaseURL: outputs["LocalApiUrl"], HTTP: &http.Client{Timeout: 30 * time.Second}}
	sessions := &chaos.Sessions{}
	sessions.Login = func(ctx context.Context, email string) (string, error) {
		if email == adminEmail {
			return login(ctx, api, email, adminPassword)
		}
		return login(ctx, api, email, userPassword)
	}
	// The deployment made the admin (scripts/admin-local.py, after every deploy).
	admin, err := login(ctx, api, adminEmail, adminPassword)
	if err != nil {
		return err
	}
	sessions.Add(adminEmail, admin)

	run := uuid.NewString()[:8]
	users := make([]chaos.User, 0, *clients)
	for i := 0; i < *clients; i++ {
		u, err := newUser(ctx, api, fmt.Sprintf("chaos-%s-%d@wallet.test", run, i))
		if err != nil {
			return err
		}
		users = append(users, u)
		sessions.Add(u.Email, u.Token)
	}
	api.Sessions = sessions
	fmt.Printf("chaos: %d clients, %d operations, seed %d, run %s\n", *clients, *ops, *seed, run)
	w := chaos.NewWorkload(api, faults, chaos.Config{Clients: *clients, Ops: *ops, Seed: *seed, Phases: chaos.DefaultPhases,
		FaultGrace: 15 * time.Second, SettleWithin: 3 * time.Minute}, users)
	w.AdminToken = admin
	start := time.Now()
	exp, err := w.Run(ctx)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	wallets, err := chaos.Observe(ctx, api, users)
	if err != nil {
		return err
	}
	problems := chaos.Verify(exp, wallets)
	if err := ledgerCheck(ctx, api, admin); err != nil {
		problems = append(problems, err.Error())
	}
	told, err := chaos.CompletionEvents(ctx, api, users, exp.Ends, eventsWithin, eventsSettle)
	if err != nil {
		return err
	}
	problems = append(problems, told...)
	report(exp, elapsed)
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Println("PROBLEM:", p)
		}
		return fmt.Errorf("%d problems", len(problems))
	}
	var money int64
	for _, w := range wallets {
		money += w.Balance
	}
	fmt.Printf("chaos: every cent accounted for: %d minor units in %d wallets = %d credits + %d redemptions − %d withdrawals accepted; "+
		"statements sum to balances; %d final transfers (refunds and request payments included) match their postings, none refunded beyond what it moved, "+
		"each completed one told its payer once; %d payment requests each moved their amount once if PAID and nothing otherwise; nothing held; ledger check green\n",
		money, len(wallets), len(exp.Credits), len(exp.Redemptions), len(exp.Withdrawals), len(exp.Ends), len(exp.Requests))
	return nil
}

func report(exp chaos.Expectations, elapsed time.Duration) {
	total := 0
	for _, n := range exp.Statuses {
		total += n
	}
	fmt.Printf("chaos: %d requests in %s (%.1f/s); %d replays compared\n", total, elapsed.Round(time.Second), float64(total)/elapsed.Seconds(), exp.Replays)
	statuses := make([]int, 0, len(exp.Statuses))
	for s := range exp.Statuses {
		statuses = append(statuses, s)
	}
	sort.Ints(statuses)
	fmt.Print("statuses:")
	for _, s := range statuses {
		fmt.Printf(" %d×%d", s, exp.Statuses[s])
	}
	fmt.Println()
	kinds := make([]string, 0, len(exp.Ops))
	for k := range exp.Ops {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Printf("  %-40s %d\n", k, exp.Ops[k])
	}
}

func newUser(ctx context.Context, api *chaos.Client, email string) (chaos.User, error) {
	r, err := api.Settle(ctx, "POST", "/v1/auth/signup", "", "", map[string]string{"email": email, "password": userPassword, "name": "Chaos"})
	if err != nil || r.Status != http.StatusAccepted {
		return chaos.User{}, chaos.Unexpected("signup "+email, r, err)
	}
	// A verify whose answer was lost and that was sent again finds its code used.
	if err := verify(ctx, api, email); err != nil && !errors.Is(err, errVerifiedBefore) {
		return chaos.User{}, err
	}
	token, err := login(ctx, api, email, userPassword)
	if err != nil {
		return chaos.User{}, err
	}
	me, err := api.Settle(ctx, "GET", "/v1/me", token, "", nil)
	var u struct {
		ID       string `json:"id"`
		Verified bool   `json:"email_verified"`
	}
	if err != nil || me.Status != http.StatusOK || me.Decode(&u) != nil || !u.Verified {
		return chaos.User{}, chaos.Unexpected("verified user "+email, me, err)
	}
	userID := u.ID
	walletID, err := create(ctx, api, "wallet for "+email, "/v1/wallets", token, map[string]string{"currency": "USD"})
	if err != nil {
		return chaos.User{}, err
	}
	return chaos.User{ID: userID, Email: email, Token: token, WalletID: walletID}, nil
}

// create POSTs body to path, wants 201 Created, and returns the id of what it created.
func create(ctx context.Context, api *chaos.Client, what, path, token string, body any) (string, error) {
	r, err := api.Settle(ctx, "POST", path, token, "", body)
	if err != nil || r.Status != http.StatusCreated {
		return "", chaos.Unexpected(what, r, err)
	}
	var created struct {
		ID string `json:"id"`
	}
	if err := r.Decode(&created); err != nil {
		return "", err
	}
	return created.ID, nil
}

func login(ctx context.Context, api *chaos.Client, email, password string) (string, error) {
	r, err := api.Settle(ctx, "POST", "/v1/auth/login", "", "", map[string]string{"email": email, "password": password})
	if err != nil || r.Status != http.StatusOK {
		return "", chaos.Unexpected("login "+email, r, err)
	}
	var s struct {
		Token string `json:"access_token"`
	}
	return s.Token, r.Decode(&s)
}

// How long the completion events may take to arrive (stream, SNS, SQS, consumer), and
// how long after the last one a duplicate is still waited for.
const (
	eventsWithin = 2 * time.Minute
	eventsSettle = 10 * time.Second
)

// errVerifiedBefore: the address's latest code was used already (a verify whose answer
// was lost, sent again).
var errVerifiedBefore = errors.New("the latest code was used before")

// verify verifies an address with the latest code emailed to it (read from the local
// mail catcher).
func verify(ctx context.Context, api *chaos.Client, email string) error {
	box, err := mailbox.FromEnv()
	if err != nil {
		return err
	}
	code, err := box.LatestCode(ctx, email)
	if err != nil {
		return err
	}
	r, err := api.Settle(ctx, "POST", "/v1/auth/verify", "", "", map[string]string{"email": email, "code": code})
	if err == nil && r.Status == http.StatusBadRequest {
		return errVerifiedBefore
	}
	if err != nil || r.Status != http.StatusOK {
		return chaos.Unexpected("verify "+email, r, err)
	}
	return nil
}

// ledgerCheck runs the product's own conservation check as the admin.
func ledgerCheck(ctx context.Context, api *chaos.Client, token string) error {
	r, err := api.Settle(ctx, "GET", "/v1/admin/ledger/check", token, "", nil)
	if err != nil || r.Status != http.StatusOK {
		return chaos.Unexpected("ledger check", r, err)
	}
	var c struct {
		OK bool `json:"ok"`
	}
	if err := r.Decode(&c); err != nil {
		return err
	}
	if !c.OK {
		return fmt.Errorf("ledger check found violations: %s", r.Body)
	}
	return nil
}

// controlItems writes the deployment's CONTROL items: FAULTS (read by every saga step
// when fault injection is on) and BREAKER (read by every new transfer). It saves both
// before the run and puts them back exactly as they were at the end.
type controlItems struct {
	db    *dynamodb.Client
	table string
	saved map[string]map[string]ddbtypes.AttributeValue // sk → item as found; nil when absent
}

// controlSKs are the CONTROL items a run changes.
var controlSKs = []string{"FAULTS", "BREAKER"}

func (c *controlItems) key(sk string) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "CONTROL"}, "sk": &ddbtypes.AttributeValueMemberS{Value: sk}}
}

// save reads the CONTROL items as the run finds them.
func (c *controlItems) save(ctx context.Context) error {
	c.saved = map[string]map[string]ddbtypes.AttributeValue{}
	for _, sk := range controlSKs {
		out, err := c.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(c.table), Key: c.key(sk), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return fmt.Errorf("read CONTROL/%s: %w", sk, err)
		}
		c.saved[sk] = out.Item
	}
	return nil
}

// Inject puts the faults, or clears them when there are none.
func (c *controlItems) Inject(ctx context.Context, faults map[string]chaos.Fault) error {
	if len(faults) == 0 {
		return c.remove(ctx, "FAULTS")
	}
	item, err := attributevalue.MarshalMap(map[string]any{"pk": "CONTROL", "sk": "FAULTS", "faults": faults})
	if err != nil {
		return err
	}
	if _, err := c.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(c.table), Item: item}); err != nil {
		return fmt.Errorf("write CONTROL/FAULTS: %w", err)
	}
	return nil
}

// Reset puts the CONTROL items back exactly as save found them (an item that was absent
// is deleted); every item is tried whatever happens.
func (c *controlItems) Reset(ctx context.Context) error {
	var errs []error
	for _, sk := range controlSKs {
		item := c.saved[sk]
		if item == nil {
			errs = append(errs, c.remove(ctx, sk))
			continue
		}
		if _, err := c.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(c.table), Item: item}); err != nil {
			errs = append(errs, fmt.Errorf("restore CONTROL/%s: %w", sk, err))
		}
	}
	return errors.Join(errs...)
}

func (c *controlItems) remove(ctx context.Context, sk string) error {
	if _, err := c.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(c.table), Key: c.key(sk)}); err != nil {
		return fmt.Errorf("clear CONTROL/%s: %w", sk, err)
	}
	return nil
}
