package compare_test

// Compare on real runs: the load generator against the reference server in
// this process, on loopback. The assertions are properties that hold with
// overwhelming probability however busy the machine is (a 50 ms delay on a
// login of well under 5 ms, a 30 % failure rate), never timings.

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/msnbench/msnbench/loadgen"
	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/compare"
	"github.com/msnbench/msnbench/server"
)

// realServer starts the reference server (notification server only) on
// loopback and returns its address.
func realServer(t *testing.T, mod func(*server.Config)) string {
	t.Helper()
	cfg := server.Config{NSAddr: "127.0.0.1:0", Accounts: 16, Password: "password"}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv.Addr()
}

// realRun runs n logins (two at a time, login and OUT) against target, with
// short intervals so that a run has time batches.
func realRun(t *testing.T, target string, n int64) *report.Run {
	t.Helper()
	e, err := loadgen.New(loadgen.Config{
		Target: target, UserPattern: "user%d@example.com", Accounts: 16, Password: "password",
		Concurrency: 2, Logins: n, Timeout: 5 * time.Second, Interval: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := e.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if run.Counts.Attempted != n {
		t.Fatalf("run: %d attempted, want %d", run.Counts.Attempted, n)
	}
	return run
}

func loginP50(t *testing.T, c *compare.Comparison) compare.PercentileChange {
	t.Helper()
	if len(c.Phases) == 0 || c.Phases[0].Phase != "login" || len(c.Phases[0].Percentiles) == 0 {
		t.Fatalf("no login p50 in %+v", c.Phases)
	}
	return c.Phases[0].Percentiles[0]
}

// slowServer adds 50 ms to ns.usr.s: a hundred times an unloaded login, so
// that "slower" holds even when a loaded machine stalls a run (+5 ms did
// not, at a load average of 20).
func slowServer(c *server.Config) {
	c.PhaseDelay = map[server.Phase]time.Duration{server.PhaseNSUSRS: 50 * time.Millisecond}
}

// TestCompareRealOneRunPerSide: with one run per side, a slowdown is shown
// but indicative, and no A/A or A/B comparison is a regression; the old
// behaviour (--assume-independent) still is one.
func TestCompareRealOneRunPerSide(t *testing.T) {
	fast, slow := realServer(t, nil), realServer(t, slowServer)
	a1, a2 := realRun(t, fast, 200), realRun(t, fast, 200)
	b := realRun(t, slow, 40)
	opt := compare.Options{AllowLimited: true}

	aa, err := compare.Compare([]*report.Run{a1}, []*report.Run{a2}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if aa.Regressed(aa.Threshold) {
		t.Errorf("A/A, one run per side: a regression")
	}
	if aa.Latency != compare.LatencyIndicative {
		t.Errorf("A/A: latency %q, want %q", aa.Latency, compare.LatencyIndicative)
	}

	// The slowdown is judged on login p50 alone: at the 5 % of a single
	// test, not Bonferroni's share of it over every phase and percentile.
	// Under -race beside a busy loop per core and other load (stress-tests.sh)
	// A's login p50 was 8.6 ms, its time batches twice as spread, and over
	// 40 percentiles +50 ms came out as -10 % ... +7727 %: honest, but not
	// what this test is about.
	abOpt := opt
	abOpt.Phases, abOpt.Percentiles = []string{"login"}, []float64{50}
	ab, err := compare.Compare([]*report.Run{a1}, []*report.Run{b}, abOpt)
	if err != nil {
		t.Fatal(err)
	}
	q := loginP50(t, ab)
	if q.Verdict != compare.Slower || !q.Indicative {
		t.Errorf("A/B +50ms: login p50 %+v, want slower and indicative", q)
	}
	if q.Variance != compare.VarianceIntervals && q.Variance != compare.VarianceValues {
		t.Errorf("A/B: variance %q", q.Variance)
	}
	if ab.Regressed(ab.Threshold) {
		t.Error("A/B, one run per side: a regression; want indicative only")
	}

	opt.AssumeIndependent = true
	old, err := compare.Compare([]*report.Run{a1}, []*report.Run{b}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if q := loginP50(t, old); !old.Regressed(old.Threshold) || q.Variance != compare.VarianceValues {
		t.Errorf("AssumeIndependent: regressed %v, login p50 %+v; want a regression from the values", old.Regressed(old.Threshold), q)
	}
}

// TestCompareRealBatches: a real run with enough intervals is judged from
// its time batches, never more narrowly than from its values.
func TestCompareRealBatches(t *testing.T) {
	// 1 ms in ns.usr.s makes 300 logins, two at a time, last about 40
	// intervals of 5 ms.
	target := realServer(t, func(c *server.Config) {
		c.PhaseDelay = map[server.Phase]time.Duration{server.PhaseNSUSRS: time.Millisecond}
	})
	a, b := realRun(t, target, 300), realRun(t, target, 300)
	for _, r := range []*report.Run{a, b} {
		if p := r.Phase("login"); p == nil || len(p.Intervals) < compare.DefaultMinBatches {
			t.Skipf("a run of 300 logins took fewer than %d intervals of 5 ms", compare.DefaultMinBatches)
		}
	}
	opt := compare.Options{AllowLimited: true, Phases: []string{"login"}, Percentiles: []float64{50, 90}}
	c, err := compare.Compare([]*report.Run{a}, []*report.Run{b}, opt)
	if err != nil {
		t.Fatal(err)
	}
	opt.AssumeIndependent = true
	v, err := compare.Compare([]*report.Run{a}, []*report.Run{b}, opt)
	if err != nil {
		t.Fatal(err)
	}
	p := c.Phases[0]
	if p.BatchesA < compare.DefaultMinBatches || p.BatchesB < compare.DefaultMinBatches {
		t.Errorf("batches %d+%d, want at least %d each", p.BatchesA, p.BatchesB, compare.DefaultMinBatches)
	}
	for i, q := range p.Percentiles {
		if q.Variance != compare.VarianceIntervals || !q.Indicative {
			t.Errorf("p%v: variance %q indicative %v", q.Percentile, q.Variance, q.Indicative)
		}
		w := v.Phases[0].Percentiles[i]
		if q.High-q.Low < w.High-w.Low {
			t.Errorf("p%v: batches give [%v, %v], narrower than the values' [%v, %v]", q.Percentile, q.Low, q.High, w.Low, w.High)
		}
	}
}

// delayedRuns makes runs runs at once, each of n logins all at once against
// a server of its own whose ns.usr.s waits d (separate servers, so no run's
// login kicks another's off an account).
func delayedRuns(t *testing.T, runs, n int, d time.Duration) []*report.Run {
	t.Helper()
	type result struct {
		run *report.Run
		err error
	}
	done := make([]chan result, runs)
	for i := range done {
		target := realServer(t, func(c *server.Config) {
			c.Accounts = n
			c.PhaseDelay = map[server.Phase]time.Duration{server.PhaseNSUSRS: d}
		})
		done[i] = make(chan result, 1)
		go func() {
			e, err := loadgen.New(loadgen.Config{
				Target: target, UserPattern: "user%d@example.com", Accounts: n, Password: "password",
				Concurrency: n, Logins: int64(n), Timeout: time.Minute, Interval: 5 * time.Millisecond,
			})
			if err != nil {
				done[i] <- result{err: err}
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			run, err := e.Run(ctx)
			done[i] <- result{run, err}
		}()
	}
	var out []*report.Run
	for _, ch := range done {
		r := <-ch
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.run.Counts.OK != int64(n) {
			t.Fatalf("run: %d of %d logins ok, errors %+v", r.run.Counts.OK, n, r.run.Errors)
		}
		out = append(out, r.run)
	}
	return out
}

// TestCompareRealRuns: three runs per side against a server twenty times
// slower in ns.usr.s is a regression, judged from the spread between runs;
// a run limited by the generator makes it inconclusive unless allowed.
func TestCompareRealRuns(t *testing.T) {
	// Both sides wait in ns.usr.s, A 100 ms and B 2 s, so that what a busy
	// machine adds to a login is small against both. It is the log of each
	// run's p50 that spreads: with A waiting nothing, a login of 0.5 ms was
	// 5 ms in one run and 0.5 in another under load, a spread (ln 10) that
	// hid +50 ms. Now a run's p50 is 100 ms + N, N what the machine adds:
	// the three runs of a side run at the same time, so they share most of
	// N and spread little, and A's p50 stays far below B's unless N nears
	// B's 2 s (with -race beside busy loops on both cores at a load average
	// of 20, N reached 0.9 s and the interval's low end was still +125 %;
	// run one after the other, N was below 0.3 s but spread more, low end
	// +265 %). 20 logins a run (the fewest that give p50 ten values beyond
	// it), all at once, keep the test at about 2 s on an idle machine.
	const logins = 20
	a := delayedRuns(t, 3, logins, 100*time.Millisecond)
	b := delayedRuns(t, 3, logins, 2*time.Second)
	for i := range a {
		t.Logf("run %d: login p50 A %v B %v", i+1, time.Duration(a[i].Phase("login").Summary.P50)*time.Microsecond,
			time.Duration(b[i].Phase("login").Summary.P50)*time.Microsecond)
	}
	opt := compare.Options{AllowLimited: true, Percentiles: []float64{50}, Phases: []string{"login"}}
	c, err := compare.Compare(a, b, opt)
	if err != nil {
		t.Fatal(err)
	}
	q := loginP50(t, c)
	t.Logf("login p50 %+.0f%% [%+.0f%%, %+.0f%%]", 100*q.Change, 100*q.Low, 100*q.High)
	if q.Verdict != compare.Slower || q.Indicative || q.Variance != compare.VarianceRuns {
		t.Errorf("login p50 %+v: want slower from the runs' spread", q)
	}
	if !c.Regressed(c.Threshold) || c.Latency != compare.LatencyBinding {
		t.Errorf("3+3 runs, B 20 times slower in ns.usr.s: regressed %v, latency %q", c.Regressed(c.Threshold), c.Latency)
	}

	b[1].Health.Saturated = true
	opt.AllowLimited = false
	c, err = compare.Compare(a, b, opt)
	if err != nil {
		t.Fatal(err)
	}
	if c.Regressed(c.Threshold) || c.Latency != compare.LatencyInconclusive || !loginP50(t, c).Indicative {
		t.Errorf("a generator-limited run: regressed %v, latency %q (%s)", c.Regressed(c.Threshold), c.Latency, c.LatencyWhy)
	}
}

// TestCompareRealFailures: failures keep their own test: with one run per
// side, 30 % failed logins on B are a regression although latency is only
// indicative.
func TestCompareRealFailures(t *testing.T) {
	good := realServer(t, nil)
	bad := realServer(t, func(c *server.Config) {
		c.ErrorCode, c.ErrorRate = 600, 0.3
		c.ErrorPhases = server.PhaseSetOf(server.PhaseNSUSRS)
	})
	a, b := realRun(t, good, 200), realRun(t, bad, 200)
	c, err := compare.Compare([]*report.Run{a}, []*report.Run{b}, compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Failures.Verdict != compare.MoreFailures || !c.Regressed(c.Threshold) {
		t.Errorf("30%% failures on B: %+v, regressed %v", c.Failures, c.Regressed(c.Threshold))
	}
}

// TestCompareRealPairedStall: real paired rounds as compare --run takes
// them, A/A, with one round stalled (run against a server that waits 50 ms
// in every login: that pair's B/A is about 1/100). The stalled pair does
// not set login p50's interval: its lower end is no lower than the lowest
// of the other pairs' ratios (less 10 %), and the comparison is no
// regression. (Student's t on the pairs' mean alone, the interval before,
// failed this in 2 of 3 tries: -55 % where the other pairs' lowest B/A was
// 0.82.)
func TestCompareRealPairedStall(t *testing.T) {
	fast, fast2 := realServer(t, nil), realServer(t, nil)
	stalled := realServer(t, slowServer)
	const stall = 5
	var a, b []*report.Run
	for i := range 14 {
		if i == stall {
			a = append(a, realRun(t, stalled, 40))
		} else {
			a = append(a, realRun(t, fast, 300))
		}
		b = append(b, realRun(t, fast2, 300))
	}
	c, err := compare.Compare(a, b, compare.Options{AllowLimited: true, Paired: true,
		Percentiles: []float64{50}, Phases: []string{"login"}})
	if err != nil {
		t.Fatal(err)
	}
	lowest := math.Inf(1)
	for i := range a {
		if i != stall {
			lowest = min(lowest, float64(b[i].Phase("login").Summary.P50)/float64(a[i].Phase("login").Summary.P50))
		}
	}
	q := loginP50(t, c)
	t.Logf("login p50 %+.1f%% [%+.1f%%, %+.1f%%]; the other pairs' lowest B/A %.2f", 100*q.Change, 100*q.Low, 100*q.High, lowest)
	if q.Variance != compare.VariancePairs || 1+q.Low < 0.9*lowest || c.Regressed(c.Threshold) {
		t.Errorf("A/A with a stalled round: login p50 %+v, regressed %v: want pairs, low end at least 0.9 × %.2f - 1",
			q, c.Regressed(c.Threshold), lowest)
	}
}
