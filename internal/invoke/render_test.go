package invoke

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var sampleSeed = Seed{APIID: "api1", Key: "k1", Email: "ivy@example.com", UserID: "u-1",
	WalletID: "w-1", OtherWalletID: "w-2", TransferID: "t-1", CreditEntryID: "p-1:0",
	CreditTime: time.Date(2026, 12, 2, 10, 0, 0, 123e6, time.UTC)}

func TestRender(t *testing.T) {
	tests := []struct {
		name, event, want, wantError string
	}{
		{"seed values", `{"a": "{{user_id}}", "b": "{\"w\": \"{{wallet_id}}\"}"}`, `{"a": "u-1", "b": "{\"w\": \"w-1\"}"}`, ""},
		{"no placeholder", `{"a": 1}`, `{"a": 1}`, ""},
		{"the replay key names the seed and the function", `"{{replay_key}}"`, `"k1-MeFunction"`, ""},
		{"an entry's sort key", `"{{credit_entry_key}}"`, `"ENTRY#1796205600123#p-1:0"`, ""},
		{"a time", `"{{credit_time}}"`, `"2026-12-02T10:00:00.123Z"`, ""},
		{"unknown", `"{{nope}}"`, "", "unknown placeholder {{nope}}"},
		{"malformed", `"{{User_ID}}"`, "", "malformed placeholder"},
		{"empty in the seed", `"{{void_hold_id}}"`, "", "the seed has no value"},
		{"made through the API", `"{{access_token}}"`, "", "through the API"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &Values{Seed: sampleSeed, Function: "MeFunction"}
			got, err := v.Render(context.Background(), []byte(tt.event))
			if tt.wantError != "" {
				assert.ErrorContains(t, err, tt.wantError)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
}

func TestRenderMakesEachValueOncePerInvoke(t *testing.T) {
	v := &Values{Seed: sampleSeed}
	got, err := v.Render(context.Background(), []byte(`{{idempotency_key}} {{idempotency_key}}`))
	require.NoError(t, err)
	parts := strings.Fields(string(got))
	require.Len(t, parts, 2)
	assert.Equal(t, parts[0], parts[1], "one value per name within an invoke")
	again, err := (&Values{Seed: sampleSeed}).Render(context.Background(), []byte(`{{idempotency_key}}`))
	require.NoError(t, err)
	assert.NotEqual(t, parts[0], string(again), "a fresh key per invoke")
}

func TestRenderRefusesValuesThatNeedEscaping(t *testing.T) {
	for _, email := range []string{`a"b@example.com`, `a\b@example.com`, "a\nb@example.com"} {
		v := &Values{Seed: Seed{Email: email}}
		_, err := v.Render(context.Background(), []byte(`"{{email}}"`))
		assert.ErrorContains(t, err, "escaping", "%q", email)
	}
}

// TestEventFilesUseKnownPlaceholders checks every events/ file: JSON, with only known
// placeholders, each inside a string (so the file stays JSON once filled).
func TestEventFilesUseKnownPlaceholders(t *testing.T) {
	files, err := filepath.Glob("../../events/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	known := Placeholders()
	for _, f := range files {
		b, err := os.ReadFile(f) // #nosec G304 -- the repository's own files
		require.NoError(t, err)
		require.True(t, json.Valid(b), "%s is JSON", f)
		for _, m := range placeholder.FindAllSubmatch(b, -1) {
			assert.True(t, slices.Contains(known, string(m[1])), "%s: unknown placeholder {{%s}}", f, m[1])
		}
		filled := placeholder.ReplaceAll(b, []byte(`x`))
		assert.True(t, json.Valid(filled), "%s is JSON once filled", f)
		assert.NotContains(t, string(filled), "{{", "%s: a malformed placeholder", f)
	}
}
