// Command mutation runs the mutants of the money and security rules
// (tools/mutation/mutants.json, internal/mutation) against a scratch copy of the
// repository and writes docs/TESTING.md. It exits 1 when a mutant survives, and before
// testing anything when a mutant's snippet is stale.
//
//	make mutation                 # every mutant; starts the local engine when none runs
//	make mutation ONLY=id1,id2    # some, without rewriting docs/TESTING.md
//
// The engine-backed suites need AWS_ENDPOINT_URL (scripts/mutation.sh sets it).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/serverless-wallet/wallet/internal/cli"
	"github.com/serverless-wallet/wallet/internal/mutation"
)

func main() { os.Exit(cli.ExitCode(os.Stderr, "mutation", run())) }

func run() error {
	listFile := flag.String("mutants", "tools/mutation/mutants.json", "the mutant list")
	root := flag.String("root", ".", "the repository to copy")
	only := flag.String("only", "", "comma-separated mutant ids to run (default: all)")
	report := flag.String("report", "", "write the report here (default: docs/TESTING.md when every mutant runs)")
	packageLimit := flag.Duration("package-timeout", 10*time.Minute, "the -timeout of each go test run")
	checkOnly := flag.Bool("check", false, "only check that every mutant's snippet is still in its file (make lint)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	list, err := mutation.Load(*listFile)
	if err != nil {
		return err
	}
	if err := mutation.Stale(*root, list.All()); err != nil {
		return fmt.Errorf("stale mutants (update %s):\n%w", *listFile, err)
	}
	if *checkOnly {
		fmt.Printf("mutation: %d mutants, every snippet found once\n", len(list.All()))
		return nil
	}
	var ids []string
	if *only != "" {
		ids = strings.Split(*only, ",")
	} else if *report == "" {
		*report = "docs/TESTING.md"
	}
	ms, err := mutation.Select(list.Mutants, ids)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if len(m.Engine) > 0 && os.Getenv("AWS_ENDPOINT_URL") == "" {
			return fmt.Errorf("mutant %s needs the engine-backed suite: set AWS_ENDPOINT_URL (make mutation does)", m.ID)
		}
	}

	scratch, err := os.MkdirTemp("", "wallet-mutation-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(scratch) }()
	n, err := mutation.CopyTree(ctx, *root, scratch)
	if err != nil {
		return err
	}
	start := time.Now()
	r := &mutation.Runner{Scratch: scratch, PackageLimit: *packageLimit, GoTest: mutation.ExecGoTest}
	fmt.Printf("==> %d files copied to a scratch copy; the unmutated tests first\n", n)
	if err := r.Baseline(ctx, ms); err != nil {
		return err
	}
	fmt.Printf("==> baseline green in %s; %d mutants\n", time.Since(start).Round(time.Second), len(ms))
	results := make([]mutation.Result, 0, len(ms))
	var survivors []string
	for i, m := range ms {
		res, err := r.Run(ctx, m)
		if err != nil {
			return err
		}
		results = append(results, res)
		verdict := "killed by " + res.Suite.Name + ": " + strings.Join(res.Killers, ", ")
		if !res.Killed {
			verdict = "SURVIVED"
			survivors = append(survivors, fmt.Sprintf("%s (%s): %q -> %q", m.ID, m.File, m.Original, m.Replacement))
		}
		fmt.Printf("[%d/%d] %s %s (%s)\n", i+1, len(ms), m.ID, verdict, res.Duration.Round(time.Second))
	}
	total := time.Since(start)
	if *report != "" {
		page := []byte(mutation.Report(results, list.Equivalent, total))
		if err := os.WriteFile(*report, page, 0o644); err != nil { // #nosec G306 -- a page of the docs
			return err
		}
		fmt.Println("==> wrote", *report)
	}
	fmt.Printf("==> %d mutants, %d killed, %d survived, in %s\n", len(ms), len(ms)-len(survivors), len(survivors), total.Round(time.Second))
	if len(survivors) > 0 {
		return errors.New("mutants survived:\n  " + strings.Join(survivors, "\n  "))
	}
	return nil
}
