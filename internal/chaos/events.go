package chaos

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Notification limits of the completion-event check.
const (
	notificationPagesMax = 1_000 // per user and read, 100 notifications a page
	completedEventType   = "transfer.completed"
)

// CompletionEvents checks that every COMPLETED transfer told its payer once, and that
// no other transfer told anyone it completed: one transfer.completed event per fact,
// whatever the number of executions, retries and desk actions behind it. The events
// are delivered asynchronously (stream, SNS, SQS), so it reads every payer's
// notifications until each completion has arrived or within passes, then reads them
// once more after settle, so that a late duplicate is still seen.
func CompletionEvents(ctx context.Context, api *Client, users []User, ends map[string]TransferEnd, within, settle time.Duration) ([]string, error) {
	want := map[string]string{} // completed transfer id → its payer's wallet
	for _, t := range ends {
		if t.Status == "COMPLETED" {
			want[t.ID] = t.Source
		}
	}
	deadline := time.Now().Add(within)
	var seen map[string]int
	for {
		var err error
		if seen, err = completionsSeen(ctx, api, users); err != nil {
			return nil, err
		}
		missing := 0
		for id := range want {
			if seen[id] == 0 {
				missing++
			}
		}
		if missing == 0 || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pollEvery):
		}
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(settle):
	}
	seen, err := completionsSeen(ctx, api, users)
	if err != nil {
		return nil, err
	}
	var problems []string
	for id := range want {
		if seen[id] != 1 {
			problems = append(problems, fmt.Sprintf("transfer %s COMPLETED: its payer was told %d times", id, seen[id]))
		}
	}
	for id, n := range seen {
		if _, ok := want[id]; !ok {
			problems = append(problems, fmt.Sprintf("transfer %s did not complete, but its payer was told so %d times", id, n))
		}
	}
	sort.Strings(problems)
	return problems, nil
}

// completionsSeen counts, per transfer, the transfer.completed notifications its payer
// got ("You sent …", or "You refunded …" for a refund's payer: a payer's own, since a
// payee's tells of a transfer in).
func completionsSeen(ctx context.Context, api *Client, users []User) (map[string]int, error) {
	seen := map[string]int{}
	for _, u := range users {
		notes, err := allPages[notificationView](ctx, api, u, "/v1/notifications", "notifications of "+u.Email, notificationPagesMax)
		if err != nil {
			return nil, err
		}
		for _, n := range notes {
			if n.Type == completedEventType && (strings.HasPrefix(n.Message, sentPrefix) || strings.HasPrefix(n.Message, refundedPrefix)) {
				seen[n.TransferID]++
			}
		}
	}
	return seen, nil
}

// notificationView is what the check reads of a notification.
type notificationView struct {
	Type       string `json:"type"`
	Message    string `json:"message"`
	TransferID string `json:"transfer_id"`
}

// sentPrefix and refundedPrefix start the payer's notification of a completed transfer
// and of a completed refund (notification.For).
const (
	sentPrefix     = "You sent "
	refundedPrefix = "You refunded "
)
