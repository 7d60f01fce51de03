// Command enumtiming measures, against a running stack, whether sign-up, login or a
// password reset tells an address that has an account from one that has none: it sends
// N interleaved pairs of each flow and prints each kind's answers and timing, the
// difference of the medians and its Mann-Whitney p-value (internal/timing). It is a
// measurement, not a test: run it with `make enum-timing` (N=200) and read the table.
//
//	WALLET_API_URL=<the API's base URL> go run ./cmd/enumtiming -n 200
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/serverless-wallet/wallet/internal/timing"
)

// requestTimeout bounds one request.
const requestTimeout = 30 * time.Second

func main() {
	n := flag.Int("n", 200, "pairs per flow")
	flag.Parse()
	api := strings.TrimRight(os.Getenv("WALLET_API_URL"), "/")
	if api == "" || *n < 1 {
		fmt.Fprintln(os.Stderr, "set WALLET_API_URL to the API's base URL (make enum-timing does), and -n to 1 or more")
		os.Exit(2)
	}
	seed := uint64(time.Now().UnixNano())
	p := &timing.Probe{
		BaseURL:  api,
		Client:   &http.Client{Timeout: requestTimeout},
		Password: "correct horse battery staple",
		Run:      fmt.Sprintf("%x", seed),
		Rand:     rand.New(rand.NewPCG(seed, seed>>1)), // #nosec G404 -- the order of a pair, not a secret
	}
	start := time.Now()
	flows, err := p.Measure(context.Background(), *n)
	if err != nil {
		fmt.Fprintln(os.Stderr, "enumtiming:", err)
		os.Exit(1)
	}
	fmt.Printf("%s, %d pairs per flow, %s/%s, %d CPUs, %s\n\n", start.UTC().Format(time.RFC3339), *n,
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), time.Since(start).Round(time.Second))
	timing.Table(os.Stdout, flows)
}
