//go:build integration

package integration

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deployNumber reads a number the deployment was made with from the stack outputs, so
// that waits and counts follow the deployment instead of copies of its parameters.
func deployNumber(t *testing.T, key string) int {
	t.Helper()
	v, ok := stackOutputs(t)[key]
	require.True(t, ok, "stack output %s is missing: redeploy the stack (make test deploys it)", key)
	n, err := strconv.Atoi(v)
	require.NoError(t, err, "stack output %s", key)
	return n
}

// deploySeconds is deployNumber for a parameter in seconds.
func deploySeconds(t *testing.T, key string) time.Duration {
	t.Helper()
	return time.Duration(deployNumber(t, key)) * time.Second
}

// Event queue settings of the local deployment that the stack does not output.
const (
	eventQueueVisibilitySeconds = 5 // EventQueueVisibilitySeconds, set by scripts/deploy-local.sh
	eventConsumerTimeoutSeconds = 5 // Timeout of the notify and earn-rewards functions (template.yaml)
	eventMaxReceiveCount        = 3 // EventMaxReceiveCount, the template's default
)

// lateDuplicateWindow is how long a "no duplicate" check keeps looking after the expected
// event was handled: a consumer that handled a message but did not delete it gets it again
// once the queue's visibility timeout ends, and handles it within its own timeout.
const lateDuplicateWindow = (eventQueueVisibilitySeconds + eventConsumerTimeoutSeconds + 1) * time.Second

// deadLetterWait bounds the wait for a poison message in a dead-letter queue: it moves
// there after eventMaxReceiveCount failed receives, each one visibility timeout apart.
const deadLetterWait = (eventMaxReceiveCount*(eventQueueVisibilitySeconds+eventConsumerTimeoutSeconds) + eventWaitSecondsMax) * time.Second

// receiveMatching reads the queue until a message whose body satisfies match arrives or
// within has passed, deletes the matching messages, and reports whether one came. Other
// messages are left alone and reappear after the queue's visibility timeout.
func receiveMatching(t *testing.T, queueURL string, within time.Duration, match func(body string) bool) bool {
	t.Helper()
	q := sqs.NewFromConfig(awsConfig(t))
	ctx := context.Background()
	deadline := time.Now().Add(within)
	found := false
	for !found && time.Now().Before(deadline) {
		res, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		require.NoError(t, err)
		for _, m := range res.Messages {
			if match(aws.ToString(m.Body)) {
				found = true
				_, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle})
				assert.NoError(t, err)
			}
		}
	}
	return found
}

// The ledger table's CONTROL items are shared by the whole deployment: CONTROL/FAULTS is
// read by every saga step when fault injection is enabled, CONTROL/BREAKER by every new
// transfer. A test that writes either must not run in parallel with any test that moves
// money (so it must not call t.Parallel), and must restore both when it ends, failed or
// not: withFaults and isolateBreaker register that cleanup.

// fault is what one saga step acts out (transfer.Fault in the product).
type fault struct {
	Mode    string `dynamodbav:"mode"` // "fail", "contend", "twice" or "delay"
	DelayMs int64  `dynamodbav:"delay_ms,omitempty"`
}

// stepFaults maps a saga step's name to its fault.
type stepFaults map[string]fault

type breakerItem struct {
	State    string    `dynamodbav:"state"`
	Failures int       `dynamodbav:"failures"`
	OpenedAt time.Time `dynamodbav:"opened_at"`
}

// control reads and writes the CONTROL items. Its methods return errors, so that test
// cleanups can report a failure without stopping the other cleanups.
type control struct {
	db    *dynamodb.Client
	table string
}

func controlOf(t *testing.T) control {
	t.Helper()
	db, table := ledgerTable(t)
	return control{db: db, table: table}
}

func (c control) key(sk string) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "CONTROL"}, "sk": &ddbtypes.AttributeValueMemberS{Value: sk}}
}

func (c control) get(sk string) (map[string]ddbtypes.AttributeValue, error) {
	out, err := c.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(c.table), Key: c.key(sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("read CONTROL/%s: %w", sk, err)
	}
	return out.Item, nil
}

func (c control) remove(sk string) error {
	_, err := c.db.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String(c.table), Key: c.key(sk)})
	if err != nil {
		return fmt.Errorf("delete CONTROL/%s: %w", sk, err)
	}
	return nil
}

func (c control) putFaults(f stepFaults) error {
	item, err := attributevalue.MarshalMap(map[string]any{"pk": "CONTROL", "sk": "FAULTS", "faults": f})
	if err != nil {
		return err
	}
	if _, err := c.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(c.table), Item: item}); err != nil {
		return fmt.Errorf("write CONTROL/FAULTS: %w", err)
	}
	return nil
}

func (c control) clearFaults() error { return c.remove("FAULTS") }

// closeBreaker closes the breaker without deleting its item (its version moves on, so
// an instance that loaded it before saves nothing over it): state CLOSED, no failures.
// An absent item already reads as CLOSED.
func (c control) closeBreaker() error {
	item, err := c.get("BREAKER")
	if err != nil || item == nil {
		return err
	}
	var b struct {
		State    string `dynamodbav:"state"`
		Failures int    `dynamodbav:"failures"`
		Version  int64  `dynamodbav:"version"`
	}
	if err := attributevalue.UnmarshalMap(item, &b); err != nil {
		return fmt.Errorf("decode CONTROL/BREAKER: %w", err)
	}
	if b.State == "CLOSED" && b.Failures == 0 {
		return nil
	}
	closed := maps.Clone(item)
	closed["state"] = &ddbtypes.AttributeValueMemberS{Value: "CLOSED"}
	closed["failures"] = &ddbtypes.AttributeValueMemberN{Value: "0"}
	closed["version"] = &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(b.Version+1, 10)}
	if _, err := c.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(c.table), Item: closed}); err != nil {
		return fmt.Errorf("close CONTROL/BREAKER: %w", err)
	}
	return nil
}

// controlSKs are the CONTROL items a test may change.
var controlSKs = []string{"FAULTS", "BREAKER"}

// controlSnapshot is the CONTROL items as read at one moment: sk → item, nil when absent.
type controlSnapshot map[string]map[string]ddbtypes.AttributeValue

func (c control) snapshot() (controlSnapshot, error) {
	s := controlSnapshot{}
	for _, sk := range controlSKs {
		item, err := c.get(sk)
		if err != nil {
			return nil, err
		}
		s[sk] = item
	}
	return s, nil
}

// putBack writes the CONTROL items back exactly as the snapshot holds them (deleting one
// that was absent); every item is tried whatever happens.
func (c control) putBack(s controlSnapshot) error {
	var errs []error
	for _, sk := range controlSKs {
		if s[sk] == nil {
			errs = append(errs, c.remove(sk))
			continue
		}
		if _, err := c.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(c.table), Item: s[sk]}); err != nil {
			errs = append(errs, fmt.Errorf("restore CONTROL/%s: %w", sk, err))
		}
	}
	return errors.Join(errs...)
}

func (c control) breaker() (breakerItem, error) {
	item, err := c.get("BREAKER")
	if err != nil {
		return breakerItem{}, err
	}
	var b breakerItem
	if err := attributevalue.UnmarshalMap(item, &b); err != nil {
		return breakerItem{}, fmt.Errorf("decode CONTROL/BREAKER: %w", err)
	}
	if b.State == "" {
		b.State = "CLOSED"
	}
	return b, nil
}

// restoreOnCleanup saves the CONTROL items now and makes the test put them back exactly
// as they were when it ends, even when it fails or stops early.
func restoreOnCleanup(t *testing.T, c control) {
	t.Helper()
	saved, err := c.snapshot()
	require.NoError(t, err)
	t.Cleanup(func() {
		if err := c.putBack(saved); err != nil {
			t.Errorf("restoring the deployment's shared state: %v", err)
		}
	})
}

// withFaults injects faults into the saga's steps until the test (or subtest) ends.
// Callers must be serial tests: every saga of the deployment reads these faults.
func withFaults(t *testing.T, f stepFaults) {
	t.Helper()
	require.Equal(t, "true", stackOutputs(t)["FaultInjection"],
		"the deployment does not read injected faults (stack output FaultInjection): deploy with FAULT_INJECTION=true")
	c := controlOf(t)
	restoreOnCleanup(t, c)
	require.NoError(t, c.putFaults(f))
}

// clearFaults ends fault injection before the test does.
func clearFaults(t *testing.T) {
	t.Helper()
	require.NoError(t, controlOf(t).clearFaults())
}

// isolateBreaker closes the circuit breaker now and puts the CONTROL items back as they
// were when the test ends. Callers must be serial tests: every transfer reads the breaker.
func isolateBreaker(t *testing.T) {
	t.Helper()
	c := controlOf(t)
	// Cleanups run last first: this one runs after the breaker is put back, and lets the
	// functions' copies of the breaker (BreakerCacheSeconds) age out before the next test.
	t.Cleanup(func() { waitBreakerCopies(t) })
	restoreOnCleanup(t, c)
	require.NoError(t, c.closeBreaker())
}

// waitBreakerCopies waits until every function instance has read the breaker item again
// since it last changed: each serves it from a copy up to BreakerCacheSeconds old.
func waitBreakerCopies(t *testing.T) {
	t.Helper()
	time.Sleep(deploySeconds(t, "BreakerCacheSeconds"))
}

func breakerNow(t *testing.T) breakerItem {
	t.Helper()
	b, err := controlOf(t).breaker()
	require.NoError(t, err)
	return b
}

func breakerState(t *testing.T) string {
	t.Helper()
	return breakerNow(t).State
}

// requireCleanSlate checks that no earlier test left the deployment-wide state changed:
// the circuit breaker is closed and no fault is injected.
func requireCleanSlate(t *testing.T) {
	t.Helper()
	c := controlOf(t)
	b, err := c.breaker()
	require.NoError(t, err)
	require.Equal(t, "CLOSED", b.State,
		"the transfer circuit breaker is %s (%d failures counted): an earlier test's sagas failed for technical reasons (step_failed),"+
			" a test that trips it did not close it, or an earlier run was killed before its cleanup", b.State, b.Failures)
	f, err := c.get("FAULTS")
	require.NoError(t, err)
	if f != nil {
		var it struct {
			Faults stepFaults `dynamodbav:"faults"`
		}
		_ = attributevalue.UnmarshalMap(f, &it)
		var steps []string
		for step, x := range it.Faults {
			steps = append(steps, step+"="+x.Mode)
		}
		sort.Strings(steps)
		require.Fail(t, "faults are injected into the saga",
			"CONTROL/FAULTS is set (%s): a fault-injection test did not clear it, or an earlier run was killed before its cleanup; every saga in the deployment reads it",
			strings.Join(steps, ", "))
	}
}
