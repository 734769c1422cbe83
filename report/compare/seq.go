package compare

import (
	"fmt"
	"math"
)

// Sequential plans the looks of a comparison that runs rounds until its
// verdict is clear (compare --run with --precision or --max-time): after
// every pair of rounds the rounds so far are compared, and the comparison
// stops when B is significantly slower, when login p50 is known precisely
// enough, or at the last planned look.
//
// Looking again and again at growing data and stopping at the first
// significant result would, with a fixed level per look, raise the false-
// alarm rate far above 1 - Confidence. So the error rate is spent over the
// looks with Lan and DeMets' O'Brien–Fleming-type spending function,
// α(t) = 2 - 2Φ(z(1-α/2)/√t), where t is the share of the planned rounds
// done: early looks get almost nothing (only a huge effect stops them), the
// last look almost all of α. The error rate is split in two:
//
//   - The headline, login p50, gets HeadlineShare of α, spent with
//     group-sequential boundaries (groupSeq): each look's level is chosen
//     from the joint distribution of the looks' statistics, so the levels of
//     correlated looks are not simply added. Its paired interval is the
//     intersection of two intervals (pairedInterval), each with a boundary
//     of its own for half the share, so by the union bound over the two the
//     headline is called different with probability at most its share. This
//     rests on the looks' statistics behaving as a Brownian motion observed
//     at the pairs done, as means and rank statistics of accumulating pairs
//     do (Jennison and Turnbull 2000, ch. 3); TestGroupSeqErrorRate checks
//     the boundaries, and the A/A trials in docs/benchmarks.md the whole.
//   - Every other percentile shares the rest, spent with the union bound:
//     each look's comparison is family-wise at its increment of the
//     spending (Bonferroni inside, as always), and the increments add up to
//     at most the rest, so however the comparison stops, those percentiles
//     are called different with probability at most the rest. This needs
//     only that each look's intervals hold at their level; it is
//     conservative (with fifty looks the last gets a twentieth of the
//     rate as its level; a boundary would give it half), which costs the
//     tails power, not the headline.
//
// Stopping because the interval is narrow enough never raises the error
// rate.
type Sequential struct {
	// Alpha is the error rate of the whole sequential comparison
	// (1 - Confidence).
	Alpha float64
	// MaxPairs is the planned largest number of measured rounds per side
	// (the information at t = 1).
	MaxPairs int
	// Precision, when positive, stops once login p50's interval is at
	// most ±Precision (a fraction).
	Precision float64
	// HeadlineShare is the share of Alpha for login p50, spent with
	// group-sequential boundaries; 0 leaves the headline in the union
	// bound with the rest (as Options.HeadlineShare does).
	HeadlineShare float64

	spent     float64
	looks     int
	headHalf  *groupSeq // one half of the headline's paired interval
	headAlpha float64
}

// obfSpend is the O'Brien–Fleming-type spending function: the error rate
// spent by information fraction t in (0, 1].
func obfSpend(alpha, t float64) float64 {
	if t >= 1 {
		return alpha
	}
	if t <= 0 {
		return 0
	}
	z := zQuantile(1 - alpha/2)
	return math.Erfc(z / math.Sqrt(t) / math.Sqrt2) // 2 - 2Φ(z/√t)
}

// Look returns the confidence level for a look after pairs measured rounds
// per side and records its share as spent; with a HeadlineShare it also
// sets the headline's level for this look (HeadlineAlpha). final is the
// last look (the time limit or MaxPairs reached): it spends everything left.
func (s *Sequential) Look(pairs int, final bool) float64 {
	t := 1.0
	if s.MaxPairs > 0 {
		t = math.Min(1, float64(pairs)/float64(s.MaxPairs))
	}
	if final {
		t = 1
	}
	a := obfSpend(s.Alpha, t) - s.spent
	if a < 0 {
		a = 0
	}
	s.spent += a
	s.looks++
	s.headAlpha = 0
	if s.HeadlineShare > 0 {
		if s.headHalf == nil {
			s.headHalf = &groupSeq{alpha: s.HeadlineShare * s.Alpha / 2, maxInfo: float64(s.MaxPairs)}
		}
		// Both halves see the same information, so one boundary serves
		// both; the interval's level is twice a half's.
		s.headAlpha = 2 * s.headHalf.look(float64(pairs), final)
	}
	// A look that may spend nothing still needs a level below 1; 1e-12 is
	// "only an astronomically clear result".
	return 1 - math.Max(a, 1e-12)
}

// HeadlineAlpha is the error rate of login p50's paired interval at the
// last look (for Options.HeadlineAlpha), 0 without a HeadlineShare.
func (s *Sequential) HeadlineAlpha() float64 { return s.headAlpha }

// Spent is the error rate spent so far; Looks the number of looks.
func (s *Sequential) Spent() float64 { return s.spent }

// Looks is the number of looks so far.
func (s *Sequential) Looks() int { return s.looks }

// Stop says whether a look's comparison ends the rounds: B regressed (some
// latency or failure verdict that counts), or the precision is reached.
func (s *Sequential) Stop(c *Comparison) (bool, string) {
	if c.Regressed(c.Threshold) {
		return true, "B is significantly worse"
	}
	if hw, ok := headlineHalfWidth(c); ok && s.Precision > 0 && hw <= s.Precision {
		return true, fmt.Sprintf("login p50 known to ±%s", fmtChangeAbs(hw))
	}
	return false, ""
}

// MoreRounds estimates how many more rounds per side would bring login
// p50's interval to ±Precision, from its width now after pairs rounds per
// side (the width shrinks as 1/√rounds). 0 when it is already there or
// there is no precision to reach.
func (s *Sequential) MoreRounds(c *Comparison, pairs int) int {
	hw, ok := headlineHalfWidth(c)
	if !ok || s.Precision <= 0 || hw <= s.Precision {
		return 0
	}
	need := math.Ceil(float64(pairs) * (hw / s.Precision) * (hw / s.Precision))
	return int(need) - pairs
}

// headlineHalfWidth is half the width of login p50's interval (fractions).
func headlineHalfWidth(c *Comparison) (float64, bool) {
	q := c.Headline()
	if q == nil || !q.Judged {
		return 0, false
	}
	return (q.High - q.Low) / 2, true
}

// fmtChangeAbs formats a positive fraction as a percentage: 4.2%.
func fmtChangeAbs(f float64) string {
	return fmt.Sprintf("%.1f%%", 100*f)
}
