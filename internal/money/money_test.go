package money_test

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/problem"
)

func TestMinorUnmarshalJSON(t *testing.T) {
	tests := map[string]struct {
		body string // the JSON value of "amount"
		want int64
		ok   bool
	}{
		"integer":              {`1250`, 1250, true},
		"zero":                 {`0`, 0, true}, // refused later by Positive, not by the decoder
		"negative":             {`-5`, -5, true},
		"max int64":            {`9223372036854775807`, math.MaxInt64, true},
		"min int64":            {`-9223372036854775808`, math.MinInt64, true},
		"whitespace around":    {" \n\t 42 \t", 42, true},
		"fraction":             {`1.5`, 0, false},
		"whole fraction":       {`10.0`, 0, false},
		"exponent":             {`1e3`, 0, false},
		"upper-case exponent":  {`1E3`, 0, false},
		"string":               {`"10"`, 0, false},
		"null":                 {`null`, 0, false},
		"boolean":              {`true`, 0, false},
		"object":               {`{}`, 0, false},
		"beyond int64":         {`9223372036854775808`, 0, false},
		"beyond int64 negated": {`-9223372036854775809`, 0, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var in struct {
				Amount money.Minor `json:"amount"`
			}
			in.Amount = 7 // a refused value must not be overwritten with something else
			err := json.Unmarshal([]byte(`{"amount":`+tt.body+`}`), &in)
			if !tt.ok {
				require.Error(t, err)
				assert.ErrorIs(t, err, money.ErrInvalidAmount)
				p, isProblem := problem.As(err)
				require.True(t, isProblem, "err = %v", err)
				assert.Equal(t, problem.KindInvalid, p.Kind)
				assert.Equal(t, money.Minor(7), in.Amount)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, money.Minor(tt.want), in.Amount)
		})
	}
}

func TestMinorUnmarshalJSONDirect(t *testing.T) {
	// Called directly (not through encoding/json, which validates syntax first) the
	// method still refuses what is not a plain integer.
	tests := map[string]struct {
		raw  string
		want int64
		ok   bool
	}{
		"padded integer": {"  42  ", 42, true},
		"empty":          {"", 0, false},
		"blank":          {"   ", 0, false},
		"fraction":       {"1.5", 0, false},
		"exponent":       {"1e3", 0, false},
		"quoted":         {`"10"`, 0, false},
		"hex":            {"0x10", 0, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var m money.Minor
			err := m.UnmarshalJSON([]byte(tt.raw))
			if !tt.ok {
				assert.ErrorIs(t, err, money.ErrInvalidAmount)
				assert.Zero(t, m)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, money.Minor(tt.want), m)
		})
	}
}

func TestParseCurrency(t *testing.T) {
	tests := []struct {
		code    string
		wantExp int
		ok      bool
	}{
		{"USD", 2, true},
		{"EUR", 2, true},
		{"JPY", 0, true},
		{"KRW", 0, true},
		{"KWD", 3, true},
		{"BHD", 3, true},
		{"usd", 0, false},
		{"Usd", 0, false},
		{"", 0, false},
		{" USD", 0, false},
		{"USDT", 0, false},
		{"XXX", 0, false},
		{"BTC", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			c, err := money.ParseCurrency(tt.code)
			if !tt.ok {
				assert.ErrorIs(t, err, money.ErrInvalidCurrency)
				assert.Equal(t, money.Currency{}, c)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, money.Currency{Code: tt.code, Exponent: tt.wantExp}, c)
		})
	}
}

func TestAddChecked(t *testing.T) {
	tests := map[string]struct {
		a, b int64
		want int64
		ok   bool
	}{
		"small":                    {2, 3, 5, true},
		"negative sum":             {-2, -3, -5, true},
		"mixed signs":              {math.MaxInt64, math.MinInt64, -1, true},
		"max plus zero":            {math.MaxInt64, 0, math.MaxInt64, true},
		"reaches max":              {math.MaxInt64 - 1, 1, math.MaxInt64, true},
		"max plus one":             {math.MaxInt64, 1, 0, false},
		"one plus max":             {1, math.MaxInt64, 0, false},
		"max plus max":             {math.MaxInt64, math.MaxInt64, 0, false},
		"min plus zero":            {math.MinInt64, 0, math.MinInt64, true},
		"reaches min":              {math.MinInt64 + 1, -1, math.MinInt64, true},
		"min minus one":            {math.MinInt64, -1, 0, false},
		"minus one plus min":       {-1, math.MinInt64, 0, false},
		"zero plus min":            {0, math.MinInt64, math.MinInt64, true},
		"min plus min":             {math.MinInt64, math.MinInt64, 0, false},
		"large negative plus max":  {math.MinInt64 + 1, math.MaxInt64, 0, true},
		"large positive minus one": {math.MaxInt64, -1, math.MaxInt64 - 1, true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := money.AddChecked(tt.a, tt.b)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestPositive(t *testing.T) {
	tests := map[string]struct {
		amount int64
		ok     bool
	}{
		"one":       {1, true},
		"max":       {math.MaxInt64, true},
		"zero":      {0, false},
		"minus one": {-1, false},
		"min":       {math.MinInt64, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			err := money.Positive(tt.amount)
			if tt.ok {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, money.ErrInvalidAmount)
		})
	}
}
