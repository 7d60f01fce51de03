package coldstart

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain lets this test binary stand in for the emulator: with FAKE_EMULATOR set it
// starts a child in a process group of its own (as the emulator starts the bootstrap),
// writes the child's pid to FAKE_EMULATOR_CHILD_PID, and answers invokes on the
// --runtime-interface-emulator-address (the first invoke after FAKE_EMULATOR_FIRST_MS,
// every one after FAKE_EMULATOR_EACH_MS; with FAKE_EMULATOR=crash as HTTP 502, as the
// emulator answers when the runtime exits); with FAKE_EMULATOR=exit it exits at once.
func TestMain(m *testing.M) {
	switch os.Getenv("FAKE_EMULATOR") {
	case "":
		os.Exit(m.Run())
	case "exit":
		os.Exit(3)
	default:
		fakeEmulator()
	}
}

func fakeEmulator() {
	fs := flag.NewFlagSet("fake", flag.ContinueOnError)
	addr := fs.String("runtime-interface-emulator-address", "", "")
	fs.String("runtime-api-address", "", "")
	fs.String("log-level", "", "")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	child := exec.Command("sleep", "60")
	child.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := child.Start(); err != nil {
		os.Exit(2)
	}
	if err := os.WriteFile(os.Getenv("FAKE_EMULATOR_CHILD_PID"), []byte(strconv.Itoa(child.Process.Pid)), 0o600); err != nil {
		os.Exit(2)
	}
	first, _ := strconv.Atoi(os.Getenv("FAKE_EMULATOR_FIRST_MS"))
	each, _ := strconv.Atoi(os.Getenv("FAKE_EMULATOR_EACH_MS"))
	var once sync.Once
	http.HandleFunc(invokePath, func(w http.ResponseWriter, _ *http.Request) {
		once.Do(func() { time.Sleep(time.Duration(first) * time.Millisecond) })
		time.Sleep(time.Duration(each) * time.Millisecond)
		if os.Getenv("FAKE_EMULATOR") == "crash" {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		_, _ = w.Write([]byte(`{"statusCode":200}`))
	})
	srv := &http.Server{Addr: *addr, ReadHeaderTimeout: time.Second}
	_ = srv.ListenAndServe()
	os.Exit(2)
}

// gone reports whether pid no longer runs (absent, or a zombie waiting for its reaper).
func gone(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) > 0 && fields[0] == "Z"
}

func TestColdStartAnswersThenStopsTheEmulatorAndItsChild(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	e := Emulator{Path: os.Args[0], InvokeTimeout: 10 * time.Second,
		Env: func(string) []string {
			return []string{"FAKE_EMULATOR=serve", "FAKE_EMULATOR_CHILD_PID=" + pidFile, "PATH=" + os.Getenv("PATH")}
		}}
	s, err := e.ColdStart(context.Background(), "fn", filepath.Join(t.TempDir(), "bootstrap"), []byte("{}"))
	require.NoError(t, err)
	assert.Equal(t, 200, s.Status)
	assert.JSONEq(t, `{"statusCode":200}`, string(s.Answer))
	assert.Positive(t, s.Total)

	b, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	child, err := strconv.Atoi(string(b))
	require.NoError(t, err)
	deadline := time.Now().Add(5 * time.Second)
	for !gone(child) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	assert.True(t, gone(child), "the emulator's child %d still runs", child)
}

// The first invoke pays the start (FIRST) and the handler's work (EACH); the second
// only the work: the cold start's cost is the difference.
func TestColdStartTimesAWarmInvokeToo(t *testing.T) {
	const firstMS, eachMS = 40, 25
	e := Emulator{Path: os.Args[0], InvokeTimeout: 10 * time.Second,
		Env: func(string) []string {
			return []string{"FAKE_EMULATOR=serve", "FAKE_EMULATOR_CHILD_PID=" + filepath.Join(t.TempDir(), "pid"),
				"FAKE_EMULATOR_FIRST_MS=" + strconv.Itoa(firstMS), "FAKE_EMULATOR_EACH_MS=" + strconv.Itoa(eachMS), "PATH=" + os.Getenv("PATH")}
		}}
	s, err := e.ColdStart(context.Background(), "fn", filepath.Join(t.TempDir(), "bootstrap"), []byte("{}"))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, s.Total, (firstMS+eachMS)*time.Millisecond)
	assert.GreaterOrEqual(t, s.Warm, eachMS*time.Millisecond)
	assert.Equal(t, s.Total-s.Warm, s.ColdCost())
}

func TestColdStartRefusesARuntimeThatCrashed(t *testing.T) {
	e := Emulator{Path: os.Args[0], InvokeTimeout: 10 * time.Second,
		Env: func(string) []string {
			return []string{"FAKE_EMULATOR=crash", "FAKE_EMULATOR_CHILD_PID=" + filepath.Join(t.TempDir(), "pid"), "PATH=" + os.Getenv("PATH")}
		}}
	s, err := e.ColdStart(context.Background(), "fn", filepath.Join(t.TempDir(), "bootstrap"), []byte("{}"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "HTTP 502")
	assert.Equal(t, http.StatusBadGateway, s.Status)
}

func TestColdStartReportsAnEmulatorThatExitsEarly(t *testing.T) {
	e := Emulator{Path: os.Args[0], InvokeTimeout: 10 * time.Second,
		Env: func(string) []string { return []string{"FAKE_EMULATOR=exit"} }}
	start := time.Now()
	_, err := e.ColdStart(context.Background(), "fn", filepath.Join(t.TempDir(), "bootstrap"), []byte("{}"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exited before answering")
	var exit *exec.ExitError
	assert.True(t, errors.As(err, &exit), "%v", err)
	assert.Less(t, time.Since(start), stopWaitMax, "no wait for an exit already seen")
}

func TestFreeAddrsAreDistinct(t *testing.T) {
	for range 50 {
		addrs, err := freeAddrs(2)
		require.NoError(t, err)
		require.Len(t, addrs, 2)
		assert.NotEqual(t, addrs[0], addrs[1])
		assert.True(t, strings.HasPrefix(addrs[0], "127.0.0.1:"), addrs[0])
	}
}
