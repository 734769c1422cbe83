package report

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Defaults of CompareOptions.
const (
	DefaultThreshold     = 0.05  // minimum effect: a 5% change
	DefaultFailThreshold = 0.001 // minimum change of the failure rate: 0.1 percentage point
	DefaultConfidence    = 0.95
	DefaultResamples     = 1000
	DefaultMinTail       = 10
	DefaultSeed          = 0x6d736e62656e6368 // "msnbench": fixed, so a comparison is reproducible
	// DefaultMinBatches is the fewest time batches (groups of a run's
	// consecutive intervals) a single run needs for its interval-to-interval
	// variation to be estimated: fewer say too little about it.
	DefaultMinBatches = 10
	// maxBatches caps the batches of one run: a longer run gets longer
	// batches, which see slower drift, rather than more of them.
	maxBatches = 20
)

// DefaultComparePercentiles are the percentiles Compare judges unless told
// otherwise.
var DefaultComparePercentiles = []float64{50, 90, 99, 99.9}

// CompareOptions tune Compare. The zero value means every default.
type CompareOptions struct {
	// Threshold is the minimum effect, as a fraction (0.05 = 5%): a change
	// smaller than this is never called significant, however certain, because
	// a benchmark cannot promise more. 0 means DefaultThreshold; a negative
	// value means no minimum (only the confidence interval decides).
	Threshold float64
	// FailThreshold is the minimum change of the failure rate (absolute
	// fraction of attempted sessions). 0 means DefaultFailThreshold; negative
	// means none.
	FailThreshold float64
	// Confidence is the family-wise confidence level of the whole
	// comparison: the intervals are Bonferroni-widened over every judged
	// percentile of every phase, so that, when nothing changed, any phase is
	// wrongly called faster or slower with probability at most
	// 1 - Confidence. 0 means DefaultConfidence.
	Confidence float64
	// Resamples is the number of bootstrap replicates (DefaultResamples if
	// 0). Seed seeds them (DefaultSeed if 0), so results are deterministic.
	Resamples int
	Seed      uint64
	// Percentiles to judge, in percent (DefaultComparePercentiles if empty).
	Percentiles []float64
	// MinTail is how many values each side needs beyond a percentile for it
	// to be judged: the bootstrap says little about p99.9 of 2000 values.
	// 0 means DefaultMinTail.
	MinTail int
	// Phases restricts the comparison to these phase names; empty means
	// every phase present in either side.
	Phases []string
	// MinBatches is the fewest time batches a run needs for a comparison
	// of one run per side to estimate its variance from the run's
	// intervals (DefaultMinBatches if 0). See Compare.
	MinBatches int
	// AssumeIndependent restores the old single-run behaviour: the logins
	// of a run are taken as independent (bootstrap of the values only) and
	// a single-run comparison's latency verdicts count for Regressed.
	AssumeIndependent bool
	// AllowLimited lets latency verdicts count although a run was limited
	// by the load generator (Health.Limited); by default such a
	// comparison's latency verdicts are inconclusive.
	AllowLimited bool
	// HeadlineShare is the share of the error rate given to the headline,
	// login p50, when it is judged; the other percentiles share the rest
	// (a weighted Bonferroni correction, still family-wise). 0 splits it
	// evenly over every judged percentile.
	HeadlineShare float64
	// Paired says that run i of A and run i of B were taken side by side
	// (compare --run's interleaved rounds): the variance then comes from
	// the spread of the per-pair differences, which leaves out whatever
	// drift the two runs of a pair shared. It needs the same number of runs
	// (at least two) on both sides.
	Paired bool
}

func (o CompareOptions) withDefaults() CompareOptions {
	if o.Threshold == 0 {
		o.Threshold = DefaultThreshold
	} else if o.Threshold < 0 {
		o.Threshold = 0
	}
	if o.FailThreshold == 0 {
		o.FailThreshold = DefaultFailThreshold
	} else if o.FailThreshold < 0 {
		o.FailThreshold = 0
	}
	if o.Confidence == 0 {
		o.Confidence = DefaultConfidence
	}
	if o.Resamples == 0 {
		o.Resamples = DefaultResamples
	}
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	if len(o.Percentiles) == 0 {
		o.Percentiles = DefaultComparePercentiles
	}
	if o.MinTail == 0 {
		o.MinTail = DefaultMinTail
	}
	if o.MinBatches == 0 {
		o.MinBatches = DefaultMinBatches
	}
	return o
}

func (o CompareOptions) validate() error {
	if o.Confidence <= 0 || o.Confidence >= 1 {
		return fmt.Errorf("compare: confidence %v outside (0, 1)", o.Confidence)
	}
	if o.Resamples < 100 {
		return fmt.Errorf("compare: %d resamples is too few (at least 100)", o.Resamples)
	}
	for _, p := range o.Percentiles {
		if !(p > 0 && p < 100) {
			return fmt.Errorf("compare: percentile %v outside (0, 100)", p)
		}
	}
	if o.MinTail < 1 {
		return fmt.Errorf("compare: min tail %d < 1", o.MinTail)
	}
	if o.HeadlineShare < 0 || o.HeadlineShare >= 1 {
		return fmt.Errorf("compare: headline share %v outside [0, 1)", o.HeadlineShare)
	}
	if o.MinBatches < 2 {
		return fmt.Errorf("compare: min batches %d < 2", o.MinBatches)
	}
	return nil
}

// Verdict is the outcome of comparing one phase, percentile or failure rate.
type Verdict string

// Verdicts.
const (
	NoChange      Verdict = "no significant change"
	Faster        Verdict = "faster"
	Slower        Verdict = "slower"
	Mixed         Verdict = "mixed" // some percentiles faster, others slower
	TooFew        Verdict = "too few values"
	OnlyInA       Verdict = "only in A"
	OnlyInB       Verdict = "only in B"
	MoreFailures  Verdict = "more failures"
	FewerFailures Verdict = "fewer failures"
)

// Comparison is the result of Compare: B against A, per phase and
// percentile, with how it was computed so a reader can judge it.
type Comparison struct {
	A Side `json:"a"`
	B Side `json:"b"`

	Threshold     float64   `json:"threshold"`      // minimum effect (fraction)
	FailThreshold float64   `json:"fail_threshold"` // minimum failure-rate change (fraction of attempts)
	Confidence    float64   `json:"confidence"`     // family-wise over the whole comparison
	Resamples     int       `json:"resamples"`
	Seed          uint64    `json:"seed"`
	Percentiles   []float64 `json:"percentiles"`
	HeadlineShare float64   `json:"headline_share,omitempty"` // of 1 - Confidence, for login p50
	// Design describes how the runs were taken when that matters to the
	// intervals (compare --run's sequential rounds); empty otherwise.
	Design string `json:"design,omitempty"`

	Phases   []PhaseComparison `json:"phases"` // headline (login) first
	Failures FailureChange     `json:"failures"`
	// Deliveries are the notifications lost on each side, per phase
	// (presence): shown, not judged.
	Deliveries []DeliveryChange `json:"deliveries,omitempty"`
	Warnings   []string         `json:"warnings,omitempty"`

	// Latency says whether the latency verdicts count for Regressed:
	// LatencyBinding, LatencyIndicative (the comparison cannot separate
	// run-to-run variation) or LatencyInconclusive (a run was limited by the
	// load generator). LatencyWhy says why when they do not count.
	Latency    string `json:"latency"`
	LatencyWhy string `json:"latency_why,omitempty"`
}

// Values of Comparison.Latency.
const (
	LatencyBinding      = "binding"
	LatencyIndicative   = "indicative"
	LatencyInconclusive = "inconclusive"
)

// Sources of a percentile's variance (PercentileChange.Variance).
const (
	// VarianceRuns: the spread of the percentile between the runs of a
	// side (several runs on at least one side).
	VarianceRuns = "runs"
	// VarianceIntervals: a block bootstrap over each run's time batches
	// (one run per side, each with at least MinBatches intervals).
	VarianceIntervals = "intervals"
	// VarianceValues: a bootstrap of the values, as if every login were
	// independent of the others (AssumeIndependent, or too few intervals).
	VarianceValues = "values"
	// VariancePairs: the differences between paired runs
	// (CompareOptions.Paired): the intersection of Student's t interval
	// on their mean and the sign test's on their median, so that one
	// stalled round cannot widen it (see pairedInterval).
	VariancePairs = "pairs"
)

// Side summarises the runs of one side.
type Side struct {
	Runs      int      `json:"runs"`
	Labels    []string `json:"labels,omitempty"`
	Targets   []string `json:"targets,omitempty"`
	Attempted int64    `json:"attempted"`
	OK        int64    `json:"ok"`
	Failed    int64    `json:"failed"`
	Seconds   float64  `json:"seconds"` // total measured wall time
}

// PhaseComparison is one phase's comparison.
type PhaseComparison struct {
	Phase       string             `json:"phase"`
	CountA      int64              `json:"count_a"`
	CountB      int64              `json:"count_b"`
	Percentiles []PercentileChange `json:"percentiles,omitempty"`
	Verdict     Verdict            `json:"verdict"`
	// BatchesA and BatchesB are the time batches each side's run was cut
	// into for the block bootstrap (0: not used).
	BatchesA int `json:"batches_a,omitempty"`
	BatchesB int `json:"batches_b,omitempty"`

	// histA and histB are the pooled histograms and runsA, runsB each
	// run's (with several runs), kept for the HTML overlay.
	histA, histB string
	runsA, runsB []*cdist
}

// PercentileChange is the change of one percentile of one phase from A to
// B: Change = B/A - 1 and its confidence interval [Low, High] (fractions).
// A and B are the pooled estimates in µs; when a side has several runs,
// SpreadA and SpreadB are the run-to-run coefficient of variation of this
// percentile (0 with one run).
type PercentileChange struct {
	Percentile float64 `json:"percentile"`
	A          int64   `json:"a_us"`
	B          int64   `json:"b_us"`
	Change     float64 `json:"change"`
	Low        float64 `json:"low"`
	High       float64 `json:"high"`
	SpreadA    float64 `json:"spread_a,omitempty"`
	SpreadB    float64 `json:"spread_b,omitempty"`
	Judged     bool    `json:"judged"` // false: too few values beyond the percentile
	Verdict    Verdict `json:"verdict"`
	// Variance says what set the interval's width: VarianceRuns,
	// VarianceIntervals or VarianceValues.
	Variance string `json:"variance"`
	// Indicative: the verdict does not count for Regressed (see
	// Comparison.Latency).
	Indicative bool `json:"indicative,omitempty"`

	se float64 // standard error of log(B/A)
	df float64 // its degrees of freedom (+Inf: from the histograms alone)
	// pairs: log(B_i/A_i) of paired runs, whose interval is pairedInterval;
	// seValues the standard error of the values' bootstrap alone.
	pairs    []float64
	seValues float64
}

// FailureChange compares the share of failed sessions. Low and High bound
// RateB - RateA (Agresti–Caffo interval at the comparison's confidence).
type FailureChange struct {
	RateA   float64 `json:"rate_a"`
	RateB   float64 `json:"rate_b"`
	Diff    float64 `json:"diff"`
	Low     float64 `json:"low"`
	High    float64 `json:"high"`
	Verdict Verdict `json:"verdict"`
}

// Regressed reports whether B is significantly worse than A beyond
// threshold (a fraction; 0.05 = 5%): some judged percentile of some phase is
// slower with its whole confidence interval above zero and a change above
// threshold, or the failure rate rose significantly. CI gates use it for the
// exit code. The failure rate is judged with the comparison's own
// FailThreshold.
func (c *Comparison) Regressed(threshold float64) bool {
	for _, p := range c.Phases {
		for _, q := range p.Percentiles {
			if q.Judged && !q.Indicative && q.Low > 0 && q.Change > threshold {
				return true
			}
		}
	}
	return c.Failures.Verdict == MoreFailures
}

// Compare compares the runs of side B with those of side A.
//
// Each percentile is estimated from the side's pooled histogram; what sets
// its uncertainty (PercentileChange.Variance) depends on the runs:
//
//   - Several runs on a side: the spread of the percentile between the runs
//     of a side (pooled over both sides, as in the two-sample t-test), or the
//     bootstrap variance of the values when larger, with Student's t on the
//     pooled degrees of freedom (runs - 1, summed over both sides), so a
//     spread estimated from three runs widens the interval as it should.
//   - Paired runs (Paired, the same number per side): the B/A ratios of the
//     pairs, with an interval that one extreme pair cannot widen (see
//     pairedInterval), never narrower than the bootstrap of the values.
//   - One run per side, each with at least MinBatches non-empty intervals: a
//     block bootstrap over the run's time batches (see blockSet), or the
//     bootstrap of the values when larger, with Student's t on the batches'
//     Welch–Satterthwaite degrees of freedom. Drift inside a run widens the
//     interval. What differs between two runs (the server's warm-up, the
//     machine's other work) is still not seen, so on real runs such a
//     comparison calls A/A pairs different far more often than 1 -
//     Confidence (docs/benchmarks.md): its latency verdicts are indicative
//     and do not count for Regressed.
//   - One run per side with fewer intervals: the exact bootstrap of the
//     recorded values (see bootQuantile), as if every login were independent;
//     indicative too.
//
// AssumeIndependent forces the old behaviour: the bootstrap of the values,
// and verdicts that count. A run limited by the load generator
// (Health.Limited) makes every latency verdict inconclusive unless
// AllowLimited is set. Failure rates are judged on their own (see
// compareFailures) and always count.
//
// Intervals are normal on the log scale of B/A, Bonferroni-adjusted over the
// whole comparison (see CompareOptions.Confidence). A percentile is faster or
// slower when its interval excludes 0 and its change exceeds the threshold;
// a phase is slower if any of its percentiles is, mixed if some are faster
// and some slower.
func Compare(a, b []*Run, opt CompareOptions) (*Comparison, error) {
	opt = opt.withDefaults()
	if err := opt.validate(); err != nil {
		return nil, err
	}
	if len(a) == 0 || len(b) == 0 {
		return nil, errors.New("compare: each side needs at least one run")
	}
	for i, r := range append(append([]*Run(nil), a...), b...) {
		if r == nil {
			return nil, fmt.Errorf("compare: run %d is nil", i)
		}
	}
	c := &Comparison{
		A: sideOf(a), B: sideOf(b),
		Threshold: opt.Threshold, FailThreshold: opt.FailThreshold, Confidence: opt.Confidence,
		Resamples: opt.Resamples, Seed: opt.Seed, Percentiles: append([]float64(nil), opt.Percentiles...),
		HeadlineShare: opt.HeadlineShare,
	}
	c.Warnings = append(c.Warnings, healthWarnings("A", a)...)
	c.Warnings = append(c.Warnings, healthWarnings("B", b)...)
	c.Warnings = append(c.Warnings, loadWarnings(a, b)...)

	for _, name := range comparePhaseNames(a, b, opt.Phases) {
		pa, err := collectPhase(a, name, opt.MinBatches)
		if err != nil {
			return nil, fmt.Errorf("compare: side A: %w", err)
		}
		pb, err := collectPhase(b, name, opt.MinBatches)
		if err != nil {
			return nil, fmt.Errorf("compare: side B: %w", err)
		}
		if pa == nil && pb == nil {
			continue // present only as empty histograms
		}
		c.Phases = append(c.Phases, comparePhase(name, pa, pb, opt))
	}
	c.judge()
	c.setLatency(a, b, opt)
	if df := minRunDF(c); df > 0 && df < 3 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("the run-to-run spread rests on %d degree(s) of freedom (%d+%d runs): intervals are wide; run at least 3 per side", df, c.A.Runs, c.B.Runs))
	}
	c.Failures = compareFailures(c.A, c.B, opt)
	c.Deliveries = compareDeliveries(a, b)
	return c, nil
}

// minRunDF is the smallest degrees of freedom of a percentile that used the
// run-to-run spread, 0 if none did.
func minRunDF(c *Comparison) int {
	df := 0
	for _, p := range c.Phases {
		for _, q := range p.Percentiles {
			if !math.IsInf(q.df, 1) && (df == 0 || int(q.df) < df) {
				df = int(q.df)
			}
		}
	}
	return df
}

func sideOf(runs []*Run) Side {
	var s Side
	s.Runs = len(runs)
	seenT := map[string]bool{}
	for _, r := range runs {
		if r.Label != "" {
			s.Labels = append(s.Labels, r.Label)
		}
		if t := r.Config.Target; t != "" && !seenT[t] {
			seenT[t] = true
			s.Targets = append(s.Targets, t)
		}
		s.Attempted += r.Counts.Attempted
		s.OK += r.Counts.OK
		s.Failed += r.Counts.Failed
		if !r.Start.IsZero() && r.End.After(r.Start) {
			s.Seconds += r.End.Sub(r.Start).Seconds()
		}
	}
	return s
}

func healthWarnings(side string, runs []*Run) []string {
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
func loadWarnings(a, b []*Run) []string {
	key := func(r *Run) string {
		c := r.Config
		return fmt.Sprintf("%s c=%d rate=%g %s stages=%q steps=%v hold=%v", c.Model, c.Concurrency, c.Rate, c.Arrival,
			c.Stages, c.Steps, time.Duration(c.Hold))
	}
	first := key(a[0])
	for _, r := range append(append([]*Run(nil), a[1:]...), b...) {
		if k := key(r); k != first {
			return []string{fmt.Sprintf("the runs applied different loads (%s: %s; %s: %s): the comparison mixes load with build",
				runName(a[0]), describeLoad(&a[0].Config), runName(r), describeLoad(&r.Config))}
		}
	}
	return nil
}

func runName(r *Run) string {
	if r.Label != "" {
		return r.Label
	}
	if !r.Start.IsZero() {
		return r.Start.UTC().Format("2006-01-02 15:04:05")
	}
	return "unlabelled"
}

// comparePhaseNames lists the phases to compare: login first (the headline),
// then the others in Phase order, then unknown names alphabetically. The
// intended-start phases are left out when every run is closed-model, where
// they equal the actual-start ones and would only repeat them.
func comparePhaseNames(a, b []*Run, only []string) []string {
	seen := map[string]bool{}
	allClosed := true
	for _, rs := range [][]*Run{a, b} {
		for _, r := range rs {
			allClosed = allClosed && r.Config.Model == "closed"
			for _, p := range r.Phases {
				seen[p.Name] = true
			}
		}
	}
	if allClosed && len(only) == 0 {
		delete(seen, LoginIntended.String())
		delete(seen, SessionIntended.String())
	}
	if len(only) == 0 {
		// The generator's own phases say how the load generator kept up,
		// not how the server did: a difference there is no regression of
		// the server. They are compared when asked for by name.
		delete(seen, SchedLag.String())
		delete(seen, ReadLag.String())
	}
	if len(only) > 0 {
		keep := map[string]bool{}
		for _, n := range only {
			keep[n] = true
		}
		for n := range seen {
			if !keep[n] {
				delete(seen, n)
			}
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		ki, kj := phaseSortKey(names[i]), phaseSortKey(names[j])
		if ki != kj {
			return ki < kj
		}
		return names[i] < names[j]
	})
	return names
}

func phaseSortKey(name string) int {
	if name == Login.String() {
		return -1
	}
	if p, ok := ParsePhase(name); ok {
		return int(p)
	}
	return int(NumPhases)
}

// sidePhase is one phase's values on one side: the pooled distribution and
// each run's own.
type sidePhase struct {
	pooled *cdist
	runs   []*cdist
	hist   string    // pooled, encoded (for plots)
	blocks *blockSet // time batches of the only run (nil: several runs, or too few intervals)
	// allRuns: every run has values of this phase, so runs[i] is run i.
	allRuns bool
}

func collectPhase(runs []*Run, name string, minBatches int) (*sidePhase, error) {
	var hs []string
	var last *PhaseResult
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
		h, err := DecodeHist(s)
		if err != nil {
			return nil, fmt.Errorf("phase %s: %w", name, err)
		}
		if h.TotalCount() > 0 {
			sp.runs = append(sp.runs, newCdist(h))
		}
		if pooled == nil {
			pooled = h
		} else if dropped := pooled.Merge(h); dropped != 0 {
			return nil, fmt.Errorf("phase %s: merging runs dropped %d values", name, dropped)
		}
	}
	sp.pooled = newCdist(pooled)
	sp.allRuns = len(sp.runs) == len(runs)
	if len(hs) == 1 {
		sp.hist = hs[0]
	} else if enc, err := EncodeHist(pooled); err == nil {
		sp.hist = enc
	}
	if sp.pooled.n == 0 {
		return nil, nil
	}
	return sp, nil
}

func comparePhase(name string, a, b *sidePhase, opt CompareOptions) PhaseComparison {
	pc := PhaseComparison{Phase: name}
	if a != nil {
		pc.CountA, pc.histA = a.pooled.n, a.hist
		if len(a.runs) > 1 {
			pc.runsA = a.runs
		}
	}
	if b != nil {
		pc.CountB, pc.histB = b.pooled.n, b.hist
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
func isHeadline(phase string, p float64) bool { return phase == Login.String() && p == 50 }

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

// Headline returns login p50's change, or nil when it was not compared.
func (c *Comparison) Headline() *PercentileChange {
	for i := range c.Phases {
		for j := range c.Phases[i].Percentiles {
			if q := &c.Phases[i].Percentiles[j]; isHeadline(c.Phases[i].Phase, q.Percentile) {
				return q
			}
		}
	}
	return nil
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
func comparePercentile(phase string, p float64, a, b *sidePhase, opt CompareOptions) PercentileChange {
	u := p / 100
	ka, kb := quantileRank(u, a.pooled.n), quantileRank(u, b.pooled.n)
	qa, qb := a.pooled.atRank(ka), b.pooled.atRank(kb)
	q := PercentileChange{
		Percentile: p, A: qa, B: qb,
		Change:   math.Exp(logUs(qb)-logUs(qa)) - 1,
		Judged:   tailOK(a.pooled.n, p, opt.MinTail) && tailOK(b.pooled.n, p, opt.MinTail),
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
			d[i] = logUs(b.runs[i].quantile(u)) - logUs(a.runs[i].quantile(u))
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

// setLatency decides whether the latency verdicts count for Regressed: not
// when a run was limited by the load generator (inconclusive), and not when
// some judged percentile rests on one run per side (indicative).
func (c *Comparison) setLatency(a, b []*Run, opt CompareOptions) {
	c.Latency = LatencyBinding
	var limited []string
	if !opt.AllowLimited {
		for _, s := range []struct {
			name string
			runs []*Run
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
func generatorLimited(r *Run) bool { return r.Health.Limited || r.Health.Saturated }

// runsTailOK reports whether every run of s has minTail values beyond the
// p-th percentile.
func runsTailOK(s *sidePhase, p float64, minTail int) bool {
	for _, d := range s.runs {
		if !tailOK(d.n, p, minTail) {
			return false
		}
	}
	return true
}

// bootVar returns the bootstrap variance of log(k-th smallest value) of d,
// using len(reps) replicates stored in reps.
func bootVar(r *rand.Rand, d *cdist, k int64, reps []float64) float64 {
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
		logs[i] = logUs(d.quantile(u))
	}
	_, s2 = meanVar(logs)
	return s2, m - 1, math.Sqrt(math.Exp(s2) - 1)
}

// compareFailures compares failure rates with the Agresti–Caffo interval for
// a difference of proportions (add one success and one failure to each side),
// which keeps its coverage when failures are rare.
func compareFailures(a, b Side, opt CompareOptions) FailureChange {
	var f FailureChange
	if a.Attempted > 0 {
		f.RateA = float64(a.Failed) / float64(a.Attempted)
	}
	if b.Attempted > 0 {
		f.RateB = float64(b.Failed) / float64(b.Attempted)
	}
	f.Diff = f.RateB - f.RateA
	if a.Attempted == 0 || b.Attempted == 0 {
		f.Verdict = TooFew
		return f
	}
	pa := (float64(a.Failed) + 1) / (float64(a.Attempted) + 2)
	pb := (float64(b.Failed) + 1) / (float64(b.Attempted) + 2)
	se := math.Sqrt(pa*(1-pa)/(float64(a.Attempted)+2) + pb*(1-pb)/(float64(b.Attempted)+2))
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
