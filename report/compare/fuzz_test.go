package compare

import (
	"bytes"
	"testing"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/fixture"
)

// FuzzCompare feeds Compare histograms and options it did not make: it must
// return a comparison or an error, never panic, and its writers must cope
// with whatever it returns.
func FuzzCompare(f *testing.F) {
	a := fixture.SynthRun(f, fixture.SynthSpec{Seed: 1, Seconds: 1, Rate: 50, NoIntervals: true})
	f.Add(a.Phases[0].Hist, 50.0, 0.05, 3)
	f.Add("HISTFAAAACB4nJNpmSzMwMDAxQABzFCaEUSgCjCBKAAowAFa", 99.9, -1.0, 1)
	f.Add("", 0.0, 0.0, 0)
	f.Fuzz(func(t *testing.T, hist string, pct, threshold float64, runs int) {
		b := *a
		b.Phases = append([]report.PhaseResult(nil), a.Phases...)
		b.Phases[0].Hist = hist
		side := make([]*report.Run, 1+(runs&3))
		for i := range side {
			side[i] = &b
		}
		c, err := Compare([]*report.Run{a}, side, Options{Percentiles: []float64{pct}, Threshold: threshold, Resamples: 100})
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteText(&buf, c); err != nil {
			t.Fatal(err)
		}
		if err := WriteJSON(&buf, c); err != nil {
			t.Fatal(err)
		}
		if err := WriteHTML(&buf, c); err != nil {
			t.Fatal(err)
		}
	})
}
