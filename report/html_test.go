package report_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/fixture"
	"github.com/msnbench/msnbench/report/internal/viz"
)

// TestWriteHTML checks what a reader relies on: the page is self-contained,
// has every section and a plot per phase, escapes what came from the run
// file, and shows the saturation banner exactly when the generator was
// saturated. Set MSNBENCH_HTML_OUT=file to keep the page for a look in a
// browser.
func TestWriteHTML(t *testing.T) {
	seconds := 60
	if raceEnabled {
		seconds = 15
	}
	run := fixture.SynthRun(t, fixture.SynthSpec{Seed: 1, Label: `demo <b>&</b> "quoted"`, Seconds: seconds, Rate: 150, Steps: true,
		FailRate: 0.01, Slowdown: float64(seconds) * 2 / 3})
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, run); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if out := os.Getenv("MSNBENCH_HTML_OUT"); out != "" {
		if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fixture.CheckSelfContained(t, page)
	for _, want := range []string{
		"<h2>Login</h2>", "Login latency by percentile", "Login latency over time", "Logins and errors per second",
		"Sessions in flight", `<h2 id="phases">`, `<h2 id="errors">`, "Configuration", "Machine", "Generator health",
		"demo &lt;b&gt;&amp;&lt;/b&gt; &#34;quoted&#34;", // the label, escaped
		">911<", "ns.usr.s", "Synthetic CPU @ 3.0GHz", ">99.9%<", ">90%<",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<b>&</b>") {
		t.Error("label not escaped")
	}
	if strings.Contains(page, "saturated during this run") {
		t.Error("saturation banner on a healthy run")
	}
	// 2 headline + 2 traffic + 2 per phase other than login + failures by
	// class over time.
	if got, want := strings.Count(page, "<svg"), 4+2*(len(run.Phases)-1)+1; got != want {
		t.Errorf("%d plots, want %d", got, want)
	}
	if strings.Contains(page, `class="empty"`) {
		t.Error("an empty plot on a run with data")
	}

	run.Health.Saturated = true
	run.Health.Warnings = []string{"generator CPU 97%"}
	buf.Reset()
	if err := report.WriteHTML(&buf, run); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "saturated during this run") || !strings.Contains(buf.String(), "generator CPU 97%") {
		t.Error("no saturation banner with its warning")
	}
}

func TestWriteHTMLDeterministic(t *testing.T) {
	run := fixture.SynthRun(t, fixture.SynthSpec{Seed: 2, Seconds: 5})
	var a, b bytes.Buffer
	if err := report.WriteHTML(&a, run); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteHTML(&b, run); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two renders of the same run differ")
	}
}

// TestWriteHTMLSparse: a run with one phase, no intervals, no series and no
// machine still renders, saying what it cannot show.
func TestWriteHTMLSparse(t *testing.T) {
	full := fixture.SynthRun(t, fixture.SynthSpec{Seed: 3, Seconds: 2, NoIntervals: true})
	run := &report.Run{Schema: report.SchemaVersion, Phases: []report.PhaseResult{*full.Phase("ds.connect")}}
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, run); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	fixture.CheckSelfContained(t, page)
	for _, want := range []string{"no successful logins", "no interval data", "No failed sessions."} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// A broken interval histogram is noted, not fatal.
	run = fixture.SynthRun(t, fixture.SynthSpec{Seed: 3, Seconds: 3})
	run.Phases[2].Intervals[1].Hist = "garbage"
	buf.Reset()
	if err := report.WriteHTML(&buf, run); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "1 of 3 interval histograms could not be decoded") {
		t.Error("broken interval histogram not noted")
	}
	// A broken whole-run histogram is an error.
	run.Phases[2].Hist = "garbage"
	if err := report.WriteHTML(&bytes.Buffer{}, run); err == nil {
		t.Error("no error for a broken phase histogram")
	}
	if err := report.WriteHTML(&bytes.Buffer{}, nil); err == nil {
		t.Error("no error for a nil run")
	}
}

func TestWriteHTMLRegistered(t *testing.T) {
	if _, ok := report.Lookup("html"); !ok {
		t.Error(`format "html" not registered`)
	}
}

func TestSameAsActual(t *testing.T) {
	base := fixture.SynthRun(t, fixture.SynthSpec{Seed: 4, Seconds: 2, NoIntervals: true})
	login := *base.Phase("login")
	other := *base.Phase("ds.usr") // session equals login without steps
	for _, tc := range []struct {
		name     string
		model    string
		intended report.PhaseResult
		want     bool
	}{
		{"closed model", "closed", other, true},
		{"open, same histogram", "open", login, true},
		{"open, same percentiles, other mean", "open", func() report.PhaseResult {
			p := login
			p.Hist, p.Summary.Mean = other.Hist, p.Summary.Mean+3
			return p
		}(), true},
		{"open, different", "open", other, false},
	} {
		run := *base
		run.Config.Model = tc.model
		in := tc.intended
		in.Name = "login.intended"
		run.Phases = append(append([]report.PhaseResult(nil), base.Phases...), in)
		if got := report.SameAsActual(&run, "login.intended"); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
		if report.SameAsActual(&run, "login") {
			t.Errorf("%s: login is not an intended phase", tc.name)
		}
	}
}

// TestWriteHTMLChat: the chat counts and failures are on the page.
func TestWriteHTMLChat(t *testing.T) {
	full := fixture.SynthRun(t, fixture.SynthSpec{Seed: 3, Seconds: 2, NoIntervals: true})
	run := &report.Run{Schema: report.SchemaVersion, Phases: []report.PhaseResult{*full.Phase("ds.connect")},
		Chat:       &report.Chat{Switchboards: 2, Sent: 10, Acked: 10, Delivered: 9, Lost: 1},
		ChatErrors: []report.ErrorCount{{Phase: "sb.xfr", Class: "unavailable", Code: 502, Count: 3}}}
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, run); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"chat: 2 switchboards, 10 messages sent", "9 delivered here, 1 lost",
		"chat failure (the held session went on): sb.xfr unavailable 502 ×3", "no switchboard for 3 users"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// The headline cards show the login percentiles of the phase table and the
// text report (the run's summary), not the plots' compressed distribution:
// one report, one p99.
func TestHTMLCardsMatchTable(t *testing.T) {
	for _, path := range []string{"testdata/closed.json", os.Getenv("MSNBENCH_CARDS_RUN")} {
		if path == "" {
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		run, err := report.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		t.Run(path, func(t *testing.T) { checkCardsMatchTable(t, run) })
	}
	t.Run("synthetic", func(t *testing.T) {
		checkCardsMatchTable(t, fixture.SynthRun(t, fixture.SynthSpec{Seed: 7, Seconds: 10, Rate: 150, Steps: true, Slowdown: 6}))
	})
}

func checkCardsMatchTable(t *testing.T, run *report.Run) {
	t.Helper()
	p := run.Phase(report.Login.String())
	if p == nil || p.Summary.Count == 0 {
		t.Fatal("no login phase")
	}
	cards := report.HTMLCards(run)
	want := map[string]int64{"login p50": p.Summary.P50, "login p99": p.Summary.P99, "login p99.9": p.Summary.P999}
	for _, c := range cards {
		if v, ok := want[c.Name]; ok {
			if got := viz.FmtUs(float64(v)); c.Value != got {
				t.Errorf("card %s = %s, the table says %s", c.Name, c.Value, got)
			}
			delete(want, c.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("cards missing: %v", want)
	}
}
