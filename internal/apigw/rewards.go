package apigw

import (
	"context"
	"net/http"

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
	return func(ctx context.Context, r *Request) (Response, error) {
		c, err := r.Caller()
		if err != nil {
			return Response{}, err
		}
		limit, err := r.limit(reward.PageSizeDefault)
		if err != nil {
			return Response{}, err
		}
		p, err := rs.Get(ctx, c.UserID, limit, r.QueryStringParameters["cursor"])
		if err != nil {
			return Response{}, err
		}
		return JSON(http.StatusOK, p)
	}
}

// RedeemRewards answers POST /v1/rewards/redeem.
func RedeemRewards(rs Rewards) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		c, err := r.Caller()
		if err != nil {
			return Response{}, err
		}
		var in reward.RedeemInput
		if err := r.DecodeJSON(&in); err != nil {
			return Response{}, err
		}
		res, err := rs.Redeem(ctx, c, r.Header(IdempotencyKeyHeader), in)
		if err != nil {
			return Response{}, err
		}
		return replayable(res), nil
	}
}
