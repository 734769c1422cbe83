package compare

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/dist"
)

// Defaults of Options.
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

// DefaultPercentiles are the percentiles Compare judges unless told
// otherwise.
var DefaultPercentiles = []float64{50, 90, 99, 99.9}

// Options tune Compare. The zero value means every default.
type Options struct {
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
	// Percentiles to judge, in percent (DefaultPercentiles if empty).
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
	// HeadlineAlpha, when positive, is the two-sided error rate of the
	// headline's paired interval (each of its two halves at half of it),
	// set by a sequential plan from its group-sequential boundary
	// (Sequential.HeadlineAlpha); it replaces HeadlineShare × (1 -
	// Confidence) for a paired headline. The rest keep their shares.
	HeadlineAlpha float64
	// Paired says that run i of A and run i of B were taken side by side
	// (compare --run's interleaved rounds): the variance then comes from
	// the spread of the per-pair differences, which leaves out whatever
	// drift the two runs of a pair shared. It needs the same number of runs
	// (at least two) on both sides.
	Paired bool
}

func (o Options) withDefaults() Options {
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
		o.Percentiles = DefaultPercentiles
	}
	if o.MinTail == 0 {
		o.MinTail = DefaultMinTail
	}
	if o.MinBatches == 0 {
		o.MinBatches = DefaultMinBatches
	}
	return o
}

func (o Options) validate() error {
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
	if o.HeadlineAlpha < 0 || o.HeadlineAlpha >= 1 {
		return fmt.Errorf("compare: headline error rate %v outside [0, 1)", o.HeadlineAlpha)
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
	// HeadlineAlpha is the error rate of login p50's interval when a
	// sequential plan set it from its boundary (Options).
	HeadlineAlpha float64 `json:"headline_alpha,omitempty"`
	// Design describes how the runs were taken when that matters to the
	// intervals (compare --run's sequential rounds); empty otherwise.
	Design string `json:"design,omitempty"`

	Phases   []PhaseComparison `json:"phases"` // headline (login) first
	Failures FailureChange     `json:"failures"`
	// Deliveries are the notifications lost and duplicated on each side,
	// per phase (presence, msg.deliver), judged as the failure rate is.
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
	// (Options.Paired): the intersection of Student's t interval
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
	runsA, runsB []*dist.Dist
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
// threshold, or the failure rate or the share of notifications lost or
// duplicated (Deliveries) rose significantly. CI gates use it for the
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
	for _, d := range c.Deliveries {
		if d.regressed() {
			return true
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
// whole comparison (see Options.Confidence). A percentile is faster or
// slower when its interval excludes 0 and its change exceeds the threshold;
// a phase is slower if any of its percentiles is, mixed if some are faster
// and some slower.
func Compare(a, b []*report.Run, opt Options) (*Comparison, error) {
	opt = opt.withDefaults()
	if err := opt.validate(); err != nil {
		return nil, err
	}
	if len(a) == 0 || len(b) == 0 {
		return nil, errors.New("compare: each side needs at least one run")
	}
	for i, r := range append(append([]*report.Run(nil), a...), b...) {
		if r == nil {
			return nil, fmt.Errorf("compare: run %d is nil", i)
		}
	}
	c := &Comparison{
		A: sideOf(a), B: sideOf(b),
		Threshold: opt.Threshold, FailThreshold: opt.FailThreshold, Confidence: opt.Confidence,
		Resamples: opt.Resamples, Seed: opt.Seed, Percentiles: append([]float64(nil), opt.Percentiles...),
		HeadlineShare: opt.HeadlineShare, HeadlineAlpha: opt.HeadlineAlpha,
	}
	c.Warnings = append(c.Warnings, healthWarnings("A", a)...)
	c.Warnings = append(c.Warnings, healthWarnings("B", b)...)
	c.Warnings = append(c.Warnings, loadWarnings(a, b)...)
	if !opt.Paired {
		c.Warnings = append(c.Warnings, orderWarnings(a, b)...)
	}

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
	c.Deliveries = compareDeliveries(a, b, opt)
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

func sideOf(runs []*report.Run) Side {
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

// comparePhaseNames lists the phases to compare: login first (the headline),
// then the others in Phase order, then unknown names alphabetically. The
// intended-start phases are left out when every run is closed-model, where
// they equal the actual-start ones and would only repeat them.
func comparePhaseNames(a, b []*report.Run, only []string) []string {
	seen := map[string]bool{}
	allClosed := true
	for _, rs := range [][]*report.Run{a, b} {
		for _, r := range rs {
			allClosed = allClosed && r.Config.Model == "closed"
			for _, p := range r.Phases {
				seen[p.Name] = true
			}
		}
	}
	if allClosed && len(only) == 0 {
		delete(seen, report.LoginIntended.String())
		delete(seen, report.SessionIntended.String())
	}
	if len(only) == 0 {
		// The generator's own phases say how the load generator kept up,
		// not how the server did: a difference there is no regression of
		// the server. They are compared when asked for by name.
		delete(seen, report.SchedLag.String())
		delete(seen, report.ReadLag.String())
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
	if name == report.Login.String() {
		return -1
	}
	if p, ok := report.ParsePhase(name); ok {
		return int(p)
	}
	return int(report.NumPhases)
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
