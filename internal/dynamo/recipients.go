package dynamo

import (
	"context"
	"errors"

	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// Recipients finds a transfer's recipient: the account that claimed an email (users
// table) and its wallet in a currency (ledger table).
type Recipients struct {
	Users  *Users
	Ledger *Ledger
}

var _ transfer.Recipients = (*Recipients)(nil)

// absentID stands in for an id that a lookup did not find, so that every lookup makes
// the same four strongly consistent reads (the email claim, the user, the currency
// claim, the wallet) whatever exists: an unknown address takes as long as a known one.
const absentID = "00000000-0000-0000-0000-000000000000"

// Recipient reads the account of email and its wallet in currency.
func (r *Recipients) Recipient(ctx context.Context, email, currency string) (transfer.RecipientAccount, error) {
	var acct transfer.RecipientAccount
	var claim emailItem
	found, err := present(getItem(ctx, r.Users.DB, r.Users.Table, pkOnly(emailKey(email)), &claim))
	if err != nil {
		return acct, err
	}
	userID := absentID
	if found {
		userID = claim.UserID
	}
	var u userItem
	if acct.Found, err = present(getItem(ctx, r.Users.DB, r.Users.Table, pkOnly(userKey(userID)), &u)); err != nil {
		return acct, err
	}
	acct.Verified = acct.Found && u.EmailVerified
	var cur struct {
		WalletID string `dynamodbav:"wallet_id"`
	}
	hasWallet, err := present(getItem(ctx, r.Ledger.DB, r.Ledger.Table, key(ownerPK(userID), "CUR#"+currency), &cur))
	if err != nil {
		return acct, err
	}
	walletID := absentID
	if hasWallet {
		walletID = cur.WalletID
	}
	var w walletItem
	if hasWallet, err = present(getItem(ctx, r.Ledger.DB, r.Ledger.Table, key(walletPK(walletID), walletSortKey), &w)); err != nil {
		return acct, err
	}
	if hasWallet {
		acct.Wallet = w.wallet()
	}
	return acct, nil
}

// present turns a read's problem.ErrNotFound into "absent".
func present(err error) (bool, error) {
	if errors.Is(err, problem.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
