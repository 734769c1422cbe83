package loadgen

import (
	"context"
	"testing"
	"time"

	"github.com/msnbench/msnbench/internal/rxstamp"
	"github.com/msnbench/msnbench/server"
)

// TestIOEngines runs the load models on every I/O engine: Go's net package,
// one event loop, and several (where the open model runs one arrival
// stream per loop and the engine reaches sessions on other threads), with
// the default (kernel) reply timestamps and with user ones ("/user").
// The rest of the suite runs on the default engine (or on the one
// MSNBENCH_TEST_IO names, in the same form).
func TestIOEngines(t *testing.T) {
	variants := []string{"net/user"}
	if rxstamp.Supported {
		variants = append(variants, "net")
	}
	if loopsSupported {
		variants = append(variants, "loop:1", "loop:3", "loop:1/user")
	}
	for _, v := range variants {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			_, target := refServer(t, true, func(c *server.Config) { c.CHL = true; c.FullProfile = true })
			base := func() Config {
				c := baseConfig(target)
				testIO(&c, v)
				return c
			}
			t.Run("closed", func(t *testing.T) {
				cfg := base()
				cfg.Concurrency, cfg.Logins = 5, 40
				run := runEngine(t, context.Background(), cfg)
				checkCounts(t, run)
				want := cfg.Timestamps
				if want == "" {
					want = TimestampsKernel
				}
				if run.Counts.OK != 40 || run.Config.IO != cfg.IO || run.Config.Timestamps != want {
					t.Fatalf("counts %+v errors %+v io %q timestamps %q", run.Counts, run.Errors, run.Config.IO, run.Config.Timestamps)
				}
				// read.lag, the replies' wait for the generator, exists only
				// where replies are timed at their arrival: once per session.
				lag := phase(run, "read.lag")
				switch {
				case want == TimestampsKernel && (lag == nil || lag.Summary.Count != 40):
					t.Errorf("kernel timestamps: read.lag %+v, want one value per session", lag)
				case want == TimestampsUser && lag != nil:
					t.Errorf("user timestamps: read.lag %+v, want none", lag)
				}
			})
			t.Run("open", func(t *testing.T) {
				cfg := base()
				cfg.Rate, cfg.Logins, cfg.Arrival, cfg.Seed, cfg.MaxInflight = 300, 60, Poisson, 3, 16
				run := runEngine(t, context.Background(), cfg)
				checkCounts(t, run)
				if got := run.Counts.Attempted + run.Counts.Dropped; got != 60 || run.Counts.Failed != 0 {
					t.Fatalf("%d starts (want 60), counts %+v errors %+v", got, run.Counts, run.Errors)
				}
				if p := phase(run, "sched.lag"); p == nil || p.Summary.Count != run.Counts.Attempted {
					t.Errorf("sched.lag %+v", p)
				}
			})
			t.Run("rate stages", func(t *testing.T) {
				cfg := base()
				cfg.Stages = []Stage{{Duration: 500 * time.Millisecond, From: 100, To: 100}}
				cfg.StagesRate, cfg.MaxInflight = true, 32
				run := runEngine(t, context.Background(), cfg)
				checkCounts(t, run)
				// Split over streams or not, 100/s for 0.5 s is 50 starts.
				if got := run.Counts.Attempted + run.Counts.Dropped; got != 50 {
					t.Errorf("%d starts, want 50", got)
				}
			})
			t.Run("hold", func(t *testing.T) {
				cfg := base()
				cfg.Concurrency, cfg.Logins = 4, 4
				// 4 pings a session are wanted. A PNG goes out a ping
				// interval after the last one, once its QNG is in, so on a
				// machine where a ping's round trip took 50-190 ms (go test
				// -race beside busy loops) 300 ms of hold gave 3 or 4: the
				// hold is 1 s, the interval 10 ms.
				cfg.Hold, cfg.Ping = time.Second, 10*time.Millisecond
				run := runEngine(t, context.Background(), cfg)
				checkCounts(t, run)
				if run.Counts.OK != 4 || run.Counts.HoldLost != 0 {
					t.Fatalf("counts %+v hold errors %+v", run.Counts, run.HoldErrors)
				}
				if p := phase(run, "ping"); p == nil || p.Summary.Count < 4*4 {
					t.Errorf("ping %+v", p)
				}
				if p := phase(run, "qry"); p == nil || p.Summary.Count != 4 {
					t.Errorf("qry %+v (the CHL after CHG, answered while holding)", p)
				}
			})
			t.Run("hold ended by the run", func(t *testing.T) {
				cfg := base()
				cfg.Concurrency, cfg.Logins = 3, 3
				cfg.Hold, cfg.Duration = time.Hour, 300*time.Millisecond
				// The holds are an hour long: only the end of the run can
				// end them before the guard context (a hang guard, not a
				// timing assertion) does.
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				run := runEngine(t, ctx, cfg)
				checkCounts(t, run)
				if run.Counts.OK != 3 || run.Counts.HoldLost != 0 {
					t.Fatalf("counts %+v hold errors %+v", run.Counts, run.HoldErrors)
				}
				if ctx.Err() != nil {
					t.Errorf("the run needed the guard context to end: the end of the run did not end the holds")
				}
			})
			t.Run("cancel", func(t *testing.T) {
				runCanceledAtSYN(t, func(c *Config) { testIO(c, v) })
			})
		})
	}
}
