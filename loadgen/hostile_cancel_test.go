package loadgen_test

// Stopping a run (Ctrl-C in the CLI) while the server holds every session
// hostage: stalled, dripping, flooding, or swallowing the reply into a
// payload. The phase timeout is set far beyond the guard, so only the
// cancellation and its grace period can end these runs.

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/msnbench/msnbench/internal/hostile"
	"github.com/msnbench/msnbench/loadgen"
	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

func TestHostileCancel(t *testing.T) {
	if testing.Short() {
		t.Skip("hostile-server suite skipped in -short mode")
	}
	type ccase struct {
		name  string
		sc    hostile.Script
		open  bool // open model instead of closed
		hold  bool
		stuck int64 // cancel once the misbehaviour has fired this often
	}
	var cases []ccase
	for _, a := range []struct {
		act hostile.Action
		arg string
	}{
		{hostile.Stall, ""}, {hostile.Unterminated, ""}, {hostile.Drip, "1s"}, {hostile.Flood, ""},
		{hostile.BadLength, "MSG long"},
	} {
		sc := hostile.Script{Phase: hostile.NSSyn, Action: a.act, Arg: a.arg}
		cases = append(cases, ccase{name: "closed/" + sc.String(), sc: sc, stuck: 2})
	}
	cases = append(cases,
		ccase{name: "closed/ds.ver/stall", sc: hostile.Script{Phase: hostile.DSVer, Action: hostile.Stall}, stuck: 2},
		ccase{name: "open/ns.usr.s/stall", sc: hostile.Script{Phase: hostile.NSUsrS, Action: hostile.Stall},
			open: true, stuck: 4},
		ccase{name: "hold/ping/stall", sc: hostile.Script{Phase: hostile.Ping, Action: hostile.Stall}, hold: true,
			stuck: 2},
		ccase{name: "hold/ping/drip", sc: hostile.Script{Phase: hostile.Ping, Action: hostile.Drip, Arg: "1s"},
			hold: true, stuck: 2},
	)

	g0, fd0 := runtime.NumGoroutine(), fdBaseline(t)
	var wg sync.WaitGroup
	for _, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(c.name, func(t *testing.T) {
				srv, err := hostile.New(c.sc)
				if err != nil {
					t.Fatal(err)
				}
				defer srv.Close()
				cfg := loadgen.Config{
					Target:      srv.Addr(),
					Logins:      1000,
					Steps:       []loadgen.Step{loadgen.StepSyn, loadgen.StepChg},
					UserPattern: "user%d@example.com",
					Accounts:    8,
					Password:    "password",
					Timeout:     10 * time.Minute, // only the cancel can end a stuck phase
					Grace:       100 * time.Millisecond,
					Interval:    100 * time.Millisecond,
				}
				switch {
				case c.open:
					cfg.Rate, cfg.MaxInflight = 50, int(c.stuck)
				default:
					cfg.Concurrency = int(c.stuck)
				}
				if c.hold {
					cfg.Hold, cfg.Ping = 10*time.Minute, 100*time.Millisecond
				}
				run := runUntilStuck(t, srv, cfg, c.stuck)
				checkBalanced(t, run)
				if c.hold {
					// Held sessions were counted when they logged in; the
					// end of the run ends the hold without an error.
					if run.Counts.Failed != 0 || run.Counts.OK < c.stuck {
						t.Errorf("ok %d failed %d, want ≥ %d ok and no failure (errors %+v)", run.Counts.OK,
							run.Counts.Failed, c.stuck, run.Errors)
					}
				} else {
					// Sessions the cancel cut are not failures (issue 10
					// item 5): they are counted apart, at their phase.
					if run.Counts.Cut < c.stuck || run.Counts.Failed != 0 {
						t.Errorf("cut %d failed %d, want ≥ %d cut and no failure (errors %+v)", run.Counts.Cut,
							run.Counts.Failed, c.stuck, run.Errors)
					}
					for _, ec := range run.Cuts {
						if ec.Phase != string(c.sc.Phase) || ec.Class != msnp.ClassCanceled.String() {
							t.Errorf("cut counted as %s/%s ×%d, want %s/cut", ec.Phase, ec.Class, ec.Count,
								c.sc.Phase)
						}
					}
				}
				settle(t, "connections closed", func() (bool, string) {
					st := srv.Stats()
					return st.Open == 0, strconv.FormatInt(st.Open, 10) + " client connections still open"
				})
			})
		}()
	}
	wg.Wait()
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

// runUntilStuck starts the run, cancels it once the server has caught
// stuck sessions, and returns its report; a run that does not return
// within the guard after the cancel hangs.
func runUntilStuck(t *testing.T, srv *hostile.Server, cfg loadgen.Config, stuck int64) *report.Run {
	t.Helper()
	e, err := loadgen.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := startRun(ctx, e)
	settle(t, "sessions stuck", func() (bool, string) {
		st := srv.Stats()
		return st.Fired >= stuck, "the misbehaviour fired " + strconv.FormatInt(st.Fired, 10) + " times"
	})
	cancel()
	return waitRun(t, done, runBound, fmt.Sprintf("Run did not return %v after the cancel (grace %v): it hangs",
		runBound, cfg.Grace))
}

// checkBalanced asserts attempted = ok + failed and failed = the sum of
// the error table.
func checkBalanced(t *testing.T, run *report.Run) {
	t.Helper()
	c := run.Counts
	if c.Attempted != c.OK+c.Failed {
		t.Errorf("attempted %d != ok %d + failed %d", c.Attempted, c.OK, c.Failed)
	}
	var sum int64
	for _, ec := range run.Errors {
		sum += ec.Count
	}
	if sum != c.Failed {
		t.Errorf("error table sums to %d, failed is %d: %+v", sum, c.Failed, run.Errors)
	}
}
