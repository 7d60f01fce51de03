// Command coldstart measures each function's cold start under the Lambda runtime
// interface emulator, side by side with a hello-world aws-lambda-go bootstrap, and
// prints a markdown table (internal/coldstart). scripts/bench-cold.sh (make bench-cold)
// builds what it needs and runs it:
//
//	go run ./cmd/coldstart -rie .tools/bin/aws-lambda-rie -build build -hello build/.hello/bootstrap -rounds 10
//
// Every AWS call the functions make goes to a fake endpoint on 127.0.0.1 that answers at
// once (coldstart.FakeAWS). It exits 1 when a function never answered.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/serverless-wallet/wallet/internal/cli"
	"github.com/serverless-wallet/wallet/internal/coldstart"
)

// helloName is the baseline's row in the table.
const helloName = "hello-world"

// roundsMax bounds a run: each round starts every bootstrap once.
const roundsMax = 1000

func main() { os.Exit(cli.ExitCode(os.Stderr, "coldstart", run())) }

func run() error {
	rie := flag.String("rie", ".tools/bin/aws-lambda-rie", "the aws-lambda-rie binary")
	buildDir := flag.String("build", "build", "directory with <function>/bootstrap")
	functionsDir := flag.String("functions", "functions", "directory whose subdirectories name the functions")
	hello := flag.String("hello", "build/.hello/bootstrap", "the hello-world bootstrap, built like the functions")
	eventsDir := flag.String("events", "events", "directory with <LogicalId>.json events (a function without one gets {})")
	rounds := flag.Int("rounds", 10, "counted cold starts per function (after one warm-up round)")
	timeout := flag.Duration("timeout", 20*time.Second, "limit of one cold start, from process start to the answer")
	only := flag.String("only", "", "measure only the functions matching this regexp (hello-world always)")
	logFile := flag.String("log", "", "append the emulator's and functions' output to this file")
	before := flag.String("before", "", "also measure another checkout's bootstraps (its build/, functions/ and events/), "+
		"in the same rounds, and print their table second")
	flag.Parse()
	if *rounds < 1 || *rounds > roundsMax {
		return fmt.Errorf("-rounds must be from 1 to %d", roundsMax)
	}
	// The emulator starts in each bootstrap's directory: a relative path would not hold.
	emulatorPath, err := filepath.Abs(*rie)
	if err != nil {
		return err
	}
	if _, err := os.Stat(emulatorPath); err != nil {
		return fmt.Errorf("the emulator: %w (scripts/tools.sh rie installs it)", err)
	}
	filter, err := regexp.Compile(*only)
	if err != nil {
		return err
	}
	fns, err := functions(*functionsDir, *buildDir, *eventsDir, filter)
	if err != nil {
		return err
	}
	fns = slices.Insert(fns, 0, coldstart.Function{Name: helloName, Bootstrap: *hello, Event: []byte("{}")})
	after := len(fns)
	if *before != "" {
		// Interleaved with this checkout's in every round, so that both see the same load.
		old, err := functions(filepath.Join(*before, "functions"), filepath.Join(*before, "build"), filepath.Join(*before, "events"), filter)
		if err != nil {
			return err
		}
		fns = append(fns, old...)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fake, err := coldstart.StartFakeAWS()
	if err != nil {
		return err
	}
	defer func() { _ = fake.Close() }()
	home, err := os.MkdirTemp("", "coldstart-home-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(home) }()
	emu := coldstart.Emulator{Path: emulatorPath, InvokeTimeout: *timeout,
		Env: func(fn string) []string { return coldstart.Environment(fake.URL(), home, fn) }}
	if *logFile != "" {
		f, err := os.OpenFile(*logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		defer func() { _ = f.Close() }()
		emu.Log = f
	}

	started := time.Now()
	results, err := coldstart.Bench(ctx, emu, fns, *rounds, os.Stderr)
	if err != nil {
		return err
	}
	fmt.Printf("%d rounds (after one warm-up round), %d bootstraps, %s; %s\n\n", *rounds, len(fns),
		time.Since(started).Round(time.Second), goarch())
	if err := coldstart.Table(os.Stdout, results[:after], helloName); err != nil {
		return err
	}
	fmt.Printf("\n%s\n", coldstart.Verdict(results[:after], helloName))
	if *before != "" {
		fmt.Printf("\n%s, measured in the same rounds:\n\n", *before)
		previous := append(results[:1:1], results[after:]...)
		if err := coldstart.Table(os.Stdout, previous, helloName); err != nil {
			return err
		}
		fmt.Printf("\n%s\n", coldstart.Verdict(previous, helloName))
	}
	fmt.Printf("\nfake AWS calls answered: %s\n", calls(fake.Calls()))
	failed := 0
	for _, r := range results {
		for _, e := range r.Errors {
			fmt.Fprintln(os.Stderr, "error:", e)
		}
		if len(r.Samples) == 0 {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d bootstraps never answered", failed)
	}
	return nil
}

// functions lists the functions (the subdirectories of dir) matching filter, with their
// bootstraps and events.
func functions(dir, buildDir, eventsDir string, filter *regexp.Regexp) ([]coldstart.Function, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	events, err := eventFiles(eventsDir)
	if err != nil {
		return nil, err
	}
	var fns []coldstart.Function
	for _, e := range entries {
		if !e.IsDir() || !filter.MatchString(e.Name()) {
			continue
		}
		event := []byte("{}")
		if path, ok := events[e.Name()]; ok {
			if event, err = os.ReadFile(path); err != nil { // #nosec G304 -- the operator names the directory
				return nil, err
			}
		}
		fns = append(fns, coldstart.Function{Name: e.Name(), Bootstrap: filepath.Join(buildDir, e.Name(), "bootstrap"), Event: event})
	}
	return fns, nil
}

// eventFiles maps a function's directory name to its event: events/CreateTransferFunction.json
// is createtransfer's (template.yaml's logical id, lower-cased, without "Function").
func eventFiles(dir string) (map[string]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*Function.json"))
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(paths))
	for _, p := range paths {
		out[strings.ToLower(strings.TrimSuffix(filepath.Base(p), "Function.json"))] = p
	}
	return out, nil
}

func calls(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func goarch() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	model := "unknown CPU"
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("linux, %s", model)
}
