package report

import (
	"math"
	"sort"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// cdist is a histogram flattened into its non-empty buckets, ascending: the
// form quantile look-ups and resampling need. It is the core of compare's
// bootstrap (bootQuantile draws a rank, atRank maps it to a value) and where
// the HTML report reads its percentiles. vals[i] is the bucket's highest
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
