package loadgen

import (
	"testing"
	"time"
)

func TestUntilAbove(t *testing.T) {
	st := []Stage{{Duration: 10 * time.Second, From: 0, To: 100}, {Duration: 5 * time.Second, From: 100, To: 100},
		{Duration: 5 * time.Second, From: 100, To: 0}, {Duration: 5 * time.Second, From: 0, To: 50}}
	for _, c := range []struct {
		t    time.Duration
		lvl  float64
		want time.Duration
		ok   bool
	}{
		{0, 49, 4900*time.Millisecond + 1, true},       // rising: just after the level passes 49
		{6 * time.Second, 49, 0, true},                 // already above
		{-time.Second, 0, time.Second + 1, true},       // before the start: at once (just after 0)
		{12 * time.Second, 99.5, 0, true},              // the flat stage
		{16 * time.Second, 60, 0, true},                // falling, still above
		{18 * time.Second, 60, 7 * time.Second, false}, // falling below, never again: the end
		{18 * time.Second, 30, 0, true},
		{19 * time.Second, 30, 4*time.Second + 1, true}, // below now, above again in the last stage
		{30 * time.Second, 1, 0, false},                 // after the end
	} {
		got, ok := untilAbove(st, c.t, c.lvl)
		if got != c.want || ok != c.ok {
			t.Errorf("untilAbove(%v, %v) = %v, %v; want %v, %v", c.t, c.lvl, got, ok, c.want, c.ok)
		}
		if ok {
			if l, _ := levelAt(st, c.t+got); l <= c.lvl {
				t.Errorf("level at %v is %v, not above %v", c.t+got, l, c.lvl)
			}
		}
	}
}

// TestClosedWorkerSleepsUntilItsTurn: a worker above the stage's current
// level sleeps until the level reaches it, not in short polls (tens of
// thousands of them, ramping up to held sessions, used to take more CPU
// than the logins).
func TestClosedWorkerSleepsUntilItsTurn(t *testing.T) {
	cfg := baseConfig("127.0.0.1:1")
	cfg.Stages = []Stage{{Duration: 100 * time.Second, From: 0, To: 10}}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.p.start = time.Now()
	s := e.newSession(0)
	var pauses []time.Duration
	e.closedWorker(5, s, func(d time.Duration) {
		pauses = append(pauses, d)
		e.stopStarting() // one look is enough: the run stops
	})
	// The pause is counted from when the worker looked, up to elapsed
	// after the start: a test descheduled for seconds (a loaded machine)
	// sees a pause that much shorter, and is right to.
	elapsed := time.Since(e.p.start)
	if len(pauses) != 1 || pauses[0] < 49*time.Second-elapsed || pauses[0] > 51*time.Second {
		t.Fatalf("worker 5 of a 0->10 ramp over 100 s paused %v (%v after the start), want once about 50 s less that",
			pauses, elapsed)
	}
}

// TestConfigEnd: the run's time ends at the end of the stages or after
// warm-up plus -d, whichever comes first, and not at all without either.
func TestConfigEnd(t *testing.T) {
	st := []Stage{{Duration: 10 * time.Second, From: 0, To: 10}, {Duration: 5 * time.Second, From: 10, To: 10}}
	for _, c := range []struct {
		stages           []Stage
		warmup, duration time.Duration
		want             time.Duration
	}{
		{nil, 0, 0, 0},
		{nil, 2 * time.Second, 0, 0}, // warm-up alone does not end a run
		{nil, 0, 30 * time.Second, 30 * time.Second},
		{nil, 2 * time.Second, 30 * time.Second, 32 * time.Second},
		{st, 0, 0, 15 * time.Second},
		{st, 2 * time.Second, 0, 15 * time.Second},
		{st, 2 * time.Second, 8 * time.Second, 10 * time.Second},  // -d first
		{st, 2 * time.Second, 13 * time.Second, 15 * time.Second}, // stages first
		{st, 0, 15 * time.Second, 15 * time.Second},
	} {
		cfg := Config{Stages: c.stages, Warmup: c.warmup, Duration: c.duration}
		if got := cfg.end(); got != c.want {
			t.Errorf("stages %v warm-up %v -d %v: end %v, want %v", FormatStages(c.stages), c.warmup, c.duration,
				got, c.want)
		}
	}
}
