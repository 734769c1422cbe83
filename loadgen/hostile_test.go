package loadgen_test

// The hostile-server suite: every login phase × every way a server can
// misbehave (internal/hostile), run through the whole engine. Each case
// checks that the run returns (a phase timeout costs a timeout, never a
// hang), that the failure is counted under the scripted phase, class and
// code, that the report's books balance, that every connection the client
// opened was closed by it, and, once all cases are done, that no goroutine
// or file descriptor is left over. Variations a client must tolerate
// (MSNP.md §4.8, §11) must log in successfully.

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msnbench/msnbench/internal/hostile"
	"github.com/msnbench/msnbench/internal/testwait"
	"github.com/msnbench/msnbench/loadgen"
	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

// Timeouts. Cases that expect a phase timeout use shortTimeout so the suite
// stays quick; every other case uses longTimeout, so a loaded machine can
// never turn an expected EOF or protocol error into a timeout. runBound is
// only the guard against a hung engine.
const (
	shortTimeout = 3 * time.Second
	longTimeout  = 30 * time.Second
	runBound     = 2 * time.Minute
	settleBound  = 15 * time.Second
	parallelism  = 8
)

// hcase is one scripted misbehaviour and what the engine must make of it.
type hcase struct {
	name   string
	sc     hostile.Script
	nsOnly bool           // target the notification listener (no dispatch tier)
	steps  []loadgen.Step // default syn,chg
	hold   bool           // hold the session and ping (the ping phase)
	ok     bool           // every login must succeed
	phase  string         // else: the phase every failure is counted in,
	class  msnp.Class     // its class,
	code   int            // and code (server error replies)
	warn   string         // hold cases: the held-session failure key expected in the warnings
	// unreached: the scripted phase must never happen (a step not taken).
	unreached bool
	// pinged: the held session must have recorded at least one ping.
	pinged bool
	// open runs the open model (a rate) instead of the closed one.
	open bool
}

func (c *hcase) timeout() time.Duration {
	if c.class == msnp.ClassTimeout || strings.HasSuffix(c.warn, "/timeout") {
		return shortTimeout
	}
	return longTimeout
}

// TestHostileServer runs every case, several at a time, then checks that
// the process is back to the goroutines and file descriptors it had.
func TestHostileServer(t *testing.T) {
	if testing.Short() {
		t.Skip("hostile-server suite skipped in -short mode")
	}
	g0, fd0 := runtime.NumGoroutine(), fdBaseline(t)
	cases := hostileCases()
	sem := make(chan struct{}, parallelism)
	var wg sync.WaitGroup
	for _, c := range cases {
		wg.Add(1)
		sem <- struct{}{}
		// t.Run from several goroutines at once: independent of
		// -parallel, and every case has returned before the leak check.
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t.Run(c.name, func(t *testing.T) { runHostileCase(t, c) })
		}()
	}
	wg.Wait()
	t.Logf("%d cases", len(cases))

	settle(t, "goroutines", func() (bool, string) {
		g := runtime.NumGoroutine()
		return g <= g0, strconv.Itoa(g) + " goroutines, " + strconv.Itoa(g0) + " before:\n" + goroutines()
	})
	if fd0 >= 0 {
		settle(t, "file descriptors", func() (bool, string) {
			n := countFDs(t)
			return n <= fd0, strconv.Itoa(n) + " open file descriptors, " + strconv.Itoa(fd0) + " before"
		})
	}
}

// maxAttempts bounds the runs of one case that the machine voided
// (stalledElsewhere).
const maxAttempts = 3

func runHostileCase(t *testing.T, c hcase) {
	for attempt := 1; ; attempt++ {
		srv, cfg, run := runHostileAttempt(t, c)
		if where := stalledElsewhere(c, run); where != "" && attempt < maxAttempts {
			// Not evidence about the engine either way: run the case again.
			t.Logf("attempt %d: timed out in %s, a phase the server answered at once: the machine stalled this "+
				"test for the whole %v timeout; again", attempt, where, cfg.Timeout)
			srv.Close()
			continue
		}
		checkHostileCase(t, c, srv, cfg, run)
		srv.Close()
		return
	}
}

// stalledElsewhere returns the phase of a timeout that the machine, not the
// case, caused, or "". A case that expects a timeout runs with shortTimeout
// (3 s) on every phase, and on a loaded machine (-race, load average 24)
// another phase once took that long: ns.inf, which the hostile server
// answers as soon as it reads it. Only the scripted phase misbehaves and
// the phases after it never happen, so a timeout anywhere else means that
// the server's or the client's thread did not run for the whole timeout.
// An engine that failed to see an answer would time out there in every
// attempt, and still fail.
func stalledElsewhere(c hcase, run *report.Run) string {
	if c.timeout() != shortTimeout {
		return ""
	}
	timeout := msnp.ClassTimeout.String()
	for _, ec := range run.Errors {
		if ec.Class == timeout && ec.Phase != string(c.sc.Phase) {
			return ec.Phase
		}
	}
	for _, ec := range run.HoldErrors {
		if ec.Class == timeout && ec.Phase != string(c.sc.Phase) {
			return ec.Phase
		}
	}
	return ""
}

// runHostileAttempt starts the case's hostile server and runs the engine
// against it once; the caller closes the server.
func runHostileAttempt(t *testing.T, c hcase) (*hostile.Server, loadgen.Config, *report.Run) {
	srv, err := hostile.New(c.sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() }) // on a failure before the caller's Close
	cfg := loadgen.Config{
		Target:      srv.Addr(),
		Concurrency: 1,
		Logins:      2,
		Steps:       []loadgen.Step{loadgen.StepSyn, loadgen.StepChg},
		UserPattern: "user%d@example.com",
		Accounts:    4,
		Password:    "password",
		Timeout:     c.timeout(),
		Interval:    100 * time.Millisecond,
	}
	if c.nsOnly {
		cfg.Target = srv.NSAddr()
	}
	if c.steps != nil {
		cfg.Steps = c.steps
	}
	if cfg.Timeout == shortTimeout {
		cfg.Concurrency = 2 // both logins wait out their timeout at once
	}
	if c.open {
		cfg.Concurrency, cfg.Rate, cfg.MaxInflight = 0, 20, 4
	}
	if c.hold {
		cfg.Concurrency, cfg.Logins = 1, 1
		cfg.Ping = 100 * time.Millisecond
		cfg.Hold = time.Second
		if c.warn != "" {
			// The hold is expected to end early, at the failure: leave
			// room for a late first ping and its whole timeout.
			cfg.Hold = runBound / 2
		}
		if c.warn != "" && c.sc.Phase == hostile.Qry {
			// No pings while the QRY fails: a PNG in flight then takes
			// the failure (hold/qry/reset was once ping/reset, with -race
			// beside busy loops), and whether one is in flight depends on
			// how late the session read the CHL, not on the engine.
			cfg.Ping = 0
		}
	}
	e, err := loadgen.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), runBound)
	defer cancel()
	run := waitRun(t, startRun(ctx, e), runBound+settleBound,
		fmt.Sprintf("engine still running %v after start, context canceled at %v: it hangs", runBound+settleBound,
			runBound))
	if ctx.Err() != nil {
		t.Errorf("the run needed the guard context (%v) to end", runBound)
	}
	return srv, cfg, run
}

// checkHostileCase checks one run of case c against srv.
func checkHostileCase(t *testing.T, c hcase, srv *hostile.Server, cfg loadgen.Config, run *report.Run) {
	t.Helper()
	checkBooks(t, run, cfg.Logins)
	switch st := srv.Stats(); {
	case c.unreached && st.Fired != 0:
		t.Errorf("the scripted phase was reached %d times, want never", st.Fired)
	case !c.unreached && st.Fired == 0 && c.sc.Action != hostile.None:
		t.Errorf("the scripted misbehaviour never happened (server stats %+v)", st)
	}
	if c.ok {
		if run.Counts.OK != cfg.Logins || run.Counts.Failed != 0 {
			t.Errorf("want %d successful logins, got ok %d failed %d, errors %+v", cfg.Logins, run.Counts.OK,
				run.Counts.Failed, run.Errors)
		}
	} else {
		if run.Counts.Failed != cfg.Logins {
			t.Errorf("want %d failed logins, got ok %d failed %d, errors %+v", cfg.Logins, run.Counts.OK,
				run.Counts.Failed, run.Errors)
		}
		for _, ec := range run.Errors {
			if ec.Phase != c.phase || ec.Class != c.class.String() || ec.Code != c.code {
				t.Errorf("error counted as %s/%s/%d ×%d, want %s/%s/%d", ec.Phase, ec.Class, ec.Code, ec.Count,
					c.phase, c.class, c.code)
			}
		}
	}
	if c.hold {
		checkHoldWarning(t, run, c.warn)
	}
	if c.pinged && phaseCount(run, "ping") == 0 {
		t.Errorf("the held session recorded no ping (phases %v)", phaseNames(run))
	}
	if c.open && run.Counts.Dropped != 0 {
		t.Errorf("%d starts dropped with at most 2 sessions for 4 in flight", run.Counts.Dropped)
	}
	if c.sc.Phase == hostile.Qry && c.ok && c.warn == "" && phaseCount(run, "qry") == 0 {
		t.Errorf("the CHL was answered but no qry time was recorded (phases %v)", phaseNames(run))
	}
	// Every connection the client opened must be closed by the client
	// (or already by the server) once Run has returned.
	settle(t, "connections closed", func() (bool, string) {
		st := srv.Stats()
		return st.Open == 0, strconv.FormatInt(st.Open, 10) + " client connections still open at the server"
	})
}

// runResult is what Engine.Run returned.
type runResult struct {
	run *report.Run
	err error
}

// startRun runs e in the background; its result arrives on the channel.
func startRun(ctx context.Context, e *loadgen.Engine) <-chan runResult {
	done := make(chan runResult, 1)
	go func() {
		r, err := e.Run(ctx)
		done <- runResult{r, err}
	}()
	return done
}

// waitRun waits at most bound for a started run and fails the test with
// hang if it has not returned by then, or if it returned an error.
func waitRun(t *testing.T, done <-chan runResult, bound time.Duration, hang string) *report.Run {
	t.Helper()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("Run: %v", r.err)
		}
		return r.run
	case <-time.After(bound):
		t.Fatal(hang)
	}
	return nil
}

// checkBooks asserts the report is complete: every login counted once,
// every failure in the error table.
func checkBooks(t *testing.T, run *report.Run, logins int64) {
	t.Helper()
	if c := run.Counts; c.Attempted != logins {
		t.Errorf("attempted %d, want %d", c.Attempted, logins)
	}
	checkBalanced(t, run)
}

// checkHoldWarning asserts that exactly the expected early end of the hold
// (or none) is reported.
func checkHoldWarning(t *testing.T, run *report.Run, want string) {
	t.Helper()
	var got string
	for _, w := range run.Health.Warnings {
		if strings.Contains(w, "held sessions ended before their hold time") {
			got = w
		}
	}
	switch {
	case want == "" && got != "":
		t.Errorf("unexpected early end of the hold: %q", got)
	case want != "" && !strings.Contains(got, want+" 1"):
		t.Errorf("want the warning to report %q once, got %q (all warnings %q)", want, got, run.Health.Warnings)
	}
	// The same, machine-readable: Counts.HoldLost and the HoldErrors table.
	var keys []string
	var sum int64
	for _, e := range run.HoldErrors {
		key := e.Phase + "/" + e.Class
		if e.Code != 0 {
			key += "/" + strconv.Itoa(e.Code)
		}
		keys = append(keys, key)
		sum += e.Count
	}
	switch {
	case sum != run.Counts.HoldLost:
		t.Errorf("HoldLost %d, but HoldErrors add up to %d", run.Counts.HoldLost, sum)
	case want == "" && run.Counts.HoldLost != 0:
		t.Errorf("unexpected held sessions lost: %v", keys)
	case want != "" && (run.Counts.HoldLost != 1 || len(keys) != 1 || keys[0] != want):
		t.Errorf("HoldErrors %v (HoldLost %d), want %s once", keys, run.Counts.HoldLost, want)
	}
}

func phaseCount(run *report.Run, name string) int64 {
	for _, p := range run.Phases {
		if p.Name == name {
			return p.Summary.Count
		}
	}
	return 0
}

func phaseNames(run *report.Run) []string {
	var out []string
	for _, p := range run.Phases {
		out = append(out, p.Name)
	}
	return out
}

// settle polls cond until it holds or settleBound passes; the bound is only
// a guard, the condition decides.
func settle(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	testwait.Until(t, settleBound, what, cond)
}

// fdBaseline counts this process's open file descriptors before a leak
// check, after the first network use: Go's poller opens its own (an epoll
// instance and an eventfd) then and keeps them, which a test run alone
// (-run) would otherwise count as leaked.
func fdBaseline(t *testing.T) int {
	t.Helper()
	if ln, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		ln.Close()
	}
	return countFDs(t)
}

// countFDs counts this process's open file descriptors, or -1 where
// /proc/self/fd does not exist.
func countFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Logf("not counting file descriptors: %v", err)
		return -1
	}
	return len(ents)
}

func goroutines() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// TestHostileWarmup: sessions that fail during the warm-up are counted
// apart and never reach the error table; the books still balance.
func TestHostileWarmup(t *testing.T) {
	srv, err := hostile.New(hostile.Script{Phase: hostile.NSSyn, Action: hostile.Close})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	e, err := loadgen.New(loadgen.Config{
		Target: srv.Addr(), Concurrency: 2, Warmup: 300 * time.Millisecond, Duration: 300 * time.Millisecond,
		Steps: []loadgen.Step{loadgen.StepSyn}, UserPattern: "user%d@example.com", Accounts: 4,
		Password: "password", Timeout: longTimeout, Interval: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), runBound)
	defer cancel()
	run, err := e.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkBalanced(t, run)
	if run.Counts.Warmup == 0 {
		t.Errorf("no warm-up sessions counted: %+v", run.Counts)
	}
	if run.Counts.OK != 0 {
		t.Errorf("%d logins succeeded against a server that closes at SYN", run.Counts.OK)
	}
	for _, ec := range run.Errors {
		if ec.Phase != "ns.syn" || ec.Class != "eof" {
			t.Errorf("error %s/%s ×%d, want only ns.syn/eof", ec.Phase, ec.Class, ec.Count)
		}
	}
	if st := srv.Stats(); st.Fired != run.Counts.Attempted+run.Counts.Warmup {
		t.Errorf("the server closed %d sessions at SYN; the report has %d attempted + %d warm-up", st.Fired,
			run.Counts.Attempted, run.Counts.Warmup)
	}
}
