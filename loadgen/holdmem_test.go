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

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/server"
)

// The memory test needs the server in another process, so that what it
// measures is the client's memory only: the test binary runs itself as
// the server when this variable is set.
const serveEnv = "LOADGEN_TEST_SERVE_ACCOUNTS"

// serveSBEnv, set to K, gives that server a switchboard and K contacts per
// account, for the chatting sessions' memory test.
const serveSBEnv = "LOADGEN_TEST_SERVE_SB_CONTACTS"

func TestMain(m *testing.M) {
	if n := os.Getenv(serveEnv); n != "" {
		os.Exit(serveForTest(n))
	}
	os.Exit(m.Run())
}

// serveForTest runs the reference server, prints its address and serves
// until stdin is closed. Each line "mem" on stdin is answered with the
// server process's Go memory in use and its goroutines (takeHeldMem).
func serveForTest(accounts string) int {
	n, _ := strconv.Atoi(accounts)
	cfg := server.Config{DSAddr: "127.0.0.1:0", NSAddr: "127.0.0.1:0", Accounts: n,
		Password: "password", IdleTimeout: time.Hour}
	if k, err := strconv.Atoi(os.Getenv(serveSBEnv)); err == nil {
		cfg.SBAddr, cfg.Contacts = "127.0.0.1:0", k
	}
	srv, err := server.New(cfg)
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	fmt.Println(srv.Addr())
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if sc.Text() == "mem" {
			m := takeHeldMem()
			fmt.Println(m.inuse, m.heap, m.stack, m.goroutines, srv.Stats().Online)
		}
	}
	srv.Close()
	return 0
}

// serverProcess is the reference server in a child process.
type serverProcess struct {
	addr  string
	stdin io.Writer
	out   *bufio.Reader
}

// mem asks the server process for its Go memory in use and the sessions
// it has online.
func (sp *serverProcess) mem(tb testing.TB) (m heldMem, online int64) {
	tb.Helper()
	if _, err := io.WriteString(sp.stdin, "mem\n"); err != nil {
		tb.Fatal(err)
	}
	line, err := sp.out.ReadString('\n')
	if err == nil {
		_, err = fmt.Sscan(line, &m.inuse, &m.heap, &m.stack, &m.goroutines, &online)
	}
	if err != nil {
		tb.Fatalf("server process memory: %q: %v", line, err)
	}
	return m, online
}

func startServerProcess(tb testing.TB, accounts int, env ...string) *serverProcess {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), serveEnv+"="+strconv.Itoa(accounts)), env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	out := bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	if err != nil || strings.HasPrefix(line, "error") {
		tb.Fatalf("server process: %q %v", line, err)
	}
	return &serverProcess{addr: strings.TrimSpace(line), stdin: stdin, out: out}
}

// TestHeldSessionMemory holds N sessions against a server in another
// process and reports the client's heap and stack bytes per held session.
// The bound is generous; the figure is in the log (go test -v -run
// HeldSessionMemory), and LOADGEN_HOLD_N sets N.
func TestHeldSessionMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("holds thousands of connections")
	}
	if raceEnabled {
		t.Skip("a memory measurement: the race detector's shadow memory would be in it")
	}
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("LOADGEN_HOLD_N")); err == nil && v > 0 {
		n = v
	}
	target := startServerProcess(t, n).addr
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
	done := runInBackground(t, ctx, e, func(run *report.Run) {
		if run.Counts.OK != int64(n) {
			t.Errorf("counts %+v errors %+v", run.Counts, run.Errors)
		}
	})
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

// runInBackground runs e on a goroutine until ctx is canceled (or the run
// ends), then has check look at the run; the channel is closed after it.
func runInBackground(t *testing.T, ctx context.Context, e *Engine, check func(*report.Run)) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		run, err := e.Run(ctx)
		if err != nil {
			t.Error(err)
			return
		}
		check(run)
	}()
	return done
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

// TestHeldSessionsParked: on the event loops a held session costs no
// goroutine (its task ends when it parks), yet it keeps pinging, and the
// end of its hold logs it out and the worker goes on (a second round of
// holds); both models. The server runs in another process so that its
// goroutines are not counted.
func TestHeldSessionsParked(t *testing.T) {
	if !loopsSupported {
		t.Skip("no event loops here")
	}
	const n = 100
	target := startServerProcess(t, 2*n).addr
	for _, open := range []bool{false, true} {
		t.Run(map[bool]string{false: "closed", true: "open"}[open], func(t *testing.T) {
			cfg := baseConfig(target)
			cfg.IO = IOLoop
			cfg.Accounts = 2 * n
			cfg.Hold = time.Second // long enough for PNGs, short enough for a second round
			cfg.Ping = 20 * time.Millisecond
			cfg.Timeout = 30 * time.Second
			if open {
				cfg.Rate, cfg.MaxInflight, cfg.Logins = 1000, n, 2*n
			} else {
				cfg.Concurrency, cfg.Logins = n, 2*n
			}
			e, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			base := runtime.NumGoroutine()
			done := make(chan *report.Run, 1)
			go func() {
				run, err := e.Run(context.Background())
				if err != nil {
					t.Error(err)
				}
				done <- run
			}()
			// Goroutines beyond the sessions that are not held (logging
			// in, or between sessions: each has its task): a goroutine per
			// held session would make it the number held. The least seen
			// while at least n/2 were held, so that a sample taken while
			// sessions change state does not count.
			var run *report.Run
			extra, samples := -1, 0
		wait:
			for {
				select {
				case run = <-done:
					break wait
				default:
				}
				lv := e.Live()
				g := runtime.NumGoroutine() - base
				if lv.Held >= n/2 {
					x := g - int(lv.Inflight-lv.Held)
					if extra < 0 || x < extra {
						extra = x
					}
					samples++
				}
				time.Sleep(2 * time.Millisecond)
			}
			if run == nil {
				t.Fatal("no run")
			}
			if run.Counts.OK != 2*n || run.Counts.Failed != 0 || run.Counts.HoldLost != 0 {
				t.Fatalf("counts %+v errors %+v hold errors %+v", run.Counts, run.Errors, run.HoldErrors)
			}
			if p := phase(run, "ping"); p == nil || p.Summary.Count < 2*n {
				t.Errorf("ping: %d, want at least %d (one per session)", p.Summary.Count, 2*n)
			}
			if samples == 0 {
				t.Fatalf("never saw %d sessions held at once", n/2)
			}
			if extra > n/10 {
				t.Errorf("%d goroutines more than the sessions not held while at least %d were held, want at most %d",
					extra, n/2, n/10)
			}
		})
	}
}

// TestIdleWorkerMemory: a closed-model worker that is not due yet
// (waiting for its turn in a ramp) costs nothing: it has no session, no
// reader and no goroutine or task yet. A generator ramping up to tens of
// thousands of held sessions used to start with all of them (an 8 KiB
// reader and a goroutine each). Worker 0 is due at once and holds its
// session: by then the old code had set every worker up.
func TestIdleWorkerMemory(t *testing.T) {
	const n = 2000
	target := startServerProcess(t, n).addr
	cfg := baseConfig(target)
	cfg.Accounts = n
	cfg.Hold, cfg.Timeout = time.Hour, 30*time.Second
	cfg.Stages = []Stage{{Duration: time.Hour, From: 1, To: 1}, {Duration: time.Second, From: n, To: n}}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := memInUse()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = e.Run(ctx)
	}()
	waitFor(t, "worker 0 to hold its session", func() bool { return e.Live().Held == 1 })
	inUse, _ := memInUse()
	cancel()
	<-done
	per := (float64(inUse) - float64(base)) / n
	t.Logf("%.0f bytes per worker waiting for its turn (%s)", per, e.Config().IO)
	if per > 512 {
		t.Errorf("%.0f bytes per worker waiting for its turn, want next to none", per)
	}
}
