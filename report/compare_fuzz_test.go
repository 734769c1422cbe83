package report

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzCompare feeds Compare histograms and options it did not make: it must
// return a comparison or an error, never panic, and its writers must cope
// with whatever it returns.
func FuzzCompare(f *testing.F) {
	a := synthRun(f, synthSpec{Seed: 1, Seconds: 1, Rate: 50, NoIntervals: true})
	f.Add(a.Phases[0].Hist, 50.0, 0.05, 3)
	f.Add("HISTFAAAACB4nJNpmSzMwMDAxQABzFCaEUSgCjCBKAAowAFa", 99.9, -1.0, 1)
	f.Add("", 0.0, 0.0, 0)
	f.Fuzz(func(t *testing.T, hist string, pct, threshold float64, runs int) {
		b := *a
		b.Phases = append([]PhaseResult(nil), a.Phases...)
		b.Phases[0].Hist = hist
		side := make([]*Run, 1+(runs&3))
		for i := range side {
			side[i] = &b
		}
		c, err := Compare([]*Run{a}, side, CompareOptions{Percentiles: []float64{pct}, Threshold: threshold, Resamples: 100})
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteCompareText(&buf, c); err != nil {
			t.Fatal(err)
		}
		if err := WriteCompareJSON(&buf, c); err != nil {
			t.Fatal(err)
		}
		if err := WriteCompareHTML(&buf, c); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzWriteHTML renders runs with hostile labels, phase names, interval
// histograms and series values: no panic, and nothing from the run reaches
// the page unescaped.
func FuzzWriteHTML(f *testing.F) {
	base := synthRun(f, synthSpec{Seed: 2, Seconds: 2, Rate: 30})
	f.Add("<script>x</script>", "ds.connect", base.Phases[0].Intervals[0].Hist, int64(5), 1.0)
	f.Add("", "<b>", "garbage", int64(-1), -3.0)
	f.Fuzz(func(t *testing.T, label, phase, ivHist string, n int64, at float64) {
		// Markers make the label's text unique in the page, so finding it
		// raw means it was not escaped (a bare "<" is in every page).
		label = "QzLabel" + label + "QzLabel"
		run := *base
		run.Label = label
		run.Phases = append([]PhaseResult(nil), base.Phases...)
		p := run.Phases[1]
		p.Name = phase
		p.Intervals = append([]Interval(nil), p.Intervals...)
		p.Intervals[0] = Interval{Start: at, Hist: ivHist}
		run.Phases[1] = p
		run.Series = append([]Point(nil), base.Series...)
		run.Series[0].OK, run.Series[0].T = n, at
		run.Errors = []ErrorCount{{Phase: phase, Class: label, Count: n}}
		var buf bytes.Buffer
		if err := WriteHTML(&buf, &run); err != nil {
			return
		}
		if strings.Contains(label, "<") && strings.Contains(buf.String(), label) {
			t.Errorf("label %q reached the page unescaped", label)
		}
	})
}
