package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msnbench/msnbench/server"
)

// The memory test needs the server in another process, so that what it
// measures is the client's memory only: the test binary runs itself as
// the server when this variable is set.
const serveEnv = "LOADGEN_TEST_SERVE_ACCOUNTS"

func TestMain(m *testing.M) {
	if n := os.Getenv(serveEnv); n != "" {
		os.Exit(serveForTest(n))
	}
	os.Exit(m.Run())
}

// serveForTest runs the reference server, prints its address and serves
// until stdin is closed.
func serveForTest(accounts string) int {
	n, _ := strconv.Atoi(accounts)
	srv, err := server.New(server.Config{DSAddr: "127.0.0.1:0", NSAddr: "127.0.0.1:0", Accounts: n,
		Password: "password", IdleTimeout: time.Hour})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	fmt.Println(srv.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	srv.Close()
	return 0
}

func startServerProcess(t *testing.T, accounts int) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveEnv+"="+strconv.Itoa(accounts))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.HasPrefix(line, "error") {
		t.Fatalf("server process: %q %v", line, err)
	}
	return strings.TrimSpace(line)
}

// TestHeldSessionMemory holds N sessions against a server in another
// process and reports the client's heap and stack bytes per held session.
// The bound is generous; the figure is in the log (go test -v -run
// HeldSessionMemory), and LOADGEN_HOLD_N sets N.
func TestHeldSessionMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("holds thousands of connections")
	}
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("LOADGEN_HOLD_N")); err == nil && v > 0 {
		n = v
	}
	target := startServerProcess(t, n)
	cfg := baseConfig(target)
	cfg.Accounts = n
	cfg.Concurrency = n
	cfg.Logins = int64(n)
	cfg.Hold = time.Hour
	cfg.Ping = 30 * time.Second
	cfg.Timeout = 30 * time.Second
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	base, baseStack := memInUse()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		run, err := e.Run(ctx)
		if err != nil {
			t.Error(err)
			return
		}
		if run.Counts.OK != int64(n) {
			t.Errorf("counts %+v errors %+v", run.Counts, run.Errors)
		}
	}()
	waitFor(t, "all sessions held", func() bool { return e.Live().Held == int64(n) })
	held, heldStack := memInUse()
	cancel()
	<-done
	per := float64(held-base) / float64(n)
	t.Logf("%d held sessions: %.1f KB of heap and stack each, %.1f KB of it stack (%.1f MB in all)", n,
		per/1024, float64(heldStack-baseStack)/float64(n)/1024, float64(held-base)/(1<<20))
	if per > 64<<10 {
		t.Errorf("%.0f bytes per held session, want well under 64 KiB", per)
	}
}

// memInUse is the heap and goroutine stack memory in use after a full GC,
// and the stack part of it.
func memInUse() (total, stack uint64) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse + ms.StackInuse, ms.StackInuse
}
