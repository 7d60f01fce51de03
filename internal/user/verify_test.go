package user

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newMailService(t *testing.T) (*Service, *memStore, *outbox, *clock) {
	t.Helper()
	s, store, _, clk, _ := newGuardedService(t)
	box := &outbox{}
	s.UseMail(box, store)
	return s, store, box, clk
}

func TestSignupSendsACodeOrANotice(t *testing.T) {
	s, store, box, _ := newMailService(t)
	ctx := context.Background()
	u, err := s.Signup(ctx, SignupInput{Email: "ada@example.com", Password: "correct horse battery", Name: "Ada"})
	require.NoError(t, err)
	assert.False(t, u.EmailVerified)
	first, code := box.last("ada@example.com")
	require.NotEmpty(t, code, "the code is in the email: %q", first.text)
	stored := store.codes[PurposeVerify+"#"+u.ID]
	assert.Equal(t, hashCode(u.ID, PurposeVerify, code), stored.Hash, "only the hash is stored")
	assert.NotContains(t, stored.Hash, code)

	_, err = s.Signup(ctx, SignupInput{Email: "ada@example.com", Password: "another good password", Name: "Eve"})
	require.NoError(t, err)
	notice, noCode := box.last("ada@example.com")
	assert.Empty(t, noCode, "a taken address gets a notice, not a code")
	assert.Contains(t, notice.text, "already has an account")
	assert.Len(t, store.byID, 1, "no second account")
}

func TestVerify(t *testing.T) {
	ctx := context.Background()
	wrong := func(code string) string { // a well-formed code that is not code
		if code == "000000" {
			return "000001"
		}
		return "000000"
	}
	tests := []struct {
		name  string
		setup func(s *Service, clk *clock, code string) VerifyInput
	}{
		{"wrong code", func(_ *Service, _ *clock, code string) VerifyInput {
			return VerifyInput{Email: "ada@example.com", Code: wrong(code)}
		}},
		{"expired code", func(_ *Service, clk *clock, code string) VerifyInput {
			clk.advance(CodeTTL)
			return VerifyInput{Email: "ada@example.com", Code: code}
		}},
		{"used code", func(s *Service, _ *clock, code string) VerifyInput {
			_, err := s.Verify(ctx, VerifyInput{Email: "ada@example.com", Code: code})
			require.NoError(t, err)
			return VerifyInput{Email: "ada@example.com", Code: code}
		}},
		{"attempts spent", func(s *Service, _ *clock, code string) VerifyInput {
			for range CodeAttemptsMax {
				_, err := s.Verify(ctx, VerifyInput{Email: "ada@example.com", Code: wrong(code)})
				require.ErrorIs(t, err, ErrInvalidCode)
			}
			return VerifyInput{Email: "ada@example.com", Code: code}
		}},
		{"unknown email", func(_ *Service, _ *clock, code string) VerifyInput {
			return VerifyInput{Email: "nobody@example.com", Code: code}
		}},
		{"malformed code", func(_ *Service, _ *clock, _ string) VerifyInput {
			return VerifyInput{Email: "ada@example.com", Code: "12345a"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, store, box, clk := newMailService(t)
			u, err := s.Signup(ctx, SignupInput{Email: "ada@example.com", Password: "correct horse battery", Name: "Ada"})
			require.NoError(t, err)
			_, code := box.last("ada@example.com")
			_, err = s.Verify(ctx, tt.setup(s, clk, code))
			assert.ErrorIs(t, err, ErrInvalidCode)
			if tt.name != "used code" {
				assert.False(t, store.byID[u.ID].EmailVerified)
			}
		})
	}

	s, store, box, _ := newMailService(t)
	u, err := s.Signup(ctx, SignupInput{Email: "ada@example.com", Password: "correct horse battery", Name: "Ada"})
	require.NoError(t, err)
	_, code := box.last("ada@example.com")
	got, err := s.Verify(ctx, VerifyInput{Email: " ADA@example.com", Code: code})
	require.NoError(t, err)
	assert.True(t, got.EmailVerified)
	assert.True(t, store.byID[u.ID].EmailVerified)
	assert.NotContains(t, store.codes, PurposeVerify+"#"+u.ID, "the code is gone")
}

func TestResend(t *testing.T) {
	s, store, box, clk := newMailService(t)
	ctx := context.Background()
	u, err := s.Signup(ctx, SignupInput{Email: "ada@example.com", Password: "correct horse battery", Name: "Ada"})
	require.NoError(t, err)
	_, first := box.last("ada@example.com")
	require.NoError(t, s.Resend(ctx, ResendInput{Email: "ada@example.com"}))
	assert.Len(t, box.mail, 1, "not again within the resend interval")

	clk.advance(CodeResendInterval)
	require.NoError(t, s.Resend(ctx, ResendInput{Email: "ada@example.com"}))
	require.Len(t, box.mail, 2)
	_, second := box.last("ada@example.com")
	if second != first {
		_, err = s.Verify(ctx, VerifyInput{Email: "ada@example.com", Code: first})
		assert.ErrorIs(t, err, ErrInvalidCode, "the new code replaces the old one")
	}
	_, err = s.Verify(ctx, VerifyInput{Email: "ada@example.com", Code: second})
	require.NoError(t, err)
	assert.True(t, store.byID[u.ID].EmailVerified)

	clk.advance(time.Hour)
	require.NoError(t, s.Resend(ctx, ResendInput{Email: "ada@example.com"}))
	require.NoError(t, s.Resend(ctx, ResendInput{Email: "nobody@example.com"}))
	assert.Len(t, box.mail, 2, "nothing to a verified or unknown address")
}
