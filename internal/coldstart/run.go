package coldstart

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Emulator is how to start the Lambda runtime interface emulator (aws-lambda-rie).
type Emulator struct {
	Path string // the aws-lambda-rie binary
	// Env returns the environment of the emulator for one function; the emulator passes
	// it on to the function.
	Env func(function string) []string
	// InvokeTimeout bounds one cold start: from process start to the invoke's answer.
	InvokeTimeout time.Duration
	// Log receives the emulator's and the function's output.
	Log io.Writer
}

// Sample is one cold start.
type Sample struct {
	// Total is the wall time from starting the emulator to having read the answer of
	// the first invoke; Warm the wall time of a second invoke with the same event,
	// sent once the first was answered (the handler's own work, warm).
	Total, Warm time.Duration
	// Status is the emulator's HTTP status; Answer the body it answered with.
	Status int
	Answer []byte
}

// invokePath is the emulator's invoke route (the Lambda Invoke API's, function "function").
const invokePath = "/2015-03-31/functions/function/invocations"

// Timings of the polling and stopping.
const (
	connectRetryInterval = time.Millisecond // until the emulator listens
	stopWaitMax          = 5 * time.Second  // for the emulator to exit once killed
	answerBytesMax       = 1 << 20
)

// ColdStart starts the emulator with bootstrap, listening on 127.0.0.1 only, sends it
// one invoke with event and measures the time to the answer; then it kills the emulator
// and the function it started, whatever happened.
func (e Emulator) ColdStart(ctx context.Context, function, bootstrap string, event []byte) (s Sample, err error) {
	addrs, err := freeAddrs(2)
	if err != nil {
		return Sample{}, err
	}
	invokeAddr, runtimeAddr := addrs[0], addrs[1]
	bootstrap, err = filepath.Abs(bootstrap)
	if err != nil {
		return Sample{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, e.InvokeTimeout)
	defer cancel()
	var out lockedBuffer
	cmd := exec.Command(e.Path, "--log-level", "error", // #nosec G204 -- the operator names the emulator and the bootstraps
		"--runtime-interface-emulator-address", invokeAddr, "--runtime-api-address", runtimeAddr, bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Env = e.Env(function)
	cmd.WaitDelay = stopWaitMax // should a process outside the groups hold the output open
	cmd.Stdout, cmd.Stderr = &out, &out
	// Its own process group; killed with this process if it dies first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Sample{}, fmt.Errorf("start %s: %w", e.Path, err)
	}
	p := &process{pid: cmd.Process.Pid, done: make(chan struct{})}
	go func() { p.waitErr = cmd.Wait(); close(p.done) }()
	defer func() {
		if stopErr := p.stop(); stopErr != nil && err == nil {
			err = stopErr
		}
		if e.Log != nil {
			_, _ = e.Log.Write(out.Bytes())
		}
	}()
	url := "http://" + invokeAddr + invokePath
	s.Status, s.Answer, err = invoke(ctx, url, event, p)
	s.Total = time.Since(start)
	if err != nil {
		return s, fmt.Errorf("%s: %w (output: %s)", function, err, tail(out.Bytes()))
	}
	if s.Status != http.StatusOK { // the runtime failed to start or crashed: no cold start to count
		return s, fmt.Errorf("%s: the emulator answered HTTP %d (output: %s)", function, s.Status, tail(out.Bytes()))
	}
	warmStart := time.Now()
	if _, _, err = invoke(ctx, url, event, p); err != nil {
		return s, fmt.Errorf("%s: second invoke: %w (output: %s)", function, err, tail(out.Bytes()))
	}
	s.Warm = time.Since(warmStart)
	return s, nil
}

// ColdCost is what the cold start added to the first invoke: its time from the
// emulator's start less the same invoke's time once warm. A handler's own work (a
// login's password hash, a sweep's walk) is in both and cancels out.
func (s Sample) ColdCost() time.Duration { return max(s.Total-s.Warm, 0) }

// invoke posts the event until the emulator listens, then returns its answer.
func invoke(ctx context.Context, url string, event []byte, p *process) (int, []byte, error) {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(event))
		if err != nil {
			return 0, nil, err
		}
		resp, err := client.Do(req)
		if err == nil {
			body, readErr := io.ReadAll(io.LimitReader(resp.Body, answerBytesMax))
			_ = resp.Body.Close()
			return resp.StatusCode, body, readErr
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			return 0, nil, err
		}
		select {
		case <-ctx.Done():
			return 0, nil, fmt.Errorf("no answer: %w", ctx.Err())
		case <-p.done:
			return 0, nil, fmt.Errorf("the emulator exited before answering: %w", p.waitErr)
		case <-time.After(connectRetryInterval):
		}
	}
}

// process is a started emulator; done is closed once it was waited for (waitErr set).
type process struct {
	pid     int
	done    chan struct{}
	waitErr error
}

// stop kills the emulator's process group and, first, the function's: the emulator
// starts the bootstrap in a process group of its own.
func (p *process) stop() error {
	for _, child := range children(p.pid) {
		_ = syscall.Kill(-child, syscall.SIGKILL)
		_ = syscall.Kill(child, syscall.SIGKILL)
	}
	_ = syscall.Kill(-p.pid, syscall.SIGKILL)
	select {
	case <-p.done:
		return nil
	case <-time.After(stopWaitMax):
		return fmt.Errorf("emulator %d did not exit within %s of SIGKILL", p.pid, stopWaitMax)
	}
}

// children returns the processes whose parent is pid (from /proc).
func children(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid …"; comm may hold spaces and parentheses.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			out = append(out, child)
		}
	}
	return out
}

// freeAddrs returns n distinct addresses 127.0.0.1:<port> that were free a moment ago:
// all n are held open together, or the kernel could hand out one port twice.
func freeAddrs(n int) ([]string, error) {
	addrs := make([]string, 0, n)
	listeners := make([]net.Listener, 0, n)
	defer func() {
		for _, ln := range listeners {
			_ = ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, ln)
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs, nil
}

// tailBytesMax is how much of the output an error quotes.
const tailBytesMax = 400

func tail(b []byte) string {
	if len(b) > tailBytesMax {
		b = b[len(b)-tailBytesMax:]
	}
	return strings.TrimSpace(string(b))
}

// lockedBuffer collects the emulator's output; os/exec copies into it from goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Bytes returns a copy of what was written.
func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
