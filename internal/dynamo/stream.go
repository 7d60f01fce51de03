package dynamo

import (
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/event"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/payrequest"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

var _ event.Decoder = EventsOf

// transferEventTypes maps a transfer status to the event its arrival publishes.
var transferEventTypes = map[transfer.Status]string{
	transfer.StatusCompleted:   event.TransferCompleted,
	transfer.StatusFailed:      event.TransferFailed,
	transfer.StatusHeld:        event.TransferHeld,
	transfer.StatusReleased:    event.TransferReleased,
	transfer.StatusNeedsReview: event.TransferNeedsReview,
}

// EventsOf derives the events of one ledger-table stream record: a transfer that
// reached a new status, or a credit or reward entry posted to a wallet. Event ids come
// from the change, so a redelivered record yields the same ids.
func EventsOf(rec events.DynamoDBEventRecord) ([]event.Event, error) {
	newImage, err := toAttributeValues(rec.Change.NewImage)
	if err != nil {
		return nil, err
	}
	var kind struct {
		Type string `dynamodbav:"type"`
	}
	if err := attributevalue.UnmarshalMap(newImage, &kind); err != nil {
		return nil, fmt.Errorf("decode stream record %s: %w", rec.EventID, err)
	}
	switch {
	case kind.Type == typeTransfer && (rec.EventName == "INSERT" || rec.EventName == "MODIFY"):
		return transferEvents(rec, newImage)
	case kind.Type == typeRequest && (rec.EventName == "INSERT" || rec.EventName == "MODIFY"):
		return requestEvents(rec, newImage)
	case kind.Type == typeEntry && rec.EventName == "INSERT":
		var it entryItem
		if err := attributevalue.UnmarshalMap(newImage, &it); err != nil {
			return nil, fmt.Errorf("decode entry: %w", err)
		}
		if !strings.HasPrefix(it.PK, "WALLET#") { // the counter-entry on an external account
			return nil, nil
		}
		p := event.Payload{PostingID: it.PostingID, AmountMinor: it.AmountMinor, Currency: it.Currency, WalletID: it.Account, OwnerID: it.OwnerID}
		switch it.Kind {
		case ledger.KindCredit:
			return []event.Event{{ID: "credit:" + it.PostingID, Type: event.CreditCompleted, Time: it.CreatedAt, Payload: p}}, nil
		case ledger.KindReward:
			return []event.Event{{ID: "reward:" + it.PostingID, Type: event.RewardRedeemed, Time: it.CreatedAt, Payload: p}}, nil
		case ledger.KindWithdraw:
			p.AmountMinor = -it.AmountMinor // the wallet's entry is negative; the event tells what left
			return []event.Event{{ID: "withdrawal:" + it.PostingID, Type: event.WithdrawalCompleted, Time: it.CreatedAt, Payload: p}}, nil
		}
	}
	return nil, nil
}

func transferEvents(rec events.DynamoDBEventRecord, newImage map[string]ddbtypes.AttributeValue) ([]event.Event, error) {
	var now transferFacts
	if err := attributevalue.UnmarshalMap(newImage, &now); err != nil {
		return nil, fmt.Errorf("decode transfer: %w", err)
	}
	if len(rec.Change.OldImage) > 0 {
		oldImage, err := toAttributeValues(rec.Change.OldImage)
		if err != nil {
			return nil, err
		}
		var before transferFacts
		if err := attributevalue.UnmarshalMap(oldImage, &before); err != nil {
			return nil, fmt.Errorf("decode transfer: %w", err)
		}
		if before.Status == now.Status {
			return nil, nil
		}
	}
	typ, ok := transferEventTypes[transfer.Status(now.Status)]
	if !ok {
		return nil, nil
	}
	amount := now.AmountMinor
	if now.Status == string(transfer.StatusCompleted) {
		amount = now.CaptureMinor
	}
	return []event.Event{{ID: "transfer:" + now.ID + ":" + strings.ToLower(now.Status), Type: typ, Time: now.UpdatedAt,
		Payload: event.Payload{TransferID: now.ID, Mode: now.Mode, Status: now.Status, FailureReason: now.FailureReason,
			AmountMinor: amount, Currency: now.Currency, SourceWalletID: now.SourceWalletID, DestinationWalletID: now.DestinationWalletID,
			SourceOwnerID: now.SourceOwnerID, DestinationOwnerID: now.DestinationOwnerID, RefundOf: now.RefundOf}}}, nil
}

// requestEventTypes maps a payment request status to the event its arrival publishes:
// PAYING, and PENDING again after a failed payment, publish none (the transfer's own
// events tell the payer).
var requestEventTypes = map[payrequest.Status]string{
	payrequest.StatusPending:   event.PaymentRequestCreated, // on INSERT only
	payrequest.StatusPaid:      event.PaymentRequestPaid,
	payrequest.StatusDeclined:  event.PaymentRequestDeclined,
	payrequest.StatusCancelled: event.PaymentRequestCancelled,
	payrequest.StatusExpired:   event.PaymentRequestExpired, // stored by the expiry sweep
}

// requestEvents is the event of a payment request that was made or reached a new
// status; its id is the request and the status, so each happens once.
func requestEvents(rec events.DynamoDBEventRecord, newImage map[string]ddbtypes.AttributeValue) ([]event.Event, error) {
	var now requestItem
	if err := attributevalue.UnmarshalMap(newImage, &now); err != nil {
		return nil, fmt.Errorf("decode payment request: %w", err)
	}
	status := payrequest.Status(now.Status)
	if rec.EventName == "MODIFY" {
		oldImage, err := toAttributeValues(rec.Change.OldImage)
		if err != nil {
			return nil, err
		}
		var before requestItem
		if err := attributevalue.UnmarshalMap(oldImage, &before); err != nil {
			return nil, fmt.Errorf("decode payment request: %w", err)
		}
		if before.Status == now.Status || status == payrequest.StatusPending {
			return nil, nil
		}
	}
	typ, ok := requestEventTypes[status]
	if !ok {
		return nil, nil
	}
	return []event.Event{{ID: "payment_request:" + now.ID + ":" + strings.ToLower(now.Status), Type: typ, Time: now.UpdatedAt,
		Payload: event.Payload{PaymentRequestID: now.ID, TransferID: now.TransferID, Status: now.Status, AmountMinor: now.AmountMinor,
			Currency: now.Currency, DestinationOwnerID: now.PayeeID, SourceOwnerID: now.PayerID, ToEmail: now.ToEmail, FromEmail: now.FromEmail}}}, nil
}

// toAttributeValues converts a stream image (aws-lambda-go's shape) to the SDK's.
func toAttributeValues(img map[string]events.DynamoDBAttributeValue) (map[string]ddbtypes.AttributeValue, error) {
	out := make(map[string]ddbtypes.AttributeValue, len(img))
	for k, v := range img {
		av, err := toAttributeValue(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

func toAttributeValue(v events.DynamoDBAttributeValue) (ddbtypes.AttributeValue, error) {
	switch v.DataType() {
	case events.DataTypeString:
		return &ddbtypes.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		return &ddbtypes.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBoolean:
		return &ddbtypes.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeNull:
		return &ddbtypes.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeBinary:
		return &ddbtypes.AttributeValueMemberB{Value: v.Binary()}, nil
	case events.DataTypeStringSet:
		return &ddbtypes.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &ddbtypes.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &ddbtypes.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case events.DataTypeList:
		list := v.List()
		out := make([]ddbtypes.AttributeValue, 0, len(list))
		for _, e := range list {
			av, err := toAttributeValue(e)
			if err != nil {
				return nil, err
			}
			out = append(out, av)
		}
		return &ddbtypes.AttributeValueMemberL{Value: out}, nil
	case events.DataTypeMap:
		m, err := toAttributeValues(v.Map())
		if err != nil {
			return nil, err
		}
		return &ddbtypes.AttributeValueMemberM{Value: m}, nil
	}
	return nil, fmt.Errorf("unknown attribute type %v", v.DataType())
}
