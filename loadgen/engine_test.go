package loadgen

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

func baseConfig(target string) Config {
	return Config{
		Target:       target,
		UserPattern:  "user%d@example.com",
		Accounts:     64,
		AccountStart: 0,
		Password:     "password",
		Steps:        []Step{StepSyn, StepChg},
		Timeout:      5 * time.Second,
		Interval:     100 * time.Millisecond,
	}
}

func runEngine(t testing.TB, ctx context.Context, cfg Config) *report.Run {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	run, err := e.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// checkCounts asserts the report's books balance: attempted = ok + failed,
// failed = sum of the error table.
func checkCounts(t testing.TB, run *report.Run) {
	t.Helper()
	c := run.Counts
	if c.Attempted != c.OK+c.Failed {
		t.Errorf("attempted %d != ok %d + failed %d", c.Attempted, c.OK, c.Failed)
	}
	var sum int64
	for _, e := range run.Errors {
		sum += e.Count
	}
	if sum != c.Failed {
		t.Errorf("error table sums to %d, failed is %d: %+v", sum, c.Failed, run.Errors)
	}
}

func phase(run *report.Run, name string) *report.PhaseResult {
	for i := range run.Phases {
		if run.Phases[i].Name == name {
			return &run.Phases[i]
		}
	}
	return nil
}

func TestEngineClosedFake(t *testing.T) {
	ds, _ := fakePair(t, fakeOpts{profile: true, contacts: 2})
	cfg := baseConfig(ds.addr())
	cfg.Concurrency = 8
	cfg.Logins = 200
	run := runEngine(t, context.Background(), cfg)
	checkCounts(t, run)
	if run.Counts.OK != 200 || run.Counts.Failed != 0 {
		t.Fatalf("counts %+v, want 200 ok", run.Counts)
	}
	for _, name := range []string{"ds.connect", "ds.usr", "ns.usr.s", "ns.syn", "ns.chg", "login", "session"} {
		p := phase(run, name)
		if p == nil || p.Summary.Count != 200 {
			t.Errorf("phase %s: %+v", name, p)
		}
	}
	if phase(run, "sched.lag") != nil {
		t.Error("closed model recorded sched.lag")
	}
	if run.Config.Model != "closed" || run.Config.Concurrency != 8 || strings.Contains(run.Config.Dialects, ",") {
		t.Errorf("config %+v", run.Config)
	}
	if run.Health.PeakInflight < 1 || run.Health.PeakInflight > 8 {
		t.Errorf("peak in flight %d", run.Health.PeakInflight)
	}
}

func TestEngineFailuresAreResults(t *testing.T) {
	// Every other connection's USR S gets 911; the run goes on and counts.
	var n int
	srv := newFake(t, fakeOpts{override: func(st *fakeConn, cmd *msnp.Command) (bool, bool) {
		if matches(cmd, "USR S") {
			n++
			if n%2 == 0 {
				st.out = msnp.AppendError(st.out, 911, cmd.TrID)
				return true, true
			}
		}
		return false, false
	}})
	cfg := baseConfig(srv.addr())
	cfg.Concurrency = 1 // sequential, so n is not racy and exactly half fail
	cfg.Logins = 40
	run := runEngine(t, context.Background(), cfg)
	checkCounts(t, run)
	if run.Counts.OK != 20 || run.Counts.Failed != 20 {
		t.Fatalf("counts %+v", run.Counts)
	}
	if len(run.Errors) != 1 || run.Errors[0].Phase != "ns.usr.s" || run.Errors[0].Class != "auth-fail" ||
		run.Errors[0].Code != 911 {
		t.Fatalf("errors %+v", run.Errors)
	}
}

func TestEngineOpenFake(t *testing.T) {
	srv := newFake(t, fakeOpts{})
	cfg := baseConfig(srv.addr())
	cfg.Rate = 400
	cfg.Logins = 100
	cfg.Arrival = Poisson
	cfg.Seed = 7
	run := runEngine(t, context.Background(), cfg)
	checkCounts(t, run)
	if got := run.Counts.Attempted + run.Counts.Dropped; got != 100 {
		t.Fatalf("attempted %d + dropped %d != 100", run.Counts.Attempted, run.Counts.Dropped)
	}
	if p := phase(run, "sched.lag"); p == nil || p.Summary.Count != run.Counts.Attempted {
		t.Fatalf("sched.lag %+v", p)
	}
	li, l := phase(run, "login.intended"), phase(run, "login")
	if li == nil || l == nil || li.Summary.Max < l.Summary.Max {
		t.Fatalf("login.intended %+v < login %+v", li, l)
	}
}

func TestEngineCancel(t *testing.T) {
	// A server that stalls at SYN: every session hangs until canceled.
	srv := newFake(t, fakeOpts{override: answer("SYN", "", false)})
	cfg := baseConfig(srv.addr())
	cfg.Concurrency = 4
	cfg.Duration = time.Hour
	cfg.Timeout = time.Hour
	cfg.Grace = 50 * time.Millisecond
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		waitFor(t, "sessions in flight", func() bool { return e.Live().Inflight == 4 })
		cancel()
	}()
	run, err := e.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, run)
	if run.Counts.Failed != 4 || len(run.Errors) != 1 || run.Errors[0].Class != "canceled" ||
		run.Errors[0].Phase != "ns.syn" {
		t.Fatalf("counts %+v errors %+v", run.Counts, run.Errors)
	}
}

func TestEngineHoldFake(t *testing.T) {
	srv := newFake(t, fakeOpts{})
	cfg := baseConfig(srv.addr())
	cfg.Concurrency = 5
	cfg.Logins = 5
	cfg.Hold = 300 * time.Millisecond
	cfg.Ping = 50 * time.Millisecond
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	run, err := e.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, run)
	if run.Counts.OK != 5 {
		t.Fatalf("counts %+v", run.Counts)
	}
	p := phase(run, "ping")
	if p == nil || p.Summary.Count < 5 {
		t.Fatalf("ping %+v", p)
	}
	for _, w := range run.Health.Warnings {
		if strings.Contains(w, "held sessions ended") {
			t.Fatalf("unexpected hold failure: %s", w)
		}
	}
}

func TestNewRefusesTooFewAccounts(t *testing.T) {
	cfg := baseConfig("127.0.0.1:1")
	cfg.Concurrency = 100
	cfg.Logins = 1
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "accounts") {
		t.Fatalf("err = %v", err)
	}
	cfg.AllowSharedAccounts = true
	if _, err := New(cfg); err != nil {
		t.Fatal(err)
	}
}
