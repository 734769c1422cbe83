package compare

// Within-run variance for comparisons of one run per side: a block bootstrap
// over the run's time batches.
//
// A bootstrap of a run's values treats its logins as independent. They are
// not: the server warms up, the machine's other work comes and goes, and
// latency drifts within a run. The run's per-interval histograms keep the
// order in time, so the variance can be estimated from whole stretches of
// the run instead: its intervals are grouped into time batches, and each
// replicate draws batches with replacement and takes the percentile of the
// values of the drawn batches (Carlstein's non-overlapping block bootstrap).
// Drift inside the run makes the batches differ and widens the interval; the
// few batches are accounted for by Student's t with batches - 1 degrees of
// freedom.

import (
	"fmt"
	"math/rand/v2"
	"sort"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/dist"
)

// blockSet is one run's values of one phase in time batches, laid out for
// fast resampling: cum[b][i] is how many values of batch b are at or below
// grid[i], where grid holds every value of any batch, ascending.
type blockSet struct {
	grid []int64
	cum  [][]int64
	n    []int64 // values per batch
}

// batches returns how many time batches the set has (0 for none).
func (bs *blockSet) batches() int {
	if bs == nil {
		return 0
	}
	return len(bs.n)
}

// newBlockSet groups the non-empty intervals of p into min(intervals,
// maxBatches) batches of consecutive intervals. It returns nil when p has
// fewer than minBatches non-empty intervals.
func newBlockSet(p *report.PhaseResult, minBatches int) (*blockSet, error) {
	ivs := append([]report.Interval(nil), p.Intervals...)
	sort.SliceStable(ivs, func(i, j int) bool { return ivs[i].Start < ivs[j].Start })
	var hs []*hdrhistogram.Histogram
	for _, iv := range ivs {
		if iv.Hist == "" {
			continue
		}
		h, err := report.DecodeHist(iv.Hist)
		if err != nil {
			return nil, fmt.Errorf("phase %s interval at %gs: %w", p.Name, iv.Start, err)
		}
		if h.TotalCount() > 0 {
			hs = append(hs, h)
		}
	}
	if len(hs) < minBatches {
		return nil, nil
	}
	nb := min(len(hs), maxBatches)
	merged := make([]*hdrhistogram.Histogram, nb)
	for i, h := range hs {
		b := i * nb / len(hs)
		if merged[b] == nil {
			merged[b] = h
		} else if dropped := merged[b].Merge(h); dropped != 0 {
			return nil, fmt.Errorf("phase %s: merging intervals dropped %d values", p.Name, dropped)
		}
	}
	ds := make([]*dist.Dist, nb)
	seen := map[int64]bool{}
	bs := &blockSet{n: make([]int64, nb), cum: make([][]int64, nb)}
	for b, h := range merged {
		ds[b] = dist.New(h)
		bs.n[b] = ds[b].N()
		for _, v := range ds[b].Vals() {
			if !seen[v] {
				seen[v] = true
				bs.grid = append(bs.grid, v)
			}
		}
	}
	sort.Slice(bs.grid, func(i, j int) bool { return bs.grid[i] < bs.grid[j] })
	for b, d := range ds {
		c := make([]int64, len(bs.grid))
		j := 0
		var run int64
		for i, v := range bs.grid {
			for j < len(d.Vals()) && d.Vals()[j] <= v {
				run = d.Cum()[j]
				j++
			}
			c[i] = run
		}
		bs.cum[b] = c
	}
	return bs, nil
}

// bootQuantile draws one block-bootstrap replicate of the u-quantile: as many
// batches as the run has, drawn with replacement, and the quantile of their
// values together. w is scratch space of len(bs.n).
func (bs *blockSet) bootQuantile(r *rand.Rand, u float64, w []int64) int64 {
	nb := len(bs.n)
	clear(w)
	var total int64
	for range nb {
		b := r.IntN(nb)
		w[b]++
		total += bs.n[b]
	}
	k := dist.QuantileRank(u, total)
	i := sort.Search(len(bs.grid), func(i int) bool {
		var c int64
		for b, wb := range w {
			if wb != 0 {
				c += wb * bs.cum[b][i]
			}
		}
		return c >= k
	})
	if i == len(bs.grid) {
		i--
	}
	return bs.grid[i]
}

// blockVar returns the block-bootstrap variance of log(u-quantile), using
// len(reps) replicates stored in reps.
func (bs *blockSet) blockVar(r *rand.Rand, u float64, reps []float64) float64 {
	w := make([]int64, len(bs.n))
	for i := range reps {
		reps[i] = logUs(bs.bootQuantile(r, u, w))
	}
	_, v := meanVar(reps)
	return v
}
