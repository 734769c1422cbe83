package report_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/fixture"
)

// TestLoginRateOverMeasuredWindow: the login rate is over the window in
// which the measured sessions ran, not over the warm-up, the holds or the
// wind-down (issue 10 item 8), and --slo rate> uses the same figure.
func TestLoginRateOverMeasuredWindow(t *testing.T) {
	rec := report.NewRecorder(1, time.Second)
	ms := int64(time.Millisecond)
	// 3 s of warm-up at 100/s, then 2 s at 500/s of 10 ms logins.
	for i := range int64(300) {
		rec.Record(0, &report.Sample{Start: i * 10 * ms, End: i*10*ms + 10*ms, Warmup: true})
	}
	for i := range int64(1000) {
		s := report.Sample{Start: 3000*ms + i*2*ms, End: 3000*ms + i*2*ms + 10*ms}
		s.Set(report.Login, 10*ms)
		rec.Record(0, &s)
	}
	run := fixture.Meta(false)
	// The sessions were then held for a minute.
	run.End = run.Start.Add(65 * time.Second)
	rec.Finish(run, int64(65*time.Second))
	if run.Measured.From != 3 || run.Measured.To != 5.008 {
		t.Fatalf("measured %+v, want 3 .. 5.008", run.Measured)
	}
	if got, want := run.LoginRate(), 1000/2.008; got != want {
		t.Fatalf("login rate %v, want %v (not %v over the whole run)", got, want, 1000/65.0)
	}
	slo, _ := report.ParseSLO("rate>450")
	if res := slo.Check(run); !res.Passed() {
		t.Errorf("rate SLO: %v", res)
	}
	var txt bytes.Buffer
	if err := report.WriteText(&txt, run); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(txt.String(), "rate      498.0 logins/s (1000 ok in the 2.008s from the first measured start to the last measured end)") {
		t.Errorf("text report:\n%s", txt.String())
	}
	// A run written before Measured existed: over the whole run, as then.
	run.Measured = report.Span{}
	if got := run.LoginRate(); got != 1000/65.0 {
		t.Errorf("old run: rate %v, want %v", got, 1000/65.0)
	}
}

// TestNoRateWhenEveryWorkerLoggedInOnce: a closed run with -n at most -c
// (50 workers, one held login each) started its sessions together; logins
// over their 12 ms window (4,000/s) would be the concurrency over one login
// time, not a throughput. It has no rate, in the reports and for --slo.
func TestNoRateWhenEveryWorkerLoggedInOnce(t *testing.T) {
	rec := report.NewRecorder(1, time.Second)
	ms := int64(time.Millisecond)
	for i := range int64(50) {
		s := report.Sample{Start: i * ms / 10, End: 10*ms + i*ms/10}
		s.Set(report.Login, 10*ms)
		rec.Record(0, &s)
	}
	run := fixture.Meta(false)
	run.Config.Model, run.Config.Concurrency = "closed", 50
	run.End = run.Start.Add(8 * time.Second)
	rec.Finish(run, int64(8*time.Second))
	if got := run.LoginRate(); got != 0 || run.NoRate() == "" {
		t.Fatalf("login rate %v, no-rate %q: want none", got, run.NoRate())
	}
	var txt, md bytes.Buffer
	if err := report.WriteText(&txt, run); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteMarkdown(&md, run); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(txt.String(), "rate      - (each worker logged in once, all together: no rate") ||
		strings.Contains(txt.String(), "logins/s") || strings.Contains(md.String(), "logins/s") {
		t.Errorf("reports give a rate:\n%s\n%s", txt.String(), md.String())
	}
	slo, _ := report.ParseSLO("rate>1")
	if res := slo.Check(run); res.Passed() {
		t.Errorf("rate SLO passed on a run without a rate: %v", res)
	}
	// One more login than workers: a rate again.
	run.Config.Concurrency = 49
	if run.LoginRate() == 0 {
		t.Error("49 workers, 50 logins: no rate")
	}
}
