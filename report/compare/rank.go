package compare

import (
	"math"
	"slices"
)

// The interval of paired rounds (Options.Paired, compare --run).
//
// The rounds of compare --run are short, and on a shared machine one of them
// now and then stalls: its login p50 is several times the others' (a real
// pair: 565 µs against 10.4 ms), so one pair's log ratio is extreme.
// Student's t on the pairs' mean takes that pair at full weight, moving the
// mean by d/n and the spread by about d/√n: one stall widened login p50's
// interval to ±83 % and ±350 % in real trials (docs/benchmarks.md).
//
// The sign test's interval does not care: its ends are the (c+1)-th
// smallest and largest pair differences, so an extreme pair moves each end
// by one rank, not by its size. (Wilcoxon's signed-rank interval, the
// first candidate, is robust only where its critical value c is large: its
// ends are the (c+1)-th smallest and largest of the n(n+1)/2 Walsh
// averages, and one extreme pair makes n of them extreme, so with few pairs
// at the levels of a sequential look, where c < n, one stall still drags an
// end; on synthetic trials of 15 pairs with one stall it found +10 % in
// 66-71 % of sequential trials, the sign test in 85 %, t alone in 46 %.)
//
// The sign interval is coarse: with n pairs the smallest two-sided level it
// reaches is 2^(1-n), and the early looks of the sequential design run
// below that (only a huge effect may stop them); without a stall t is
// sharper, and with many pairs the signed-rank interval is (the sign test
// wastes the sizes of the differences). So a paired percentile's interval is
// the intersection of t and a rank interval, each at half the level: the
// signed-rank interval when its critical value c is at least 2n (then the
// 2n Walsh averages that even two extreme pairs make extreme lie beyond its
// ends: from about 26 pairs at a final look's level), else the sign
// interval.
// The choice depends on n and the level only, never on the data, so
// whichever it is holds at its level. The true change lies outside the
// intersection only if it lies outside one of the two, which has
// probability at most α/2 + α/2 = α, whatever their dependence. That is the
// union bound again, as between the looks (Sequential): every look's
// comparison keeps its level, so the guarantee of the whole sequential
// comparison holds however it stops. Neither half leans on the other: the
// sign interval is exact for any continuous distribution of the pair
// differences (it covers their median), the signed-rank one for any that is
// symmetric about the change (A/A pairs are: the rounds of a pair alternate
// their order, A B then B A, and a stall is as likely to hit either side);
// t is valid for normal differences and conservative for symmetric
// heavy-tailed ones. On synthetic sequential trials (pair spread 13 %, as
// measured on real 3-s rounds) it costs next to nothing without stalls and keeps
// much of the power with them: +10 % within 45 pairs found in 93 % without
// a stall, 86 % with one and 75 % with three (the sign interval alone: 70 %
// and 55 %); A/A 0-1 %.

// signCritical returns the largest c with P(X ≤ c) ≤ tail for X binomial(n,
// 1/2), or -1 when even P(X = 0) = 2^-n is above tail.
func signCritical(n int, tail float64) int {
	cum, term := 0.0, math.Ldexp(1, -n) // P(X = 0)
	if term == 0 {
		// 2^-n underflows past about 1074 pairs: work in logs.
		lt := -float64(n) * math.Ln2
		for k := 0; k <= n; k++ {
			cum += math.Exp(lt)
			if cum > tail*(1+1e-12) {
				return k - 1
			}
			lt += math.Log(float64(n-k)) - math.Log(float64(k+1))
		}
		return n
	}
	for k := 0; k <= n; k++ {
		cum += term
		if cum > tail*(1+1e-12) {
			return k - 1
		}
		term *= float64(n-k) / float64(k+1)
	}
	return n
}

// signInterval is the sign test's confidence interval for the median of d
// at level 1-alpha (two-sided): [d(c+1), d(n-c)] of the sorted d for the
// critical value c of signCritical at alpha/2, which covers the median with
// probability 1 - 2P(X ≤ c) ≥ 1 - alpha. It is (-Inf, +Inf) when n pairs
// cannot reach the level.
func signInterval(d []float64, alpha float64) (lo, hi float64) {
	n := len(d)
	c := signCritical(n, alpha/2)
	if c < 0 || c > n-1-c {
		return math.Inf(-1), math.Inf(1)
	}
	x := slices.Clone(d)
	slices.Sort(x)
	return x[c], x[n-1-c]
}

// pairedInterval is the interval on log(B/A) of a paired percentile at
// level 1-alpha: the intersection of Student's t on the pairs' mean and a
// rank interval (signed-rank or sign, by n and alpha), each at alpha/2 (see
// above), never narrower than the sampling noise of the pooled estimate d
// (standard error seValues), whose own interval it always contains.
// Widening keeps the level.
func pairedInterval(pairs []float64, d, seValues, alpha float64) (lo, hi float64) {
	n := len(pairs)
	mean, s2 := meanVar(pairs)
	crit := tQuantile(1-alpha/4, float64(n-1))
	half := crit * math.Sqrt(s2/float64(n))
	var sLo, sHi float64
	if signedRankCritical(n, alpha/4) >= 2*n {
		sLo, sHi = signedRankInterval(pairs, alpha/2)
	} else {
		sLo, sHi = signInterval(pairs, alpha/2)
	}
	lo, hi = math.Max(mean-half, sLo), math.Min(mean+half, sHi)
	z := zQuantile(1 - alpha/2)
	return math.Min(lo, d-z*seValues), math.Max(hi, d+z*seValues)
}

// rankMaxExact is the most pairs for which the signed-rank distribution is
// counted exactly (about n³/2 additions); above it, the normal
// approximation with a continuity correction, accurate there.
const rankMaxExact = 200

// signedRankCritical returns the largest c with P(T ≤ c) ≤ tail, where T is
// Wilcoxon's signed-rank statistic of n pairs with no change, or -1 when even
// P(T = 0) = 2^-n is above tail.
func signedRankCritical(n int, tail float64) int {
	m := n * (n + 1) / 2
	if n > rankMaxExact {
		sd := math.Sqrt(float64(n) * float64(n+1) * float64(2*n+1) / 24)
		return max(int(math.Floor(float64(m)/2-zQuantile(1-tail)*sd-0.5)), -1)
	}
	// count[s]: the subsets of the ranks 1..n whose sum is s.
	count := make([]float64, m+1)
	count[0] = 1
	top := 0
	for r := 1; r <= n; r++ {
		top += r
		for s := top; s >= r; s-- {
			count[s] += count[s-r]
		}
	}
	cum := 0.0
	for c := 0; c <= m; c++ {
		cum += math.Ldexp(count[c], -n)
		if cum > tail*(1+1e-12) {
			return c - 1
		}
	}
	return m
}

// signedRankInterval is the Wilcoxon signed-rank confidence interval at
// level 1-alpha (two-sided) for the center of symmetry of d: with W the
// n(n+1)/2 sorted Walsh averages (d_i + d_j)/2, i ≤ j, it is [W(c+1),
// W(m-c)] for the critical value c at alpha/2, which covers with
// probability 1 - 2P(T ≤ c) ≥ 1 - alpha; (-Inf, +Inf) when n pairs cannot
// reach the level.
func signedRankInterval(d []float64, alpha float64) (lo, hi float64) {
	n := len(d)
	c := signedRankCritical(n, alpha/2)
	if c < 0 {
		return math.Inf(-1), math.Inf(1)
	}
	w := make([]float64, 0, n*(n+1)/2)
	for i := range d {
		for j := i; j < n; j++ {
			w = append(w, (d[i]+d[j])/2)
		}
	}
	slices.Sort(w)
	return w[c], w[len(w)-1-c]
}
