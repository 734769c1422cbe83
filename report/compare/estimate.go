package compare

// One percentile of one phase, estimated on both sides: the pooled value,
// and what sets its uncertainty (the bootstrap of the values, the spread
// between runs, or the time batches of one run).

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/dist"
)

// sidePhase is one phase's values on one side: the pooled distribution and
// each run's own.
type sidePhase struct {
	pooled *dist.Dist
	runs   []*dist.Dist
	hist   string    // pooled, encoded (for plots)
	blocks *blockSet // time batches of the only run (nil: several runs, or too few intervals)
	// allRuns: every run has values of this phase, so runs[i] is run i.
	allRuns bool
}

func collectPhase(runs []*report.Run, name string, minBatches int) (*sidePhase, error) {
	var hs []string
	var last *report.PhaseResult
	for _, r := range runs {
		for i := range r.Phases {
			if r.Phases[i].Name == name && r.Phases[i].Hist != "" {
				hs = append(hs, r.Phases[i].Hist)
				last = &r.Phases[i]
			}
		}
	}
	if len(hs) == 0 {
		return nil, nil
	}
	sp := &sidePhase{}
	if len(hs) == 1 {
		bs, err := newBlockSet(last, minBatches)
		if err != nil {
			return nil, err
		}
		sp.blocks = bs
	}
	var pooled *hdrhistogram.Histogram
	for _, s := range hs {
		h, err := report.DecodeHist(s)
		if err != nil {
			return nil, fmt.Errorf("phase %s: %w", name, err)
		}
		if h.TotalCount() > 0 {
			sp.runs = append(sp.runs, dist.New(h))
		}
		if pooled == nil {
			pooled = h
		} else if dropped := pooled.Merge(h); dropped != 0 {
			return nil, fmt.Errorf("phase %s: merging runs dropped %d values", name, dropped)
		}
	}
	sp.pooled = dist.New(pooled)
	sp.allRuns = len(sp.runs) == len(runs)
	if len(hs) == 1 {
		sp.hist = hs[0]
	} else if enc, err := report.EncodeHist(pooled); err == nil {
		sp.hist = enc
	}
	if sp.pooled.N() == 0 {
		return nil, nil
	}
	return sp, nil
}

func comparePhase(name string, a, b *sidePhase, opt Options) PhaseComparison {
	pc := PhaseComparison{Phase: name}
	if a != nil {
		pc.CountA, pc.histA = a.pooled.N(), a.hist
		if len(a.runs) > 1 {
			pc.runsA = a.runs
		}
	}
	if b != nil {
		pc.CountB, pc.histB = b.pooled.N(), b.hist
		if len(b.runs) > 1 {
			pc.runsB = b.runs
		}
	}
	switch {
	case a == nil:
		pc.Verdict = OnlyInB
		return pc
	case b == nil:
		pc.Verdict = OnlyInA
		return pc
	}
	for _, p := range opt.Percentiles {
		pc.Percentiles = append(pc.Percentiles, comparePercentile(name, p, a, b, opt))
	}
	if len(pc.Percentiles) > 0 && pc.Percentiles[0].Variance == VarianceIntervals {
		pc.BatchesA, pc.BatchesB = a.blocks.batches(), b.blocks.batches()
	}
	return pc
}

func tailOK(n int64, p float64, minTail int) bool {
	// The tolerance keeps 100·(1-0.9) = 9.999… from failing a tail of 10.
	return float64(n)*(1-p/100) >= float64(minTail)-1e-6
}

// comparePercentile estimates one percentile on both sides, the log of
// their ratio and its standard error: sampling noise from the bootstrap of
// each side's pooled histogram, plus the run-to-run spread when a side has
// several runs. df is the degrees of freedom of that standard error: +Inf
// when it rests on the histograms alone, pairs - 1 for paired runs, the
// pooled runs - 1 of both sides for the run-to-run spread, and the
// Welch–Satterthwaite approximation for the time batches of one run a side.
func comparePercentile(phase string, p float64, a, b *sidePhase, opt Options) PercentileChange {
	u := p / 100
	ka, kb := dist.QuantileRank(u, a.pooled.N()), dist.QuantileRank(u, b.pooled.N())
	qa, qb := a.pooled.AtRank(ka), b.pooled.AtRank(kb)
	q := PercentileChange{
		Percentile: p, A: qa, B: qb,
		Change:   math.Exp(logUs(qb)-logUs(qa)) - 1,
		Judged:   tailOK(a.pooled.N(), p, opt.MinTail) && tailOK(b.pooled.N(), p, opt.MinTail),
		Variance: VarianceValues,
		df:       math.Inf(1),
	}

	// One generator per phase and percentile, seeded from their names, so a
	// result does not depend on which other phases were compared.
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%g", phase, p)
	r := rand.New(rand.NewPCG(opt.Seed, h.Sum64()))

	reps := make([]float64, opt.Resamples)
	varA := bootVar(r, a.pooled, ka, reps)
	varB := bootVar(r, b.pooled, kb, reps)

	q.se = math.Sqrt(varA + varB)

	// Run-to-run spread: the variance of log(quantile) between the runs of a
	// side, pooled over both sides as in the two-sample t-test. It contains
	// the sampling noise of each run as well as whatever differs between
	// runs, so it replaces the bootstrap's variance when it is larger; the
	// interval then uses Student's t with the pooled degrees of freedom,
	// because three runs say little about a spread. Pooled, not Welch: a
	// side may have a single run and so no spread of its own (2+1 runs
	// borrows A's), and under the hypothesis being tested (B behaves as A)
	// both sides' spreads are the same, which is what pooling assumes.
	s2A, dfA, cvA := runSpread(a, u)
	s2B, dfB, cvB := runSpread(b, u)
	q.SpreadA, q.SpreadB = cvA, cvB
	// A spread between runs is a spread of each run's own percentile: it
	// needs as many values beyond the percentile in every run as the pooled
	// estimate needs in all. A p99 of 600 values rests on 6; one stall in
	// one round moves it several-fold, and the t interval of such a spread
	// says nothing (on real interleaved rounds it called tails of A/A pairs
	// faster in 3 of 10 trials).
	several := len(a.runs) > 1 || len(b.runs) > 1
	if several && !(runsTailOK(a, p, opt.MinTail) && runsTailOK(b, p, opt.MinTail)) {
		q.Judged = false
	}
	if opt.Paired && len(a.runs) == len(b.runs) && len(a.runs) >= 2 && a.allRuns && b.allRuns {
		// Paired runs: the variance of the mean of log(B_i/A_i).
		n := len(a.runs)
		d := make([]float64, n)
		for i := range d {
			d[i] = logUs(b.runs[i].Quantile(u)) - logUs(a.runs[i].Quantile(u))
		}
		_, s2 := meanVar(d)
		q.se = math.Sqrt(math.Max(s2/float64(n), varA+varB))
		q.df = float64(n - 1)
		q.Variance = VariancePairs
		// judge's interval: t and the sign test, robust to a stalled
		// round (pairedInterval).
		q.pairs, q.seValues = d, math.Sqrt(varA+varB)
		return q
	}
	if df := dfA + dfB; df > 0 {
		s2 := (s2A*float64(dfA) + s2B*float64(dfB)) / float64(df)
		runVar := s2 * (1/float64(len(a.runs)) + 1/float64(len(b.runs)))
		q.se = math.Sqrt(math.Max(runVar, varA+varB))
		q.df = float64(df)
		q.Variance = VarianceRuns
		return q
	}
	if opt.AssumeIndependent || a.blocks == nil || b.blocks == nil {
		q.Indicative = !opt.AssumeIndependent
		return q
	}
	// One run per side, each cut into time batches: a block bootstrap of
	// each, never narrower than the bootstrap of its values, with the
	// Welch–Satterthwaite degrees of freedom of the sum.
	bA := math.Max(a.blocks.blockVar(r, u, reps), varA)
	bB := math.Max(b.blocks.blockVar(r, u, reps), varB)
	q.se = math.Sqrt(bA + bB)
	q.df = welchDF(bA, float64(a.blocks.batches()-1), bB, float64(b.blocks.batches()-1))
	q.Variance = VarianceIntervals
	q.Indicative = true
	return q
}

// welchDF is the Welch–Satterthwaite degrees of freedom of a sum of two
// variance estimates with df1 and df2 degrees of freedom.
func welchDF(v1, df1, v2, df2 float64) float64 {
	num := (v1 + v2) * (v1 + v2)
	den := v1*v1/df1 + v2*v2/df2
	if den == 0 {
		return df1 + df2
	}
	return num / den
}

// runsTailOK reports whether every run of s has minTail values beyond the
// p-th percentile.
func runsTailOK(s *sidePhase, p float64, minTail int) bool {
	for _, d := range s.runs {
		if !tailOK(d.N(), p, minTail) {
			return false
		}
	}
	return true
}

// bootVar returns the bootstrap variance of log(k-th smallest value) of d,
// using len(reps) replicates stored in reps.
func bootVar(r *rand.Rand, d *dist.Dist, k int64, reps []float64) float64 {
	for i := range reps {
		reps[i] = logUs(bootQuantile(r, d, k))
	}
	_, v := meanVar(reps)
	return v
}

// runSpread returns the sample variance of log(quantile u) over one side's
// runs, its degrees of freedom (runs - 1; 0 with one run) and the
// coefficient of variation of the runs' quantiles for display.
func runSpread(s *sidePhase, u float64) (s2 float64, df int, cv float64) {
	m := len(s.runs)
	if m < 2 {
		return 0, 0, 0
	}
	logs := make([]float64, m)
	for i, d := range s.runs {
		logs[i] = logUs(d.Quantile(u))
	}
	_, s2 = meanVar(logs)
	return s2, m - 1, math.Sqrt(math.Exp(s2) - 1)
}
