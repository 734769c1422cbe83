package loadgen

import (
	"slices"
	"testing"
	"time"

	"github.com/msnbench/msnbench/report"
)

// fakeStarter is an I/O engine's side of the open model, scripted: no
// clock, no workers. free says how many starts hand takes; lagged which
// handBy calls find a worker before the deadline.
type fakeStarter struct {
	e       *Engine
	free    int
	lagged  []bool
	stopAt  int64 // sleepUntil(stopAt) finds the run stopped; 0: never
	slept   []int64
	handed  []int64
	byCalls [][2]int64 // intended, deadline
}

func (f *fakeStarter) sleepUntil(at int64) bool {
	f.slept = append(f.slept, at)
	if f.stopAt != 0 && at >= f.stopAt {
		f.e.stopStarting()
		return false
	}
	return true
}

func (f *fakeStarter) hand(intended int64) bool {
	if f.free == 0 {
		return false
	}
	f.free--
	f.handed = append(f.handed, intended)
	return true
}

func (f *fakeStarter) handBy(intended, deadline int64) (bool, bool) {
	f.byCalls = append(f.byCalls, [2]int64{intended, deadline})
	ok := len(f.lagged) > 0 && f.lagged[0]
	if len(f.lagged) > 0 {
		f.lagged = f.lagged[1:]
	}
	if ok {
		f.handed = append(f.handed, intended)
	}
	return ok, false
}

func openEngine(t *testing.T, edit func(*Config)) *Engine {
	t.Helper()
	cfg := baseConfig("127.0.0.1:1")
	cfg.Rate, cfg.MaxInflight, cfg.MaxLag, cfg.Duration = 10, 4, 50*time.Millisecond, time.Second
	edit(&cfg)
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.p.rec = report.NewRecorder(1, time.Second)
	return e
}

func msN(v ...int64) []int64 {
	for i := range v {
		v[i] *= int64(time.Millisecond)
	}
	return v
}

// TestScheduleRules: the open model's rules, once for both I/O engines,
// on a scripted starter: each start at its intended time; a start that
// finds no worker waits for one up to MaxLag, then is dropped and
// counted; the end of the schedule is the end of the run's time.
func TestScheduleRules(t *testing.T) {
	e := openEngine(t, func(*Config) {})
	f := &fakeStarter{e: e, free: 6, lagged: []bool{true, false, false}}
	if !e.schedule(e.newPacer(0, 1), f) {
		t.Error("the schedule's end was not reported as the time being up")
	}
	if want := msN(0, 100, 200, 300, 400, 500, 600, 700, 800, 900); !slices.Equal(f.slept, want) {
		t.Errorf("waited for %v, want %v", f.slept, want)
	}
	if want := msN(0, 100, 200, 300, 400, 500, 600); !slices.Equal(f.handed, want) {
		t.Errorf("handed %v, want %v", f.handed, want)
	}
	wantBy := [][2]int64{{600e6, 650e6}, {700e6, 750e6}, {800e6, 850e6}, {900e6, 950e6}}
	if !slices.Equal(f.byCalls, wantBy) {
		t.Errorf("waited for a worker %v, want %v (intended, intended+MaxLag)", f.byCalls, wantBy)
	}
	if got := e.p.rec.Live().Dropped; got != 3 {
		t.Errorf("%d starts dropped, want 3", got)
	}
}

// TestScheduleLogins: -n ends the schedule (not the time), counting only
// starts after the warm-up; the run stopping ends it too.
func TestScheduleLogins(t *testing.T) {
	e := openEngine(t, func(c *Config) { c.Logins, c.Warmup, c.Duration = 3, 250*time.Millisecond, 0 })
	f := &fakeStarter{e: e, free: 100}
	if e.schedule(e.newPacer(0, 1), f) {
		t.Error("-n reported as the time being up")
	}
	if want := msN(0, 100, 200, 300, 400, 500); !slices.Equal(f.handed, want) {
		t.Errorf("handed %v, want 3 warm-up starts and 3 measured ones", f.handed)
	}
	if e.n.issued.Load() != 3 {
		t.Errorf("issued %d, want 3", e.n.issued.Load())
	}

	e = openEngine(t, func(*Config) {})
	f = &fakeStarter{e: e, free: 100, stopAt: int64(300 * time.Millisecond)}
	if e.schedule(e.newPacer(0, 1), f) || !e.stopped() {
		t.Error("a stopped run reported as the time being up")
	}
	if want := msN(0, 100, 200); !slices.Equal(f.handed, want) {
		t.Errorf("handed %v after the run stopped at 300 ms", f.handed)
	}
}
