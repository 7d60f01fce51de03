package app

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/transfer"
	"github.com/serverless-wallet/wallet/internal/user"
)

// A transfer service built without a saga source serves reads and the sweeper; were it
// ever asked to start a saga, it refuses instead of calling a nil runner.
func TestTransferServiceWithoutSagaRefusesToStartOne(t *testing.T) {
	t.Setenv("LEDGER_TABLE", "ledger")
	t.Setenv("IDEMPOTENCY_TABLE", "idempotency")
	d := &Deps{Log: slog.Default(), AWS: aws.Config{Region: "us-east-1"}}
	ts, err := d.TransferService(nil)
	require.NoError(t, err)
	require.NoError(t, d.EnvErr())
	assert.ErrorIs(t, ts.Saga.Run(context.Background(), transfer.SagaInput{TransferID: "t1"}), errNoSaga)
}

func TestTransferServiceUsesTheSagaSource(t *testing.T) {
	t.Setenv("LEDGER_TABLE", "ledger")
	t.Setenv("IDEMPOTENCY_TABLE", "idempotency")
	t.Setenv("USERS_TABLE", "users")   // a recipient's account
	t.Setenv("LIMITS_TABLE", "limits") // the caller's recipient lookups
	d := &Deps{Log: slog.Default(), AWS: aws.Config{Region: "us-east-1"}}
	runner := &countingRunner{}
	ts, err := d.TransferService(func(*Deps) transfer.Runner { return runner })
	require.NoError(t, err)
	require.NoError(t, ts.Saga.Run(context.Background(), transfer.SagaInput{TransferID: "t1"}))
	assert.Equal(t, 1, runner.runs)
}

type countingRunner struct{ runs int }

func (r *countingRunner) Run(context.Context, transfer.SagaInput) error { r.runs++; return nil }

func TestEveryStepLogsItsName(t *testing.T) {
	cases := []struct {
		name string
		in   transfer.StepRequest
		want string
	}{
		{transfer.StepReserve, transfer.StepInput{TransferID: "t"}, "reserve"},
		{transfer.StepPost, transfer.StepInput{TransferID: "t"}, "post"},
		{transfer.StepFinalize, transfer.FinalizeInput{TransferID: "t", Status: transfer.StatusHeld}, "finalize:HELD"},
		{transfer.StepRelease, transfer.CompensateInput{TransferID: "t", Phase: "settle"}, "release:settle"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, stepLabel(c.name, c.in.StepName()))
	}
}

type refusal struct{}

func (refusal) Error() string { return "refused" }

// A metered deployment times each invocation's handler and logs it once; the handler's
// answer and its error, whose type name Step Functions matches, pass through unchanged.
func TestTimedLogsTheHandlersTimeAndKeepsItsAnswer(t *testing.T) {
	var logged bytes.Buffer
	h := timed{log: slog.New(slog.NewJSONHandler(&logged, nil)), next: lambda.NewHandler(func(_ context.Context, in map[string]string) (map[string]string, error) {
		if in["fail"] != "" {
			return nil, refusal{}
		}
		return map[string]string{"echo": in["say"]}, nil
	})}
	out, err := h.Invoke(context.Background(), []byte(`{"say":"hi"}`))
	require.NoError(t, err)
	assert.JSONEq(t, `{"echo":"hi"}`, string(out))
	_, err = h.Invoke(context.Background(), []byte(`{"fail":"yes"}`))
	assert.ErrorAs(t, err, new(refusal))

	lines := strings.Split(strings.TrimSpace(logged.String()), "\n")
	require.Len(t, lines, 2, "one line per invocation")
	var line map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &line))
	assert.Equal(t, "handled", line["msg"])
	assert.Contains(t, line, handlerMicrosKey)
}

func TestBreakerCacheSecondsSetsTheCopy(t *testing.T) {
	cases := []struct {
		env     string
		cached  bool
		ttl     time.Duration
		wantErr bool
	}{
		{"", true, transfer.BreakerCacheSeconds * time.Second, false},
		{"1", true, time.Second, false},
		{"0", false, 0, false},
		{"-1", false, 0, true},
		{"soon", false, 0, true},
	}
	for _, c := range cases {
		t.Run(c.env, func(t *testing.T) {
			t.Setenv("LEDGER_TABLE", "ledger")
			t.Setenv("IDEMPOTENCY_TABLE", "idempotency")
			t.Setenv("BREAKER_CACHE_SECONDS", c.env)
			d := &Deps{Log: slog.Default(), AWS: aws.Config{Region: "us-east-1"}}
			_, b, err := d.transferParts()
			if c.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			cached, ok := b.Store.(*transfer.CachedBreakerStore)
			assert.Equal(t, c.cached, ok)
			if ok {
				assert.Equal(t, c.ttl, cached.TTL)
			}
		})
	}
}

type recordingMailer struct{ sent int }

func (m *recordingMailer) Send(context.Context, string, string, string) error { m.sent++; return nil }

// A function the template gives MAIL_FROM sends mail only through its main's mail
// source: without one its cold start fails, rather than its mail going nowhere.
func TestMailNeedsAMailSource(t *testing.T) {
	t.Setenv("USERS_TABLE", "users")
	t.Setenv("MAIL_FROM", "wallet@example.com")
	d := &Deps{Log: slog.Default(), AWS: aws.Config{Region: "us-east-1"}}
	_, err := d.UserService(context.Background(), nil, nil)
	require.ErrorContains(t, err, "MAIL_FROM")

	m := &recordingMailer{}
	s, err := d.UserService(context.Background(), nil, func(*Deps) (user.Mailer, error) { return m, nil })
	require.NoError(t, err)
	require.NotNil(t, s)
}
