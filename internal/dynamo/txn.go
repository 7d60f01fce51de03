package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
)

// Cancellation reason codes of TransactWriteItems.
const (
	reasonConditionalCheckFailed = "ConditionalCheckFailed"
	reasonTxConflict             = "TransactionConflict"
)

// txn collects the items of one TransactWriteItems and, in the order they were added,
// what a failed condition at a position means. The order decides which error is
// returned when several conditions fail at once, so it is fixed: wallets first.
type txn struct {
	items  []ddbtypes.TransactWriteItem
	checks []check
}

// check names the error of a failed condition at item position at, given the item as
// it was (ReturnValuesOnConditionCheckFailure ALL_OLD; empty when absent or not asked).
type check struct {
	at      int
	explain func(old map[string]ddbtypes.AttributeValue) error
}

// add appends an item whose failed condition explain names (nil: no condition).
func (tx *txn) add(it ddbtypes.TransactWriteItem, explain func(map[string]ddbtypes.AttributeValue) error) {
	if explain != nil {
		tx.checks = append(tx.checks, check{at: len(tx.items), explain: explain})
	}
	tx.items = append(tx.items, it)
}

// refuseWith explains a failed condition as err, whatever the item was.
func refuseWith(err error) func(map[string]ddbtypes.AttributeValue) error {
	return func(map[string]ddbtypes.AttributeValue) error { return err }
}

// conflict explains a failed condition as a lost race: decide again on fresh state.
func conflict(map[string]ddbtypes.AttributeValue) error { return retry.ErrConflict }

func (tx *txn) addDeltas(s *Ledger, ds []ledger.Delta, p *ledger.Posting) error {
	for _, d := range ds {
		var entries int64
		if p != nil {
			entries = p.EntriesOn(d.WalletID)
		}
		it, err := s.deltaUpdate(d, entries)
		if err != nil {
			return err
		}
		tx.add(it, func(old map[string]ddbtypes.AttributeValue) error { return deltaRefusal(d, old) })
	}
	return nil
}

func (tx *txn) addPosting(s *Ledger, p *ledger.Posting, ds []ledger.Delta) error {
	if p == nil {
		return nil
	}
	walletPKs := map[string]string{} // a wallet's entry goes where its delta does
	for _, d := range ds {
		walletPKs[d.WalletID] = targetPK(d)
	}
	items, err := s.postingItems(*p, walletPKs)
	if err != nil {
		return err
	}
	for _, it := range items {
		tx.add(it, nil)
	}
	return nil
}

func (tx *txn) addCompletion(s *Ledger, c *idempotency.Completion) error {
	if c == nil {
		return nil
	}
	it, err := s.Idempotency.completionItem(*c, s.now())
	if err != nil {
		return err
	}
	// our claim was taken over by a request after it expired: nothing was written
	tx.add(it, func(map[string]ddbtypes.AttributeValue) error { return idempotency.ErrInProgress })
	return nil
}

// commit writes the transaction; a cancellation is explained by the first check, in
// the order added, whose condition failed (explain may return nil: nothing to do), else
// as a lost race when one was, else as an error.
func (tx *txn) commit(ctx context.Context, db API) error {
	if len(tx.items) > transactionItemsMax {
		return fmt.Errorf("commit: %d items exceed the transaction limit", len(tx.items))
	}
	_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx.items})
	var tce *ddbtypes.TransactionCanceledException
	if errors.As(err, &tce) {
		codes := make([]string, len(tce.CancellationReasons)) // "" for an item that did not fail
		for i, r := range tce.CancellationReasons {
			codes[i] = aws.ToString(r.Code)
		}
		for _, c := range tx.checks {
			if c.at < len(codes) && codes[c.at] == reasonConditionalCheckFailed {
				return c.explain(tce.CancellationReasons[c.at].Item)
			}
		}
		if slices.Contains(codes, reasonTxConflict) {
			return retry.ErrConflict
		}
		return fmt.Errorf("commit: cancelled: %q", codes)
	}
	var txConflict *ddbtypes.TransactionConflictException
	if errors.As(err, &txConflict) {
		return retry.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// deltaUpdate adds a delta to a wallet without reading it: ADD to balance, held and
// available (kept equal to balance − held so that a condition can test it), and to
// entry_count; the conditions are the rules of ledger.Delta.Apply, so the database
// checks them on the stored wallet and returns it when they fail.
func (s *Ledger) deltaUpdate(d ledger.Delta, entries int64) (ddbtypes.TransactWriteItem, error) {
	update := expression.Set(expression.Name("updated_at"), expression.Value(d.Now))
	for _, a := range []struct {
		name  string
		delta int64
	}{{"balance", d.BalanceMinor}, {"held", d.HeldMinor}, {"available", d.AvailableMinor()}, {"entry_count", entries}} {
		if a.delta != 0 {
			update = update.Add(expression.Name(a.name), expression.Value(a.delta))
		}
	}
	cond := expression.AttributeExists(expression.Name("pk"))
	if d.RequireActive {
		cond = cond.And(expression.Name("status").Equal(expression.Value(string(ledger.StatusActive))))
	}
	if d.HeldMinor < 0 {
		cond = cond.And(expression.Name("held").GreaterThanEqual(expression.Value(-d.HeldMinor)))
	}
	if a := d.AvailableMinor(); a < 0 {
		cond = cond.And(expression.Name("available").GreaterThanEqual(expression.Value(-a)))
	}
	if d.BalanceMinor > 0 {
		cond = cond.And(expression.Name("balance").LessThanEqual(expression.Value(math.MaxInt64 - d.BalanceMinor)))
	}
	if d.HeldMinor > 0 {
		cond = cond.And(expression.Name("held").LessThanEqual(expression.Value(math.MaxInt64 - d.HeldMinor)))
	}
	if c := d.Credit; c != nil {
		update, cond = dailyCount(update, cond, c, "credit_day", d.BalanceMinor)
	}
	if c := d.Withdrawal; c != nil {
		update, cond = dailyCount(update, cond, c, "withdraw_day", -d.BalanceMinor)
	}
	expr, err := expression.NewBuilder().WithUpdate(update).WithCondition(cond).Build()
	if err != nil {
		return ddbtypes.TransactWriteItem{}, fmt.Errorf("build wallet delta: %w", err)
	}
	u := updateOf(s.Table, key(targetPK(d), walletSortKey), expr)
	u.ReturnValuesOnConditionCheckFailure = ddbtypes.ReturnValuesOnConditionCheckFailureAllOld
	return ddbtypes.TransactWriteItem{Update: u}, nil
}

// dailyCount adds amountMinor to the daily counter attrDay (with attrDay+"_total"): on
// the day it holds, up to the limit; on another day, restarted at amountMinor.
func dailyCount(update expression.UpdateBuilder, cond expression.ConditionBuilder, c *ledger.DailyCredit, attrDay string,
	amountMinor int64) (expression.UpdateBuilder, expression.ConditionBuilder) {
	day, total := expression.Name(attrDay), expression.Name(attrDay+"_total")
	if c.Continue {
		return update.Add(total, expression.Value(amountMinor)),
			cond.And(day.Equal(expression.Value(c.Day)), total.LessThanEqual(expression.Value(c.LimitMinor-amountMinor)))
	}
	return update.Set(day, expression.Value(c.Day)).Set(total, expression.Value(amountMinor)),
		cond.And(expression.Or(expression.AttributeNotExists(day), day.NotEqual(expression.Value(c.Day))))
}

// deltaRefusal names a refused delta from the wallet as it was, by the same rules.
func deltaRefusal(d ledger.Delta, old map[string]ddbtypes.AttributeValue) error {
	if len(old) == 0 {
		return problem.ErrNotFound
	}
	var it walletItem
	if err := attributevalue.UnmarshalMap(old, &it); err != nil {
		return fmt.Errorf("unmarshal refused wallet: %w", err)
	}
	if _, err := d.Apply(it.wallet()); err != nil {
		if errors.Is(err, ledger.ErrInsufficientFunds) && d.Shard == 0 && it.ReceiveShards > 0 {
			return &shortOnItem{walletID: d.WalletID}
		}
		return err
	}
	return retry.ErrConflict // no rule explains it: decide again on fresh state
}

// postingItems are a posting's entry puts (a wallet's under walletPKs[its id]: its
// wallet's or receive shard's partition) and its external accounts' updates.
func (s *Ledger) postingItems(p ledger.Posting, walletPKs map[string]string) ([]ddbtypes.TransactWriteItem, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var items []ddbtypes.TransactWriteItem
	externalDelta := map[string]int64{}
	var externalOrder []string
	for _, e := range p.Entries {
		it := entryItem{Type: typeEntry, ID: e.ID, PostingID: e.PostingID, Account: e.Account, OwnerID: e.Owner, Currency: e.Currency, AmountMinor: e.AmountMinor,
			Kind: e.Kind, Description: e.Description, CreatedAt: e.CreatedAt}
		if pk, ok := walletPKs[e.Account]; ok {
			it.PK, it.SK = pk, entrySK(e)
		} else {
			it.PK, it.SK = externalPK(e.Account, p.ID), entrySortKeyPrefix+e.ID
			if _, seen := externalDelta[e.Account]; !seen {
				externalOrder = append(externalOrder, e.Account)
			}
			externalDelta[e.Account] += e.AmountMinor
		}
		put, err := absentPut(s.Table, "entry", it)
		if err != nil {
			return nil, err
		}
		items = append(items, ddbtypes.TransactWriteItem{Put: put})
	}
	for _, acct := range externalOrder {
		upd, err := expression.NewBuilder().WithUpdate(
			expression.Add(expression.Name("balance"), expression.Value(externalDelta[acct])).
				Set(expression.Name("type"), expression.Value(typeExternal)).
				Set(expression.Name("account"), expression.Value(acct))).Build()
		if err != nil {
			return nil, fmt.Errorf("build external update: %w", err)
		}
		items = append(items, ddbtypes.TransactWriteItem{Update: updateOf(s.Table, key(externalPK(acct, p.ID), externalSortKey), upd)})
	}
	return items, nil
}
