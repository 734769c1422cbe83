package compare

import (
	"fmt"
	"time"

	"github.com/msnbench/msnbench/report"
)

// The warnings a comparison carries about its runs (Comparison.Warnings):
// their health, the load they applied, and the order they were taken in.

// healthWarnings names the runs the load generator's health verdicts mark:
// saturated, or kept from the CPU by other processes.
func healthWarnings(side string, runs []*report.Run) []string {
	var w []string
	for i, r := range runs {
		switch h := &r.Health; {
		case h.Saturated:
			w = append(w, fmt.Sprintf("%s run %d (%s): the load generator was saturated; its latencies may be the generator's", side, i+1, runName(r)))
		case h.MachineBusy || h.Limited:
			w = append(w, fmt.Sprintf("%s run %d (%s): other processes kept the machine busy; its latencies may show msnbench waiting for a CPU", side, i+1, runName(r)))
		}
	}
	return w
}

// loadWarnings says when the runs did not apply the same load: latency
// under 50 sessions says little about latency under 500.
func loadWarnings(a, b []*report.Run) []string {
	key := func(r *report.Run) string {
		c := r.Config
		return fmt.Sprintf("%s c=%d rate=%g %s stages=%q steps=%v hold=%v", c.Model, c.Concurrency, c.Rate, c.Arrival,
			c.Stages, c.Steps, time.Duration(c.Hold))
	}
	first := key(a[0])
	for _, r := range append(append([]*report.Run(nil), a[1:]...), b...) {
		if k := key(r); k != first {
			return []string{fmt.Sprintf("the runs applied different loads (%s: %s; %s: %s): the comparison mixes load with build",
				runName(a[0]), a[0].Config.DescribeLoad(), runName(r), r.Config.DescribeLoad())}
		}
	}
	return nil
}

// orderWarnings says when several runs a side were taken in two blocks, one
// side's all before the other's: their spread then holds what varies from
// run to run but not what changed on the machine between the blocks, which
// reads as a change of the server. On this project's shared machines that
// was one false alarm in 60 A/A comparisons of 3 + 3 runs
// (docs/benchmarks.md, fifth series): the three runs of one block met a
// busier stretch of the machine.
func orderWarnings(a, b []*report.Run) []string {
	if len(a) < 2 || len(b) < 2 {
		return nil
	}
	span := func(runs []*report.Run) (first, last time.Time, ok bool) {
		for _, r := range runs {
			if r.Start.IsZero() || r.End.IsZero() {
				return first, last, false
			}
			if first.IsZero() || r.Start.Before(first) {
				first = r.Start
			}
			if r.End.After(last) {
				last = r.End
			}
		}
		return first, last, true
	}
	fa, la, okA := span(a)
	fb, lb, okB := span(b)
	if !okA || !okB {
		return nil
	}
	first, second, nf, ns := "A", "B", len(a), len(b)
	switch {
	case !la.After(fb):
	case !lb.After(fa):
		first, second, nf, ns = "B", "A", len(b), len(a)
	default:
		return nil
	}
	return []string{fmt.Sprintf("%s's %d runs all ran before %s's %d: a change of the machine between the two blocks is "+
		"not in the intervals and reads as a change of the server; take the runs alternately (A B A B ...) or use compare --run",
		first, nf, second, ns)}
}

func runName(r *report.Run) string {
	if r.Label != "" {
		return r.Label
	}
	if !r.Start.IsZero() {
		return r.Start.UTC().Format("2006-01-02 15:04:05")
	}
	return "unlabelled"
}
