package loadgen

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/server"
)

// refServer starts the reference server on loopback; ds adds a dispatch
// tier. The returned target is where logins start.
func refServer(t testing.TB, ds bool, mod func(*server.Config)) (*server.Server, string) {
	t.Helper()
	sc := server.Config{NSAddr: "127.0.0.1:0", Accounts: 64, Password: "password", Contacts: 3}
	if ds {
		sc.DSAddr = "127.0.0.1:0"
	}
	if mod != nil {
		mod(&sc)
	}
	srv, err := server.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, srv.Addr()
}

func TestE2EDialects(t *testing.T) {
	for d := msnp.MinDialect; d <= msnp.MaxDialect; d++ {
		for _, ds := range []bool{false, true} {
			name := "MSNP" + strconv.Itoa(int(d))
			if ds {
				name += "/ds"
			}
			t.Run(name, func(t *testing.T) {
				_, target := refServer(t, ds, func(c *server.Config) { c.CHL = true; c.FullProfile = d >= 3 })
				cfg := baseConfig(target)
				cfg.Dialects = "MSNP" + strconv.Itoa(int(d)) + " CVR0"
				cfg.Concurrency = 4
				cfg.Logins = 24
				run := runEngine(t, context.Background(), cfg)
				checkCounts(t, run)
				if run.Counts.OK != 24 {
					t.Fatalf("counts %+v errors %+v", run.Counts, run.Errors)
				}
				for _, name := range []string{"ns.connect", "ns.usr.i", "ns.usr.s", "ns.syn", "ns.chg", "login"} {
					if p := phase(run, name); p == nil || p.Summary.Count != 24 {
						t.Errorf("phase %s: %+v", name, p)
					}
				}
				if got := phase(run, "ds.usr") != nil; got != ds {
					t.Errorf("ds.usr measured = %v, want %v", got, ds)
				}
			})
		}
	}
}

func TestE2EHoldPingCHL(t *testing.T) {
	srv, target := refServer(t, true, func(c *server.Config) { c.CHL = true })
	cfg := baseConfig(target)
	cfg.Concurrency = 6
	cfg.Logins = 6
	cfg.Hold = 400 * time.Millisecond
	cfg.Ping = 100 * time.Millisecond
	run := runEngine(t, context.Background(), cfg)
	checkCounts(t, run)
	if run.Counts.OK != 6 {
		t.Fatalf("counts %+v errors %+v", run.Counts, run.Errors)
	}
	if p := phase(run, "ping"); p == nil || p.Summary.Count < 6 {
		t.Errorf("ping: %+v", p)
	}
	if p := phase(run, "qry"); p == nil || p.Summary.Count != 6 {
		t.Errorf("qry: %+v (every session must answer the CHL sent after its CHG)", p)
	}
	for _, w := range run.Health.Warnings {
		if len(w) > 0 && w[0] >= '0' && w[0] <= '9' {
			t.Errorf("warning: %s", w)
		}
	}
	waitFor(t, "server to see every session log out", func() bool { st := srv.Stats(); return st.ConnsOpen == 0 && st.Logouts == 6 })
}

func TestE2EFaults(t *testing.T) {
	tests := []struct {
		name  string
		mod   func(*server.Config)
		phase string
		class msnp.Class
		code  int
	}{
		{"911 at USR S", func(c *server.Config) { c.ErrorCode, c.ErrorRate = 911, 1 }, "ns.usr.s",
			msnp.ClassAuthFail, 911},
		{"911 at USR S, kept open", func(c *server.Config) {
			c.ErrorCode, c.ErrorRate, c.ErrorKeepOpen = 911, 1, true
		}, "ns.usr.s", msnp.ClassAuthFail, 911},
		{"600 at the dispatch", func(c *server.Config) {
			c.ErrorCode, c.ErrorRate, c.ErrorPhases = 600, 1, server.PhaseSetOf(server.PhaseDSUSR)
		}, "ds.usr", msnp.ClassBusy, 600},
		{"close without reply at SYN", func(c *server.Config) {
			c.CloseRate, c.ClosePhases = 1, server.PhaseSetOf(server.PhaseSYN)
		}, "ns.syn", msnp.ClassEOF, 0},
		{"wrong password", func(c *server.Config) { c.Password = "other" }, "ns.usr.s", msnp.ClassAuthFail, 911},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, target := refServer(t, true, tc.mod)
			cfg := baseConfig(target)
			cfg.Concurrency = 3
			cfg.Logins = 12
			run := runEngine(t, context.Background(), cfg)
			checkCounts(t, run)
			if run.Counts.Failed != 12 || len(run.Errors) != 1 {
				t.Fatalf("counts %+v errors %+v", run.Counts, run.Errors)
			}
			e := run.Errors[0]
			if e.Phase != tc.phase || e.Class != tc.class.String() || e.Code != tc.code {
				t.Fatalf("error %+v, want %s/%s/%d", e, tc.phase, tc.class, tc.code)
			}
		})
	}
	t.Run("stall", func(t *testing.T) {
		srv, target := refServer(t, true, nil)
		srv.Stall(time.Hour)
		cfg := baseConfig(target)
		cfg.Concurrency = 3
		cfg.Logins = 3
		cfg.Timeout = 200 * time.Millisecond
		run := runEngine(t, context.Background(), cfg)
		checkCounts(t, run)
		if run.Counts.Failed != 3 || len(run.Errors) != 1 || run.Errors[0].Class != "timeout" ||
			run.Errors[0].Phase != "ds.ver" {
			t.Fatalf("counts %+v errors %+v", run.Counts, run.Errors)
		}
		srv.Stall(0)
	})
	t.Run("refused", func(t *testing.T) {
		srv, target := refServer(t, false, nil)
		srv.Close()
		cfg := baseConfig(target)
		cfg.Concurrency = 2
		cfg.Logins = 4
		run := runEngine(t, context.Background(), cfg)
		checkCounts(t, run)
		if run.Counts.Failed != 4 || len(run.Errors) != 1 || run.Errors[0].Class != "refused" ||
			run.Errors[0].Phase != "ds.connect" {
			t.Fatalf("counts %+v errors %+v", run.Counts, run.Errors)
		}
	})
}

// TestE2ECoordinatedOmission stalls the server mid-run in the open model.
// Starts due during the stall wait for a free session, so their intended-
// start latency carries the stall while their actual-start latency does
// not: login.intended must show the stall in its upper percentiles, login
// only in the few sessions that were in flight when it began.
func TestE2ECoordinatedOmission(t *testing.T) {
	const stall = 400 * time.Millisecond
	srv, target := refServer(t, true, nil)
	cfg := baseConfig(target)
	cfg.Steps = nil
	cfg.Rate = 200
	cfg.MaxInflight = 4
	cfg.Logins = 300
	cfg.Interval = time.Second
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		waitFor(t, "100 logins", func() bool { l := e.Live(); return l.OK+l.Failed >= 100 })
		srv.Stall(stall)
	}()
	run, err := e.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, run)
	if run.Counts.Failed != 0 || run.Counts.Dropped != 0 {
		t.Fatalf("counts %+v errors %+v", run.Counts, run.Errors)
	}
	li, l, lag := phase(run, "login.intended"), phase(run, "login"), phase(run, "sched.lag")
	if li == nil || l == nil || lag == nil {
		t.Fatal("missing phases")
	}
	stallUs := stall.Microseconds()
	t.Logf("login p90 %dµs max %dµs; login.intended p90 %dµs p99 %dµs max %dµs; sched.lag max %dµs",
		l.Summary.P90, l.Summary.Max, li.Summary.P90, li.Summary.P99, li.Summary.Max, lag.Summary.Max)
	if li.Summary.Max < stallUs*3/4 {
		t.Errorf("login.intended max %dµs, want about the stall (%dµs)", li.Summary.Max, stallUs)
	}
	if lag.Summary.Max < stallUs/2 {
		t.Errorf("sched.lag max %dµs: starts due during the stall did not wait", lag.Summary.Max)
	}
	// About stall×rate = 80 of 300 starts were delayed by 0..stall: well
	// over 10% of login.intended is above stall/4, while only the ≤4
	// sessions in flight at the stall carry it in login.
	if li.Summary.P90 < stallUs/4 {
		t.Errorf("login.intended p90 %dµs, want > %dµs", li.Summary.P90, stallUs/4)
	}
	if l.Summary.P90 >= li.Summary.P90 {
		t.Errorf("login p90 %dµs not below login.intended p90 %dµs: the correction did nothing",
			l.Summary.P90, li.Summary.P90)
	}
}

func TestE2EStagesAndWarmup(t *testing.T) {
	_, target := refServer(t, true, nil)
	cfg := baseConfig(target)
	cfg.Stages = []Stage{{Duration: 300 * time.Millisecond, From: 1, To: 4}, {Duration: 300 * time.Millisecond,
		From: 4, To: 4}}
	cfg.Warmup = 100 * time.Millisecond
	run := runEngine(t, context.Background(), cfg)
	checkCounts(t, run)
	if run.Counts.OK == 0 || run.Counts.Failed != 0 {
		t.Fatalf("counts %+v errors %+v", run.Counts, run.Errors)
	}
	if run.Counts.Warmup == 0 {
		t.Error("no warm-up sessions counted")
	}
	if p := phase(run, "login"); p == nil || p.Summary.Count != run.Counts.OK {
		t.Errorf("login count %+v, want %d (warm-up excluded)", p, run.Counts.OK)
	}
	if run.Health.PeakInflight > 4 {
		t.Errorf("peak in flight %d above the stage maximum 4", run.Health.PeakInflight)
	}
	if run.Config.Model != "stages" || run.Config.Stages == "" {
		t.Errorf("config %+v", run.Config)
	}
}

func TestE2EOpenRateStages(t *testing.T) {
	_, target := refServer(t, false, nil)
	cfg := baseConfig(target)
	cfg.Stages = []Stage{{Duration: 500 * time.Millisecond, From: 100, To: 100}}
	cfg.StagesRate = true
	cfg.MaxInflight = 32
	run := runEngine(t, context.Background(), cfg)
	checkCounts(t, run)
	// 100/s for 0.5 s: 50 starts, uniform, each due at k×10ms.
	if got := run.Counts.Attempted + run.Counts.Dropped; got != 50 {
		t.Errorf("%d starts, want 50", got)
	}
}

// BenchmarkLogin runs full logins (DS + NS, no steps) over loopback against
// the reference server, one at a time, through the whole engine path.
func BenchmarkLogin(b *testing.B) {
	for _, steps := range []struct {
		name string
		s    []Step
	}{{"login", nil}, {"syn,chg", []Step{StepSyn, StepChg}}} {
		b.Run(steps.name, func(b *testing.B) {
			_, target := refServer(b, true, nil)
			cfg := baseConfig(target)
			cfg.Steps = steps.s
			cfg.Concurrency, cfg.Logins = 1, 1
			e, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			d := newDialer(context.Background(), cfg.Timeout, nil, e.p.stamps)
			e.p.dial = d.dial
			e.p.start = time.Now()
			e.p.rec = report.NewRecorder(1, time.Second)
			s := e.newSession(0)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				e.runOne(s, e.p.now())
				if !s.sm.OK() {
					b.Fatalf("login failed: %v at %v", s.sm.Class, s.sm.FailPhase)
				}
			}
		})
	}
}
