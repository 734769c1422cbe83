package report

// Histogram helpers for the HTML writer and compare, on top of hist.go:
// a flattened cumulative form for quantile look-ups and resampling, merging,
// and latency formatting for plots.

import (
	"math"
	"sort"
	"strconv"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// vizDecodeHist decodes one PhaseResult.Hist or Interval.Hist string,
// refusing other geometries (see DecodeHist).
func vizDecodeHist(s string) (*hdrhistogram.Histogram, error) { return DecodeHist(s) }

// cdist is a histogram flattened into its non-empty buckets, ascending: the
// form quantile look-ups and resampling need. vals[i] is the bucket's highest
// equivalent value (what HdrHistogram reports as a percentile's value), cum[i]
// the number of values at or below it.
type cdist struct {
	vals []int64
	cum  []int64
	n    int64
}

// newCdist flattens h.
func newCdist(h *hdrhistogram.Histogram) *cdist {
	d := &cdist{}
	var c int64
	for _, b := range h.Distribution() {
		if b.Count <= 0 {
			continue
		}
		c += b.Count
		d.vals = append(d.vals, b.To)
		d.cum = append(d.cum, c)
	}
	d.n = c
	return d
}

// atRank returns the value of the k-th smallest recorded value (1-based),
// clamped to [1, n].
func (d *cdist) atRank(k int64) int64 {
	if d.n == 0 {
		return 0
	}
	if k < 1 {
		k = 1
	}
	if k > d.n {
		k = d.n
	}
	i := sort.Search(len(d.cum), func(i int) bool { return d.cum[i] >= k })
	return d.vals[i]
}

// quantile returns the value at fraction u in [0, 1] of the distribution,
// with HdrHistogram's rank rule: the smallest value with at least
// ceil(u·n) values at or below it.
func (d *cdist) quantile(u float64) int64 {
	return d.atRank(quantileRank(u, d.n))
}

// quantileRank is ceil(u·n), at least 1. The small tolerance keeps
// 0.99·100 from becoming 100 through floating-point error.
func quantileRank(u float64, n int64) int64 {
	k := int64(math.Ceil(u*float64(n) - 1e-9))
	if k < 1 {
		k = 1
	}
	if k > n {
		k = n
	}
	return k
}

// vizFmtUs formats a latency in µs with three significant digits and a unit
// a reader takes in at a glance: 812µs, 1.23ms, 45.6ms, 1.23s.
func vizFmtUs(us float64) string {
	// Round first, so 999.7µs becomes 1.00ms rather than "1000µs".
	if us >= 999.5 && us < 1000 {
		us = 1000
	} else if us >= 999_500 && us < 1e6 {
		us = 1e6
	}
	switch {
	case us < 10 && us != math.Trunc(us):
		return trimFloat(us, 2) + "µs"
	case us < 1000:
		// The histograms resolve 1µs: "84µs", not "84.0µs".
		return strconv.FormatFloat(math.Round(us), 'f', -1, 64) + "µs"
	case us < 1e6:
		return trimFloat(us/1e3, 3) + "ms"
	default:
		return trimFloat(us/1e6, 3) + "s"
	}
}

// trimFloat formats v with sig significant digits (at least the integer
// part), without an exponent.
func trimFloat(v float64, sig int) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	// Round to sig digits first, so 9.9996 becomes 10.0, not 10.00.
	mag := math.Floor(math.Log10(math.Abs(v)))
	scale := math.Pow(10, mag-float64(sig)+1)
	v = math.Round(v/scale) * scale
	digits := int(math.Floor(math.Log10(math.Abs(v)))) + 1
	dec := sig - digits
	if dec < 0 {
		dec = 0
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}
