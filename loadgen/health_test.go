package loadgen

import (
	"strings"
	"testing"

	"github.com/msnbench/msnbench/report"
)

// TestReadLagFlagsGenerator: a run whose replies waited a large share of
// the login time for the generator to read them is marked as limited by
// the generator; a light-load wake-up is not.
func TestReadLagFlagsGenerator(t *testing.T) {
	for _, tc := range []struct {
		name           string
		login, readLag float64 // means, µs
		saturated      bool
	}{
		{"saturated generator", 8520, 4800, true},
		{"light load wake-ups", 15500, 877, false},
		{"large share, tiny lag", 1200, 600, false},
		{"no read.lag (user timestamps)", 8520, 0, false},
	} {
		run := &report.Run{Phases: []report.PhaseResult{{Name: "login", Summary: report.Summary{Count: 10, Mean: tc.login}}}}
		if tc.readLag > 0 {
			run.Phases = append(run.Phases, report.PhaseResult{Name: "read.lag", Summary: report.Summary{Count: 10, Mean: tc.readLag}})
		}
		fillHealth(run, usage{}, usage{}, 4, false, nil)
		warned := strings.Contains(strings.Join(run.Health.Warnings, "\n"), "read.lag")
		if run.Health.Saturated != tc.saturated || warned != tc.saturated {
			t.Errorf("%s: saturated %v, warnings %q; want saturated %v", tc.name, run.Health.Saturated, run.Health.Warnings, tc.saturated)
		}
	}
}
