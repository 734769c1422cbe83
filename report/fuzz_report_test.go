package report_test

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/fixture"
)

// FuzzDecodeRun feeds arbitrary bytes to Decode: it must never panic, and a
// run it accepts must render in every registered writer without panicking
// (writers may return errors, for example for a corrupt interval histogram).
func FuzzDecodeRun(f *testing.F) {
	var good bytes.Buffer
	if err := report.Encode(&good, rpSmallRun(f)); err != nil {
		f.Fatal(err)
	}
	g := good.String()
	f.Add([]byte(g))
	f.Add([]byte(`{"schema":1}`))
	f.Add([]byte(`{"schema":1,"phases":[{"name":"login","hist":"HISTFAAAACl4nJNpmSzMwMDAxQABzFCaEUzOmNZg/wEi0NzIyMTAzMDAwMDAAAC3kQTn"}]}`))
	f.Add([]byte(`{"schema":1,"config":{"interval":"1s"},"series":[{"t":1e300}]}`))
	f.Add([]byte(strings.Replace(g, `"interval": "1s"`, `"interval": "1ns"`, 1)))
	f.Add([]byte(strings.Replace(g, `"start": 0,`, `"start": 1e15,`, 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		run, err := report.Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, format := range report.Formats() {
			_ = report.Write(io.Discard, format, run)
		}
		_, _ = report.Merge(run, run)
		_, _ = report.MergeOptions{Force: true}.Merge(run, run) // a run given twice is refused unless forced
		if slo, err := report.ParseSLO("login:p99<1s,errors<1%,rate>1,login:p95<1s"); err == nil {
			_ = slo.Check(run)
		}
	})
}

// FuzzParseSLO: any input either parses or fails with an error; a parsed
// SLO checks against a run without panicking.
func FuzzParseSLO(f *testing.F) {
	for _, s := range []string{"login:p99<200ms,ns.usr.s:p50<5ms,errors<0.1%", "rate>500", "p99.9<=1s", ":<", "errors<%", "a:b:c<1"} {
		f.Add(s)
	}
	run := rpSmallRun(f)
	f.Fuzz(func(t *testing.T, s string) {
		slo, err := report.ParseSLO(s)
		if err != nil {
			return
		}
		for _, r := range slo.Check(run) {
			_ = r.String()
		}
	})
}

// rpSmallRun is a small run for fuzz seeds: decoding and rendering it is
// cheap enough for many fuzz iterations.
func rpSmallRun(t testing.TB) *report.Run {
	samples := fixture.Samples(3, 60, 2e9, true)
	rec := report.NewRecorder(1, 1e9)
	last := fixture.Feed(rec, samples, 1, 1e9)
	run := fixture.Meta(true)
	run.End = run.Start.Add(2e9)
	rec.Finish(run, last+1)
	return run
}

// FuzzWriteHTML renders runs with hostile labels, phase names, interval
// histograms and series values: no panic, and nothing from the run reaches
// the page unescaped.
func FuzzWriteHTML(f *testing.F) {
	base := fixture.SynthRun(f, fixture.SynthSpec{Seed: 2, Seconds: 2, Rate: 30})
	f.Add("<script>x</script>", "ds.connect", base.Phases[0].Intervals[0].Hist, int64(5), 1.0)
	f.Add("", "<b>", "garbage", int64(-1), -3.0)
	f.Fuzz(func(t *testing.T, label, phase, ivHist string, n int64, at float64) {
		// Markers make the label's text unique in the page, so finding it
		// raw means it was not escaped (a bare "<" is in every page).
		label = "QzLabel" + label + "QzLabel"
		run := *base
		run.Label = label
		run.Phases = append([]report.PhaseResult(nil), base.Phases...)
		p := run.Phases[1]
		p.Name = phase
		p.Intervals = append([]report.Interval(nil), p.Intervals...)
		p.Intervals[0] = report.Interval{Start: at, Hist: ivHist}
		run.Phases[1] = p
		run.Series = append([]report.Point(nil), base.Series...)
		run.Series[0].OK, run.Series[0].T = n, at
		run.Errors = []report.ErrorCount{{Phase: phase, Class: label, Count: n}}
		var buf bytes.Buffer
		if err := report.WriteHTML(&buf, &run); err != nil {
			return
		}
		if strings.Contains(label, "<") && strings.Contains(buf.String(), label) {
			t.Errorf("label %q reached the page unescaped", label)
		}
	})
}
