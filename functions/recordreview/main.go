// Command recordreview consumes the manual-review queue: it records each case once for
// the review desk (GET /v1/admin/transfers?status=NEEDS_REVIEW).
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { os.Exit(app.ServeReviewConsumer()) }
