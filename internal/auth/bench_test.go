package auth

import (
	"context"
	"testing"
	"time"
)

// Run with: go test -run '^$' -bench . -benchmem ./internal/auth/
// The argon2id parameters set the cost of every login and signup.

func BenchmarkHashPassword(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := HashPassword("correct horse battery"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyToken(b *testing.B) {
	ctx := context.Background()
	tk, err := NewTokens(ctx, StaticKeys(testRing), time.Minute, "wallet-api", "wallet-clients", nil)
	if err != nil {
		b.Fatal(err)
	}
	raw, _, err := tk.Issue(ctx, "user-1", RoleUser, true, "s_1")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tk.Verify(ctx, raw); err != nil {
			b.Fatal(err)
		}
	}
}
