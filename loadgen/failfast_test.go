package loadgen

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/msnbench/msnbench/internal/hostile"
	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

func TestNextBackoff(t *testing.T) {
	refused := &report.Sample{Class: msnp.ClassRefused, FailPhase: report.DSConnect}
	var got []time.Duration
	d := time.Duration(0)
	for range 9 {
		d = nextBackoff(d, refused)
		got = append(got, d)
	}
	want := []time.Duration{10, 20, 40, 80, 160, 320, 640, 1000, 1000}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("backoffs %v, want %v ms", got, want)
		}
	}
	for _, sm := range []*report.Sample{
		{}, // success resets
		{Class: msnp.ClassAuthFail, FailPhase: report.NSUsrS}, // the server answered
		{Class: msnp.ClassTimeout, FailPhase: report.DSVer},   // it accepted, then was slow
		{Class: msnp.ClassCanceled, FailPhase: report.DSConnect},
	} {
		if d := nextBackoff(time.Second, sm); d != 0 {
			t.Errorf("after %+v: backoff %v, want none", sm, d)
		}
	}
	for _, sm := range []*report.Sample{
		{Class: msnp.ClassTimeout, FailPhase: report.NSConnect},
		{Class: msnp.ClassEOF, FailPhase: report.DSVer}, // closed before any reply
		{Class: msnp.ClassReset, FailPhase: report.NSVer},
		{Class: msnp.ClassOther, FailPhase: report.DSConnect},
	} {
		if d := nextBackoff(0, sm); d != BackoffMin {
			t.Errorf("after %+v: backoff %v, want %v", sm, d, BackoffMin)
		}
	}
}

// TestBackoffDeadServer: against a port where nothing listens, each worker
// of either I/O engine waits between attempts, and the report says how
// long; before, 5 workers made tens of thousands of attempts a second.
func TestBackoffDeadServer(t *testing.T) {
	dead, release, err := hostile.ReserveRefused()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	for _, io := range []string{IONet, IOLoop} {
		if io == IOLoop && !loopsSupported {
			continue
		}
		t.Run(io, func(t *testing.T) {
			cfg := baseConfig(dead)
			testIO(&cfg, io)
			cfg.Concurrency = 4
			cfg.Duration = 300 * time.Millisecond
			run := runEngine(t, context.Background(), cfg)
			checkCounts(t, run)
			// 10+20+40+80+160 ms fill the 300 ms: at most 6 attempts a
			// worker (fewer on a slow machine, never more).
			if run.Counts.OK != 0 || run.Counts.Failed == 0 || run.Counts.Attempted > 4*6 {
				t.Errorf("counts %+v: want at most %d attempts", run.Counts, 4*6)
			}
			h := run.Health
			if h.Backoffs == 0 || h.Backoffs > run.Counts.Attempted || h.BackoffTotal <= 0 {
				t.Errorf("backoffs %d total %v for %d attempts", h.Backoffs, time.Duration(h.BackoffTotal),
					run.Counts.Attempted)
			}
		})
	}
}

// TestNoBackoffOpenModel: the open model keeps its schedule against a dead
// server too (holding starts back would be coordinated omission).
func TestNoBackoffOpenModel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	cfg := baseConfig(dead)
	cfg.Rate = 100
	cfg.MaxInflight = 4
	cfg.Logins = 10
	run := runEngine(t, context.Background(), cfg)
	if run.Counts.Attempted+run.Counts.Dropped != 10 || run.Health.Backoffs != 0 {
		t.Errorf("counts %+v backoffs %d: want 10 starts and no backoff", run.Counts, run.Health.Backoffs)
	}
}

// TestBackoffResets: a server that answers gets no backoff at all.
func TestBackoffResets(t *testing.T) {
	_, target := refServer(t, true, nil)
	cfg := baseConfig(target)
	cfg.Password = "wrong" // every session fails, but after the server answered
	cfg.Concurrency = 2
	cfg.Logins = 20
	run := runEngine(t, context.Background(), cfg)
	if run.Counts.Failed != 20 || run.Health.Backoffs != 0 {
		t.Errorf("counts %+v backoffs %d: want 20 failures and no backoff", run.Counts, run.Health.Backoffs)
	}
}

// TestErrorTextsKept: failures of class other are counted with their text.
func TestErrorTextsKept(t *testing.T) {
	for _, io := range []string{IONet, IOLoop} {
		if io == IOLoop && !loopsSupported {
			continue
		}
		t.Run(io, func(t *testing.T) {
			cfg := baseConfig("127.0.0.1:99999") // not a port: neither refused nor a timeout
			testIO(&cfg, io)
			cfg.Concurrency = 1
			cfg.Logins = 3
			run := runEngine(t, context.Background(), cfg)
			checkCounts(t, run)
			if len(run.Errors) != 1 || run.Errors[0].Class != "other" {
				t.Fatalf("errors %+v, want one row of class other", run.Errors)
			}
			if len(run.ErrorTexts) != 1 {
				t.Fatalf("error texts %+v, want one", run.ErrorTexts)
			}
			et := run.ErrorTexts[0]
			if et.Count != 3 || et.Phase != "ds.connect" || et.Class != "other" || !strings.Contains(et.Message, "port") {
				t.Errorf("error text %+v, want 3 at ds.connect saying what is wrong with the port", et)
			}
		})
	}
}

func TestErrorTextsBounded(t *testing.T) {
	var et errorTexts
	for i := range 100 {
		msg := "error " + string(rune('a'+i%8))
		et.add(report.DSConnect, false, errors.New(msg))
	}
	got := et.texts()
	if len(got) != report.MaxErrorTexts {
		t.Fatalf("kept %d texts, want %d", len(got), report.MaxErrorTexts)
	}
	for _, x := range got {
		if x.Count != 100/8+1 && x.Count != 100/8 {
			t.Errorf("%+v: wrong count", x)
		}
	}
	long := strings.Repeat("x", 5000)
	var e2 errorTexts
	e2.add(report.NSVer, true, errors.New(long))
	if m := e2.texts()[0].Message; len(m) > maxErrorText+4 || !e2.texts()[0].Hold {
		t.Errorf("a long message kept as %d bytes", len(m))
	}
}

// TestEngineInterrupted: a run whose context is canceled says so.
func TestEngineInterrupted(t *testing.T) {
	_, target := refServer(t, true, nil)
	cfg := baseConfig(target)
	cfg.Concurrency = 2
	cfg.Duration = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	run := runEngine(t, ctx, cfg)
	if !run.Interrupted {
		t.Error("a canceled run is not marked interrupted")
	}
	cfg.Duration = 0
	cfg.Logins = 4
	if run := runEngine(t, context.Background(), cfg); run.Interrupted {
		t.Error("a run that reached its end is marked interrupted")
	}
}
