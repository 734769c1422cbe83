package report

// The statistics behind Compare: an exact, cheap bootstrap of a quantile from
// a histogram, and the critical values used to widen intervals when the
// run-to-run spread is estimated from few runs.

import (
	"math"
	"math/rand/v2"
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
// two gamma variates and one binary search.
func bootQuantile(r *rand.Rand, d *cdist, k int64) int64 {
	x := gammaRand(r, float64(k))
	y := gammaRand(r, float64(d.n+1-k))
	u := x / (x + y)
	return d.atRank(int64(math.Ceil(u * float64(d.n))))
}

// gammaRand draws from Gamma(a, 1), a >= 1, with Marsaglia and Tsang's
// method ("A simple method for generating gamma variables", 2000).
func gammaRand(r *rand.Rand, a float64) float64 {
	d := a - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x {
			return d * v
		}
		if math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// zQuantile is the standard normal quantile at probability p in (0, 1).
func zQuantile(p float64) float64 {
	return math.Sqrt2 * math.Erfinv(2*p-1)
}

// tQuantile is Student's t quantile at probability p in (0.5, 1) with nu
// (possibly fractional, from Welch–Satterthwaite) degrees of freedom, found
// by bisection on the CDF.
func tQuantile(p, nu float64) float64 {
	if nu <= 0 || math.IsNaN(nu) {
		return math.Inf(1)
	}
	if math.IsInf(nu, 1) || nu > 1e7 {
		return zQuantile(p)
	}
	lo, hi := 0.0, 1.0
	for tCDF(hi, nu) < p {
		hi *= 2
		if hi > 1e12 {
			return math.Inf(1)
		}
	}
	for i := 0; i < 200 && hi-lo > 1e-10*hi; i++ {
		mid := (lo + hi) / 2
		if tCDF(mid, nu) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// tCDF is Student's t distribution function at x >= 0.
func tCDF(x, nu float64) float64 {
	return 1 - 0.5*regIncBeta(nu/2, 0.5, nu/(nu+x*x))
}

// regIncBeta is the regularized incomplete beta function I_x(a, b), by the
// continued fraction of Numerical Recipes §6.4 (modified Lentz).
func regIncBeta(a, b, x float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x >= 1:
		return 1
	}
	la, _ := math.Lgamma(a + b)
	lb, _ := math.Lgamma(a)
	lc, _ := math.Lgamma(b)
	front := math.Exp(la - lb - lc + a*math.Log(x) + b*math.Log(1-x))
	if x < (a+1)/(a+b+2) {
		return front * betaCF(a, b, x) / a
	}
	return 1 - front*betaCF(b, a, 1-x)/b
}

func betaCF(a, b, x float64) float64 {
	const tiny = 1e-300
	qab, qap, qam := a+b, a+1, a-1
	c, d := 1.0, 1-qab*x/qap
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	h := d
	for m := 1; m <= 300; m++ {
		fm := float64(m)
		aa := fm * (b - fm) * x / ((qam + 2*fm) * (a + 2*fm))
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		h *= d * c
		aa = -(a + fm) * (qab + fm) * x / ((a + 2*fm) * (qap + 2*fm))
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < 3e-14 {
			break
		}
	}
	return h
}

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
