package compare

import (
	"strings"
	"testing"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/fixture"
)

// TestCompareWarnsMachineBusy: a comparison names a run whose generator
// other processes kept waiting, and its latency verdicts are inconclusive
// as for a saturated generator.
func TestCompareWarnsMachineBusy(t *testing.T) {
	a := []*report.Run{fixture.SynthRun(t, fixture.SynthSpec{NoIntervals: true, Seed: 1})}
	b := []*report.Run{fixture.SynthRun(t, fixture.SynthSpec{NoIntervals: true, Seed: 2})}
	b[0].Health.MachineBusy, b[0].Health.Limited = true, true
	c, err := Compare(a, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(c.Warnings, "\n"); !strings.Contains(w, "B run 1") || !strings.Contains(w, "kept the machine busy") {
		t.Errorf("warnings %q", c.Warnings)
	}
	if c.Latency != LatencyInconclusive {
		t.Errorf("latency %v (%s), want inconclusive", c.Latency, c.LatencyWhy)
	}
}
