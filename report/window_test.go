package report

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestLoginRateOverMeasuredWindow: the login rate is over the window in
// which the measured sessions ran, not over the warm-up, the holds or the
// wind-down (issue 10 item 8), and --slo rate> uses the same figure.
func TestLoginRateOverMeasuredWindow(t *testing.T) {
	rec := NewRecorder(1, time.Second)
	ms := int64(time.Millisecond)
	// 3 s of warm-up at 100/s, then 2 s at 500/s of 10 ms logins.
	for i := range int64(300) {
		rec.Record(0, &Sample{Start: i * 10 * ms, End: i*10*ms + 10*ms, Warmup: true})
	}
	for i := range int64(1000) {
		s := Sample{Start: 3000*ms + i*2*ms, End: 3000*ms + i*2*ms + 10*ms}
		s.Set(Login, 10*ms)
		rec.Record(0, &s)
	}
	run := rpMeta(false)
	// The sessions were then held for a minute.
	run.End = run.Start.Add(65 * time.Second)
	rec.Finish(run, int64(65*time.Second))
	if run.Measured.From != 3 || run.Measured.To != 5.008 {
		t.Fatalf("measured %+v, want 3 .. 5.008", run.Measured)
	}
	if got, want := run.LoginRate(), 1000/2.008; got != want {
		t.Fatalf("login rate %v, want %v (not %v over the whole run)", got, want, 1000/65.0)
	}
	slo, _ := ParseSLO("rate>450")
	if res := slo.Check(run); !res.Passed() {
		t.Errorf("rate SLO: %v", res)
	}
	var txt bytes.Buffer
	if err := WriteText(&txt, run); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(txt.String(), "rate      498.0 logins/s (1000 ok in the 2.008s from the first measured start to the last measured end)") {
		t.Errorf("text report:\n%s", txt.String())
	}
	// A run written before Measured existed: over the whole run, as then.
	run.Measured = Span{}
	if got := run.LoginRate(); got != 1000/65.0 {
		t.Errorf("old run: rate %v, want %v", got, 1000/65.0)
	}
}
