package idempotency_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/idempotency"
)

func TestValidateKey(t *testing.T) {
	tests := map[string]struct {
		key  string
		want error // nil when valid
	}{
		"empty":            {"", idempotency.ErrKeyRequired},
		"one character":    {"a", nil},
		"uuid":             {"3f1c2a9e-8d7b-4c6a-9e1f-0a2b3c4d5e6f", nil},
		"printable ASCII":  {"!~key_with.punct:uation/and=more~!", nil},
		"255 bytes":        {strings.Repeat("k", 255), nil},
		"256 bytes":        {strings.Repeat("k", 256), idempotency.ErrKeyInvalid},
		"space inside":     {"a b", idempotency.ErrKeyInvalid},
		"leading space":    {" abc", idempotency.ErrKeyInvalid},
		"tab":              {"abc\t", idempotency.ErrKeyInvalid},
		"newline":          {"abc\n", idempotency.ErrKeyInvalid},
		"NUL":              {"ab\x00c", idempotency.ErrKeyInvalid},
		"DEL":              {"abc\x7f", idempotency.ErrKeyInvalid},
		"non-ASCII letter": {"clé", idempotency.ErrKeyInvalid},
		"emoji":            {"key-🔑", idempotency.ErrKeyInvalid},
		"255 with one é":   {strings.Repeat("k", 253) + "é", idempotency.ErrKeyInvalid},
		"only spaces":      {"   ", idempotency.ErrKeyInvalid},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			err := idempotency.ValidateKey(tt.key)
			if tt.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tt.want)
		})
	}
}

type creditBody struct {
	Amount      int64  `json:"amount"`
	Description string `json:"description,omitempty"`
}

func TestHash(t *testing.T) {
	base, err := idempotency.Hash("credit", "wallet-1", creditBody{Amount: 100, Description: "rent"})
	require.NoError(t, err)
	assert.Len(t, base, 64, "hex of a SHA-256")

	t.Run("same input, same hash", func(t *testing.T) {
		again, err := idempotency.Hash("credit", "wallet-1", creditBody{Amount: 100, Description: "rent"})
		require.NoError(t, err)
		assert.Equal(t, base, again)
	})

	differs := map[string]struct {
		op, target string
		body       any
	}{
		"operation":   {"transfer", "wallet-1", creditBody{Amount: 100, Description: "rent"}},
		"target":      {"credit", "wallet-2", creditBody{Amount: 100, Description: "rent"}},
		"amount":      {"credit", "wallet-1", creditBody{Amount: 101, Description: "rent"}},
		"description": {"credit", "wallet-1", creditBody{Amount: 100, Description: "Rent"}},
		"omitted":     {"credit", "wallet-1", creditBody{Amount: 100}},
	}
	for name, tt := range differs {
		t.Run("different "+name, func(t *testing.T) {
			h, err := idempotency.Hash(tt.op, tt.target, tt.body)
			require.NoError(t, err)
			assert.NotEqual(t, base, h)
		})
	}

	t.Run("map key order is irrelevant", func(t *testing.T) {
		// Two maps built in different orders encode to the same canonical JSON.
		a := map[string]any{}
		a["amount"], a["currency"], a["description"] = 100, "USD", "x"
		b := map[string]any{}
		b["description"], b["currency"], b["amount"] = "x", "USD", 100
		ha, err := idempotency.Hash("transfer", "", a)
		require.NoError(t, err)
		hb, err := idempotency.Hash("transfer", "", b)
		require.NoError(t, err)
		assert.Equal(t, ha, hb)
	})

	t.Run("struct and equivalent map agree", func(t *testing.T) {
		hs, err := idempotency.Hash("credit", "wallet-1", creditBody{Amount: 100, Description: "rent"})
		require.NoError(t, err)
		hm, err := idempotency.Hash("credit", "wallet-1", map[string]any{"description": "rent", "amount": 100})
		require.NoError(t, err)
		assert.Equal(t, hs, hm, "the hash depends on the decoded body, not on its Go type")
	})

	t.Run("unencodable body is an error", func(t *testing.T) {
		_, err := idempotency.Hash("credit", "wallet-1", map[string]any{"f": func() {}})
		assert.Error(t, err)
	})
}

func TestNewClaim(t *testing.T) {
	const claimsN = 1000
	seen := make(map[string]bool, claimsN)
	for i := 0; i < claimsN; i++ {
		c := idempotency.NewClaim("user-1", "key-1", "hash-1")
		require.Equal(t, "user-1", c.UserID)
		require.Equal(t, "key-1", c.Key)
		require.Equal(t, "hash-1", c.Hash)
		require.Len(t, c.Token, 32, "16 random bytes in hex")
		require.False(t, seen[c.Token], "token %s repeated", c.Token)
		seen[c.Token] = true
	}
	assert.Len(t, seen, claimsN)
}
