package loadgen

import (
	"strings"
	"testing"
	"time"

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

// TestLightRunNotLimited: a light open-model run (3 % of the CPUs) on a
// machine other work keeps busy starts a few sessions late (sched.lag p99
// 13.8 ms, median 96 µs) and reads replies a few hundred µs late. That is
// the machine's noise, not a limit on the result: no warning. (Figures from
// `msnbench run --target SERVE --rate 100 -d 5s` at load average 17.)
func TestLightRunNotLimited(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	a := usage{wall: t0}
	b := usage{wall: t0.Add(5 * time.Second), user: 130 * time.Millisecond, sys: 190 * time.Millisecond}
	run := &report.Run{Phases: []report.PhaseResult{
		{Name: "login", Summary: report.Summary{Count: 500, Mean: 650}},
		{Name: "sched.lag", Summary: report.Summary{Count: 500, Mean: 300, P50: 96, P99: 13791, Max: 31839}},
		{Name: "read.lag", Summary: report.Summary{Count: 500, Mean: 293}},
	}}
	fillHealth(run, a, b, 8, false, nil)
	if h := run.Health; h.Saturated || h.Limited || len(h.Warnings) > 0 {
		t.Errorf("a light run is flagged: saturated %v, limited %v, warnings %q", h.Saturated, h.Limited, h.Warnings)
	}
}

// TestJudge: the verdicts over the evidence, with figures from the
// calibration runs in docs/benchmarks.md.
func TestJudge(t *testing.T) {
	const ms, us = time.Millisecond, time.Microsecond
	tests := []struct {
		name                   string
		ev                     evidence
		saturated, machineBusy bool
		mention                []string // in the warnings
	}{
		{name: "light, busy machine (p99 68 ms, read.lag 1.9 ms)",
			ev: evidence{cpuUtil: 0.034, cores: 2, schedLagP50: 118 * us, schedLagP99: 68 * ms, readLag: 1900 * us,
				span: 4200 * us, runqKnown: true, runqShare: 0.93, runq: 3500 * ms, others: 0.95}},
		{name: "light beside busy loops, busy machine (read.lag 691 µs, 38 % of the session)",
			ev: evidence{cpuUtil: 0.036, cores: 2, schedLagP50: 122 * us, schedLagP99: 28 * ms, readLag: 691 * us,
				span: 1818 * us, runqKnown: true, runqShare: 0.83, runq: 1801 * ms, others: 0.96}},
		{name: "light beside busy loops, quiet machine (read.lag 333 µs, 41 %)",
			ev: evidence{cpuUtil: 0.047, cores: 2, schedLagP50: 116 * us, schedLagP99: 4 * ms, readLag: 333 * us,
				span: 812 * us, runqKnown: true, runqShare: 0.66, runq: 900 * ms, others: 0.97}},
		{name: "confined with a busy loop, quiet machine, rate 100 (read.lag 1.62 ms, 77 %)",
			ev: evidence{cpuUtil: 0.052, cores: 1, schedLagP50: 86 * us, schedLagP99: 5400 * us, readLag: 1620 * us,
				span: 2104 * us, runqKnown: true, runqShare: 0.87, runq: 1900 * ms, others: 0.49},
			machineBusy: true, mention: []string{"1.62ms per session (77% of the session time)", "49% of the machine's CPU time"}},
		{name: "confined with a busy loop, quiet machine, rate 1000 (read.lag 478 µs, 58 %)",
			ev: evidence{cpuUtil: 0.32, cores: 1, schedLagP50: 78 * us, schedLagP99: 4800 * us, readLag: 478 * us,
				span: 824 * us, runqKnown: true, runqShare: 0.74, runq: 4 * time.Second, others: 0.46},
			machineBusy: true, mention: []string{"478µs per session (58% of the session time)"}},
		{name: "confined, rate 3000: replies are most of the login",
			ev: evidence{cpuUtil: 0.36, cores: 1, schedLagP50: 612 * us, schedLagP99: 5400 * us, readLag: 3775 * us,
				span: 4290 * us, runqKnown: true, runqShare: 0.77, runq: 6200 * ms, others: 0.82},
			machineBusy: true, mention: []string{"3.775ms per session (88% of the session time)", "82% of the machine's CPU time"}},
		{name: "light, quiet machine",
			ev: evidence{cpuUtil: 0.03, cores: 2, schedLagP50: 60 * us, schedLagP99: 400 * us, readLag: 150 * us,
				span: 600 * us, runqKnown: true, runqShare: 0.05, runq: 10 * ms, others: 0.02}},
		{name: "confined with a busy loop, rate 1000",
			ev: evidence{cpuUtil: 0.14, cores: 1, schedLagP50: 27 * ms, schedLagP99: 181 * ms, readLag: 970 * ms,
				span: 720 * ms, runqKnown: true, runqShare: 0.90, runq: 8100 * ms, others: 0.96},
			machineBusy: true, mention: []string{"96% of the machine's CPU time", "90% of the time", "sched.lag p50 27ms", "read.lag", "14% of 1 CPUs"}},
		{name: "confined, only replies wait",
			ev: evidence{cpuUtil: 0.22, cores: 1, schedLagP50: 308 * us, schedLagP99: 31 * ms, readLag: 7100 * us,
				span: 9100 * us, runqKnown: true, runqShare: 0.84, runq: 5700 * ms, others: 0.9},
			machineBusy: true, mention: []string{"7.1ms per session (78% of the session time)"}},
		{name: "embedded on a quiet machine: its own CPU",
			ev: evidence{cpuUtil: 0.95, cores: 2, readLag: 4800 * us, span: 8500 * us, runqKnown: true,
				runqShare: 0.3, runq: 3 * time.Second, others: 0.03, shared: true},
			saturated: true, mention: []string{"95% of the 2 CPUs", "embedded server", "56% of the session time"}},
		{name: "embedded on a busy machine: the others' CPU",
			ev: evidence{cpuUtil: 0.2, cores: 2, readLag: 15 * ms, span: 20 * ms, runqKnown: true,
				runqShare: 0.85, runq: 9600 * ms, others: 0.8, shared: true},
			machineBusy: true, mention: []string{"80% of the machine's CPU time", "85% of the time"}},
		{name: "lag without competition: msnbench itself",
			ev: evidence{cpuUtil: 0.6, cores: 2, schedLagP50: 5 * ms, schedLagP99: 40 * ms, span: 10 * ms,
				runqKnown: true, runqShare: 0.1, runq: 500 * ms, others: 0.1},
			saturated: true, mention: []string{"seldom waited for a CPU", "sched.lag p50 5ms", "60% of 2 CPUs"}},
		{name: "its own threads queue, nobody else runs",
			ev: evidence{cpuUtil: 0.85, cores: 2, readLag: 10 * ms, span: 12 * ms, runqKnown: true,
				runqShare: 0.6, runq: 4 * time.Second, others: 0.05},
			saturated: true, mention: []string{"seldom waited for a CPU (60%"}},
		{name: "steal",
			ev: evidence{cpuUtil: 0.3, cores: 2, readLag: 10 * ms, span: 12 * ms, runqKnown: true,
				runqShare: 0.3, runq: time.Second, others: 0.05, steal: 0.25},
			machineBusy: true, mention: []string{"steal 25.0%"}},
		{name: "busy machine, nothing in the result",
			ev: evidence{cpuUtil: 0.05, cores: 2, readLag: 500 * us, span: 3 * ms, runqKnown: true,
				runqShare: 0.95, runq: 9 * time.Second, others: 0.99, steal: 0.3}},
		{name: "dropped starts",
			ev:        evidence{cpuUtil: 0.1, cores: 2, dropped: 7, peakInflight: 100, runqKnown: true},
			saturated: true, mention: []string{"7 starts were dropped because 100 sessions"}},
		{name: "own CPU and a busy machine",
			ev: evidence{cpuUtil: 0.97, cores: 1, readLag: 30 * ms, span: 40 * ms, runqKnown: true,
				runqShare: 0.7, runq: 5 * time.Second, others: 0.5},
			saturated: true, machineBusy: true, mention: []string{"97% of the 1 CPUs", "other processes used 50% of the machine's CPU time"}},
		{name: "no run-queue figures (not Linux)",
			ev:        evidence{cpuUtil: 0.4, cores: 4, readLag: 4800 * us, span: 8500 * us},
			saturated: true, mention: []string{"not measured on this OS", "40% of 4 CPUs"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := judge(tt.ev)
			all := strings.Join(v.warnings, "\n")
			if v.saturated != tt.saturated || v.machineBusy != tt.machineBusy {
				t.Errorf("saturated %v, machine busy %v; want %v, %v (warnings %q)", v.saturated, v.machineBusy,
					tt.saturated, tt.machineBusy, v.warnings)
			}
			if !tt.saturated && !tt.machineBusy && len(v.warnings) > 0 {
				t.Errorf("warnings without a verdict: %q", v.warnings)
			}
			for _, m := range tt.mention {
				if !strings.Contains(all, m) {
					t.Errorf("warnings do not say %q:\n%s", m, all)
				}
			}
		})
	}
}
