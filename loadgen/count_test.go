package loadgen

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

// stallSYNFailUser0 answers user0's USR S with 911 and never answers any
// SYN: every other session hangs at ns.syn until the run cuts it.
func stallSYNFailUser0(st *fakeConn, cmd *msnp.Command) (bool, bool) {
	switch {
	case matches(cmd, "USR S") && string(st.handle[:st.hn]) == "user0@example.com":
		st.out = msnp.AppendError(st.out, 911, cmd.TrID)
		return true, true
	case cmd.Is("SYN"):
		return true, false
	}
	return false, false
}

// TestEngineEndCutsSessions: sessions still in flight when the run's time
// is up (and the grace after it is over) are cut, not failed: they count
// in Counts.Cut, by phase in Cuts, and in no failure rate (issue 10 item 5).
func TestEngineEndCutsSessions(t *testing.T) {
	srv := newFake(t, fakeOpts{override: stallSYNFailUser0})
	cfg := baseConfig(srv.addr())
	cfg.AccountStart = 1 // no user0: nothing fails
	cfg.Concurrency = 2
	cfg.Duration = 200 * time.Millisecond
	cfg.Timeout = time.Hour
	cfg.Grace = 50 * time.Millisecond
	run := runEngine(t, context.Background(), cfg)
	checkCounts(t, run)
	c := run.Counts
	if c.Cut != 2 || c.Failed != 0 || c.Attempted != 0 || run.ErrorRate() != 0 {
		t.Fatalf("counts %+v (error rate %v), want 2 cut, nothing attempted or failed", c, run.ErrorRate())
	}
	if len(run.Cuts) != 1 || run.Cuts[0] != cutAt("ns.syn", 2) {
		t.Fatalf("cuts %+v, want 2 at ns.syn", run.Cuts)
	}
	var cut int64
	for _, pt := range run.Series {
		cut += pt.Cut
		if pt.Failed != 0 {
			t.Errorf("series point %+v counts a failure", pt)
		}
	}
	if cut != 2 {
		t.Errorf("series counts %d cut, want 2", cut)
	}
}

// TestEngineCancelKeepsEarlierFailures: a session that failed before the
// run was interrupted is still a failure; the ones the interrupt cut are
// not.
func TestEngineCancelKeepsEarlierFailures(t *testing.T) {
	srv := newFake(t, fakeOpts{override: stallSYNFailUser0})
	cfg := baseConfig(srv.addr())
	cfg.Concurrency = 3
	cfg.Duration = time.Hour
	cfg.Timeout = time.Hour
	cfg.Grace = 50 * time.Millisecond
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		waitFor(t, "one failure and 3 sessions hanging", func() bool {
			l := e.Live()
			return l.Failed >= 1 && l.Inflight == 3
		})
		cancel()
	}()
	run, err := e.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, run)
	c := run.Counts
	if c.Failed != 1 || c.Cut != 3 || c.OK != 0 {
		t.Fatalf("counts %+v, want 1 failed (911) and 3 cut", c)
	}
	if len(run.Errors) != 1 || run.Errors[0].Class != "auth-fail" || run.Errors[0].Code != 911 {
		t.Fatalf("errors %+v, want the 911", run.Errors)
	}
	if len(run.Cuts) != 1 || run.Cuts[0] != cutAt("ns.syn", 3) {
		t.Fatalf("cuts %+v, want 3 at ns.syn", run.Cuts)
	}
}

func cutAt(phase string, n int64) report.ErrorCount {
	return report.ErrorCount{Phase: phase, Class: "cut", Count: n}
}

// TestHoldNoPing: Ping 0 means no PNG while holding, not a default
// interval (issue 10 item 9).
func TestHoldNoPing(t *testing.T) {
	var pings atomic.Int64
	srv := newFake(t, fakeOpts{override: func(st *fakeConn, cmd *msnp.Command) (bool, bool) {
		if cmd.Is("PNG") {
			pings.Add(1)
		}
		return false, false
	}})
	cfg := baseConfig(srv.addr())
	cfg.Concurrency, cfg.Logins = 2, 2
	cfg.Hold = 200 * time.Millisecond
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Config().Ping; got != 0 {
		t.Fatalf("Ping became %v, want 0 (no PNG)", got)
	}
	run, err := e.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if run.Counts.OK != 2 || pings.Load() != 0 || run.Phase("ping") != nil {
		t.Fatalf("counts %+v, %d PNG sent, want 2 ok and none", run.Counts, pings.Load())
	}
}

// TestRateWindow: the login rate is over the window in which the measured
// sessions ran: after the warm-up, and before their hold (issue 10 item 8).
func TestRateWindow(t *testing.T) {
	t.Run("hold", func(t *testing.T) {
		srv := newFake(t, fakeOpts{})
		cfg := baseConfig(srv.addr())
		// Two logins per worker: with one each, all together, a run has
		// no rate (report.Run.NoRate).
		cfg.Concurrency, cfg.Logins = 3, 6
		cfg.Hold = 300 * time.Millisecond
		run := runEngine(t, context.Background(), cfg)
		if run.Counts.OK != 6 {
			t.Fatalf("counts %+v", run.Counts)
		}
		// Every hold began after its session was recorded, and the run
		// ended after every hold: the window ends a hold before the run.
		if w := run.Measured; w.Seconds() <= 0 || w.To+cfg.Hold.Seconds() > run.Elapsed().Seconds() {
			t.Fatalf("measured %+v, run %v, hold %v: the window includes the hold", w, run.Elapsed(), cfg.Hold)
		}
		if got, want := run.LoginRate(), 6/run.Measured.Seconds(); got != want {
			t.Fatalf("login rate %v, want %v", got, want)
		}
	})
	t.Run("warmup", func(t *testing.T) {
		srv := newFake(t, fakeOpts{})
		cfg := baseConfig(srv.addr())
		cfg.Concurrency = 2
		cfg.Warmup, cfg.Logins = 200*time.Millisecond, 20
		run := runEngine(t, context.Background(), cfg)
		if run.Counts.Warmup == 0 || run.Counts.OK == 0 {
			t.Fatalf("counts %+v, want sessions in and after the warm-up", run.Counts)
		}
		if w := run.Measured; w.From < cfg.Warmup.Seconds() || w.To <= w.From {
			t.Fatalf("measured %+v: starts before the end of the %v warm-up", w, cfg.Warmup)
		}
		if got, want := run.LoginRate(), float64(run.Counts.OK)/run.Measured.Seconds(); got != want {
			t.Fatalf("login rate %v, want %v", got, want)
		}
	})
}
