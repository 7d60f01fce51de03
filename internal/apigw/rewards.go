package apigw

import (
	"context"

	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/reward"
)

// Rewards is what the reward routes need.
type Rewards interface {
	Get(ctx context.Context, userID string, limit int, cursor string) (reward.Page, error)
	Redeem(ctx context.Context, c op.Caller, key string, in reward.RedeemInput) (op.Result, error)
}

var _ Rewards = (*reward.Service)(nil)

// GetRewards answers GET /v1/rewards.
func GetRewards(rs Rewards) HandlerFunc {
	return paged(reward.PageSizeDefault, func(ctx context.Context, _ *Request, c op.Caller, limit int, cursor string) (reward.Page, error) {
		return rs.Get(ctx, c.UserID, limit, cursor)
	})
}

// RedeemRewards answers POST /v1/rewards/redeem.
func RedeemRewards(rs Rewards) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		in, err := bodyOf[reward.RedeemInput](r)
		if err != nil {
			return Response{}, err
		}
		return replayed(rs.Redeem(ctx, c, r.Header(IdempotencyKeyHeader), in))
	})
}
