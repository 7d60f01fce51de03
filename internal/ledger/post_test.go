package ledger

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPost: the two-phase settlement of a hold, as one posting between two wallets.
func TestPost(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	src := Wallet{ID: "s", OwnerID: "a", Currency: "USD", BalanceMinor: 1_000, HeldMinor: 300, Status: StatusActive}
	dst := Wallet{ID: "d", OwnerID: "b", Currency: "USD", BalanceMinor: 50, Status: StatusActive}
	frozen := func(w Wallet) Wallet { w.Status = StatusFrozen; return w }
	eur := dst
	eur.Currency = "EUR"
	tests := map[string]struct {
		src, dst         Wallet
		capture, hold    int64
		wantErr          error // a refusal by name; nil with wantAnyErr for a bug-class error
		wantAnyErr       bool
		wantSrc, wantDst Wallet
	}{
		"post the whole hold": {src: src, dst: dst, capture: 300, hold: 300,
			wantSrc: Wallet{BalanceMinor: 700, HeldMinor: 0}, wantDst: Wallet{BalanceMinor: 350}},
		"post part, release the rest": {src: src, dst: dst, capture: 120, hold: 300,
			wantSrc: Wallet{BalanceMinor: 880, HeldMinor: 0}, wantDst: Wallet{BalanceMinor: 170}},
		"from a frozen source (a late freeze stops the money)": {src: frozen(src), dst: dst, capture: 300, hold: 300, wantErr: ErrWalletNotActive},
		"to a frozen destination":                              {src: src, dst: frozen(dst), capture: 300, hold: 300, wantErr: ErrWalletNotActive},
		"to another currency":                                  {src: src, dst: eur, capture: 300, hold: 300, wantErr: ErrCurrencyMismatch},
		"to itself":                                            {src: src, dst: src, capture: 300, hold: 300, wantErr: ErrSameWallet},
		"without the hold":                                     {src: src, dst: dst, capture: 300, hold: 301, wantErr: ErrHoldMissing},
		"more than the hold":                                   {src: src, dst: dst, capture: 301, hold: 300, wantAnyErr: true},
		"nothing":                                              {src: src, dst: dst, capture: 0, hold: 300, wantAnyErr: true},
		"frozen named before hold":                             {src: src, dst: frozen(dst), capture: 300, hold: 301, wantErr: ErrWalletNotActive},
		"nothing held: from what is available": {src: src, dst: dst, capture: 700, hold: 0,
			wantSrc: Wallet{BalanceMinor: 300, HeldMinor: 300}, wantDst: Wallet{BalanceMinor: 750}},
		"nothing held: not from held money": {src: src, dst: dst, capture: 701, hold: 0, wantErr: ErrInsufficientFunds},
		"a negative hold":                   {src: src, dst: dst, capture: 10, hold: -10, wantAnyErr: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ds, p, err := Post(tt.src, tt.dst, PostInput{PostingID: "t-post", CaptureMinor: tt.capture, HoldMinor: tt.hold, Kind: KindTransfer, Now: now})
			switch {
			case tt.wantErr != nil:
				require.Error(t, err)
				assert.True(t, errors.Is(err, tt.wantErr), "got %v", err)
				return
			case tt.wantAnyErr:
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.NoError(t, p.Validate(), "one balanced posting")
			require.Len(t, p.Entries, 2)
			assert.Equal(t, []string{"s", "d"}, []string{p.Entries[0].Account, p.Entries[1].Account}, "an entry on each wallet, none elsewhere")
			ws := map[string]Wallet{"s": tt.src, "d": tt.dst}
			require.NoError(t, ApplyAll(ws, ds, &p))
			assert.Equal(t, tt.wantSrc.BalanceMinor, ws["s"].BalanceMinor)
			assert.Equal(t, tt.wantSrc.HeldMinor, ws["s"].HeldMinor)
			assert.Equal(t, tt.wantDst.BalanceMinor, ws["d"].BalanceMinor)
			assert.Equal(t, tt.src.BalanceMinor+tt.dst.BalanceMinor, ws["s"].BalanceMinor+ws["d"].BalanceMinor, "money is conserved")
			assert.EqualValues(t, 1, ws["s"].EntryCount-tt.src.EntryCount)
			assert.EqualValues(t, 1, ws["d"].EntryCount-tt.dst.EntryCount)
		})
	}
}
