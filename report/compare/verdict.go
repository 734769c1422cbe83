package compare

// From estimates to verdicts: Bonferroni-adjusted intervals per percentile,
// a verdict per phase, whether the latency verdicts count, and the failure
// rates.

import (
	"fmt"
	"math"
	"strings"

	"github.com/msnbench/msnbench/report"
)

// judge turns every percentile's estimate into an interval and a verdict.
// The intervals are Bonferroni-adjusted over all judged percentiles of all
// phases, so that when nothing changed the whole comparison (and so the exit
// code of a CI gate) is wrongly called faster or slower with probability at
// most 1 - Confidence.
func (c *Comparison) judge() {
	tests := 0
	for _, p := range c.Phases {
		for _, q := range p.Percentiles {
			if q.Judged {
				tests++
			}
		}
	}
	alpha := 1 - c.Confidence
	headAlpha := alpha
	if tests > 1 {
		alpha /= float64(tests)
		headAlpha = alpha
		if c.HeadlineShare > 0 && c.headlineJudged() {
			headAlpha = c.HeadlineShare * (1 - c.Confidence)
			alpha = (1 - c.HeadlineShare) * (1 - c.Confidence) / float64(tests-1)
		}
	}
	for i := range c.Phases {
		p := &c.Phases[i]
		if len(p.Percentiles) == 0 {
			continue // only on one side
		}
		judged, slower, faster := 0, false, false
		for j := range p.Percentiles {
			q := &p.Percentiles[j]
			a := alpha
			if isHeadline(p.Phase, q.Percentile) {
				a = headAlpha
				if c.HeadlineAlpha > 0 && q.pairs != nil {
					a = c.HeadlineAlpha
				}
			}
			crit := zQuantile(1 - a/2)
			if !math.IsInf(q.df, 1) {
				crit = tQuantile(1-a/2, q.df)
			}
			d := logUs(q.B) - logUs(q.A)
			lo, hi := d-crit*q.se, d+crit*q.se
			if q.pairs != nil {
				lo, hi = pairedInterval(q.pairs, d, q.seValues, a)
			}
			// Clamp the log bounds: with one degree of freedom and a strict
			// level the interval is astronomically wide, and +Inf would not
			// survive JSON. e^±30 reads as "anything" all the same.
			lo, hi = math.Max(lo, -30), math.Min(hi, 30)
			q.Low, q.High = math.Exp(lo)-1, math.Exp(hi)-1
			if !q.Judged {
				q.Verdict = TooFew
				continue
			}
			judged++
			switch {
			case q.Low > 0 && q.Change > c.Threshold:
				q.Verdict, slower = Slower, true
			case q.High < 0 && q.Change < -c.Threshold:
				q.Verdict, faster = Faster, true
			default:
				q.Verdict = NoChange
			}
		}
		switch {
		case judged == 0:
			p.Verdict = TooFew
		case slower && faster:
			p.Verdict = Mixed
		case slower:
			p.Verdict = Slower
		case faster:
			p.Verdict = Faster
		default:
			p.Verdict = NoChange
		}
	}
}

// isHeadline reports whether phase and percentile are the headline, login
// p50.
func isHeadline(phase string, p float64) bool { return phase == report.Login.String() && p == 50 }

func (c *Comparison) headlineJudged() bool {
	for _, p := range c.Phases {
		for _, q := range p.Percentiles {
			if isHeadline(p.Phase, q.Percentile) && q.Judged {
				return true
			}
		}
	}
	return false
}

// setLatency decides whether the latency verdicts count for Regressed: not
// when a run was limited by the load generator (inconclusive), and not when
// some judged percentile rests on one run per side (indicative).
func (c *Comparison) setLatency(a, b []*report.Run, opt Options) {
	c.Latency = LatencyBinding
	var limited []string
	if !opt.AllowLimited {
		for _, s := range []struct {
			name string
			runs []*report.Run
		}{{"A", a}, {"B", b}} {
			for i, r := range s.runs {
				if generatorLimited(r) {
					limited = append(limited, fmt.Sprintf("%s run %d", s.name, i+1))
				}
			}
		}
	}
	indicative := false
	for i := range c.Phases {
		for j := range c.Phases[i].Percentiles {
			q := &c.Phases[i].Percentiles[j]
			if len(limited) > 0 {
				q.Indicative = true
			}
			indicative = indicative || q.Indicative && q.Judged
		}
	}
	switch {
	case len(limited) > 0:
		c.Latency = LatencyInconclusive
		c.LatencyWhy = fmt.Sprintf("limited by the load generator (%s): its latencies are no evidence about the server (--allow-limited to judge anyway)",
			strings.Join(limited, ", "))
	case indicative:
		c.Latency = LatencyIndicative
		c.LatencyWhy = "one run per side cannot separate the server's change from run-to-run variation: " +
			"latency changes are indicative; use several runs per side or compare --run (--assume-independent to judge anyway)"
	}
}

// generatorLimited is the hook for the load generator's own warning: a run
// it marks as limited by the generator is no evidence about the server.
// Health.Limited covers both verdicts (msnbench itself the bottleneck, or
// other processes kept the machine busy); Saturated alone is how runs
// built in memory before Limited existed say it.
func generatorLimited(r *report.Run) bool { return r.Health.Limited || r.Health.Saturated }

// compareFailures compares failure rates with the Agresti–Caffo interval for
// a difference of proportions (add one success and one failure to each side),
// which keeps its coverage when failures are rare.
func compareFailures(a, b Side, opt Options) FailureChange {
	return compareRates(a.Failed, a.Attempted, b.Failed, b.Attempted, opt)
}

// compareRates judges the change of a share, failedA of nA against
// failedB of nB: the failure rate, or the notifications lost or duplicated
// (compareDeliveries).
func compareRates(failedA, nA, failedB, nB int64, opt Options) FailureChange {
	var f FailureChange
	if nA > 0 {
		f.RateA = float64(failedA) / float64(nA)
	}
	if nB > 0 {
		f.RateB = float64(failedB) / float64(nB)
	}
	f.Diff = f.RateB - f.RateA
	if nA == 0 || nB == 0 {
		f.Verdict = TooFew
		return f
	}
	pa := (float64(failedA) + 1) / (float64(nA) + 2)
	pb := (float64(failedB) + 1) / (float64(nB) + 2)
	se := math.Sqrt(pa*(1-pa)/(float64(nA)+2) + pb*(1-pb)/(float64(nB)+2))
	z := zQuantile(1 - (1-opt.Confidence)/2)
	f.Low, f.High = pb-pa-z*se, pb-pa+z*se
	switch {
	case f.Low > 0 && f.Diff > opt.FailThreshold:
		f.Verdict = MoreFailures
	case f.High < 0 && f.Diff < -opt.FailThreshold:
		f.Verdict = FewerFailures
	default:
		f.Verdict = NoChange
	}
	return f
}
