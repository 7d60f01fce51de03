package transfer

import (
	"context"
	"errors"

	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/ratelimit"
	"github.com/serverless-wallet/wallet/internal/user"
)

// A transfer may name its destination by a person (recipient.email) instead of a wallet
// id: it pays that person's ACTIVE wallet in the transfer's currency (an owner has at
// most one wallet per currency). Every way an address cannot receive (no account, an
// unverified one, no wallet in the currency, a wallet not ACTIVE) is one answer,
// ErrRecipientWallet, reached by the same reads (Recipients), and each caller's lookups
// are counted (LookupQuota), so the address book this reveals ("this address can
// receive USD", what any payment app shows) is bounded per caller and hour.

// Recipient names a person by email.
type Recipient struct {
	Email string `json:"email"`
}

// RecipientAccount is what a lookup found: whether an account has the address, whether
// it verified it, and its wallet in the currency (a zero ID when it has none).
type RecipientAccount struct {
	Found    bool
	Verified bool
	Wallet   ledger.Wallet
}

// Recipients finds an address's account and its wallet in a currency, with the same
// reads whether or not either exists.
type Recipients interface {
	Recipient(ctx context.Context, email, currency string) (RecipientAccount, error)
}

// LookupQuota counts a caller's recipient lookups (ratelimit.Quota).
type LookupQuota interface {
	Allow(ctx context.Context, subject string) (ratelimit.Decision, error)
}

var _ LookupQuota = ratelimit.Quota{}

// RecipientLookupsPerHourDefault is how many transfers to a person a caller may send
// per hour unless the deployment says otherwise.
const RecipientLookupsPerHourDefault = 30

// ErrRecipientWallet is the one answer for an address that cannot receive the payment.
var ErrRecipientWallet = problem.Unprocessable("recipient_unavailable", "the recipient cannot receive this payment")

var errNoLookups = errors.New("transfer: recipient lookups are not configured in this function")

// recipientWallet resolves a recipient to the wallet it pays, after counting the
// caller's lookup: malformed addresses are 400, and every address that cannot receive
// is ErrRecipientWallet.
func (s *Service) recipientWallet(ctx context.Context, callerID string, r Recipient, currency string) (ledger.Wallet, error) {
	email, err := user.NormalizeEmail(r.Email)
	if err != nil {
		return ledger.Wallet{}, err
	}
	if s.Recipients == nil || s.Lookups == nil {
		return ledger.Wallet{}, errNoLookups
	}
	d, err := s.Lookups.Allow(ctx, "user:"+callerID)
	if err != nil { // closed: an uncounted lookup would be an unbounded oracle
		return ledger.Wallet{}, err
	}
	if !d.Allowed {
		return ledger.Wallet{}, d.Err()
	}
	acct, err := s.Recipients.Recipient(ctx, email, currency)
	if err != nil {
		return ledger.Wallet{}, err
	}
	if !acct.Found || !acct.Verified || acct.Wallet.ID == "" || acct.Wallet.Status != ledger.StatusActive {
		return ledger.Wallet{}, ErrRecipientWallet
	}
	return acct.Wallet, nil
}
