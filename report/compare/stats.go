package compare

// The statistics behind Compare: an exact, cheap bootstrap of a quantile from
// a histogram, and the critical values used to widen intervals when the
// run-to-run spread is estimated from few runs.

import (
	"math"
	"math/rand/v2"

	"github.com/msnbench/msnbench/report/internal/dist"
	"gonum.org/v1/gonum/stat/distuv"
)

// bootQuantile draws one bootstrap replicate of the p-quantile (u = p/100)
// of a sample whose values are d: the k-th smallest of n values drawn with
// replacement from d, where k = ceil(u·n).
//
// Resampling n values and sorting them would cost O(n) per replicate. It is
// not needed: the k-th order statistic of n independent draws from a
// distribution F is F⁻¹(U₍ₖ₎), where U₍ₖ₎, the k-th smallest of n uniforms, is
// Beta(k, n+1-k) distributed. With F the histogram's empirical distribution
// this is exactly the classic bootstrap of the sample quantile, at the cost of
// one Beta variate (two gamma variates) and one binary search.
func bootQuantile(r *rand.Rand, d *dist.Dist, k int64) int64 {
	u := distuv.Beta{Alpha: float64(k), Beta: float64(d.N() + 1 - k), Src: r}.Rand()
	return d.AtRank(int64(math.Ceil(u * float64(d.N()))))
}

// zQuantile is the standard normal quantile at probability p in (0, 1).
func zQuantile(p float64) float64 {
	return math.Sqrt2 * math.Erfinv(2*p-1)
}

// tQuantile is Student's t quantile at probability p in (0.5, 1) with nu
// degrees of freedom: whole with the runs' pooled spread, fractional with
// the batches' Welch–Satterthwaite approximation (see comparePercentile).
// nu <= 0 gives +Inf (nothing is known about the spread).
func tQuantile(p, nu float64) float64 {
	if nu <= 0 || math.IsNaN(nu) {
		return math.Inf(1)
	}
	if nu < bigDF {
		return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: nu}.Quantile(p)
	}
	// gonum inverts the incomplete beta function, which loses its way for
	// large nu far in the tail (nu = 1e5 at p = 1-1e-7 gives 82 instead of
	// 5.2; Bonferroni over many phases at --confidence 0.9999 asks for such
	// p). There the Cornish–Fisher expansion of t around the normal quantile
	// (Abramowitz and Stegun 26.7.5) is exact to double precision.
	x := zQuantile(p)
	v := 1 / nu
	x2 := x * x
	g1 := (x2 + 1) * x / 4
	g2 := ((5*x2+16)*x2 + 3) * x / 96
	g3 := (((3*x2+19)*x2+17)*x2 - 15) * x / 384
	g4 := ((((79*x2+776)*x2+1482)*x2-1920)*x2 - 945) * x / 92160
	return x + v*(g1+v*(g2+v*(g3+v*g4)))
}

// bigDF is where tQuantile leaves gonum for the expansion around the normal
// quantile; the expansion's first left-out term is below 1e-15 there.
const bigDF = 1e4

// logUs is the natural logarithm of a latency in µs, floored at 1 µs: the
// histograms cannot resolve less, and a ratio needs a positive value.
func logUs(v int64) float64 {
	if v < 1 {
		v = 1
	}
	return math.Log(float64(v))
}

// meanVar returns the mean and the unbiased sample variance of xs.
func meanVar(xs []float64) (mean, variance float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	for _, x := range xs {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(xs)-1)
}
