package report

import (
	"fmt"
	"io"
	"math"
	"math/bits"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// hgrmScale converts the histograms' µs to the ms the .hgrm output shows.
const hgrmScale = 1000.0

// hgrmTicks is the number of reporting ticks per half distance to 100%, the
// HdrHistogram tools' default.
const hgrmTicks = 5

// WriteHgrm writes every phase's whole-run histogram as HdrHistogram's
// percentile distribution (the .hgrm format of outputPercentileDistribution,
// which the HdrHistogram plotter reads), values in milliseconds. Each
// phase's table is preceded by a comment line naming it; for a file holding
// a single table, render Run.OnlyPhases(name).
func WriteHgrm(w io.Writer, run *Run) error {
	ew := &errWriter{w: w}
	for i := range run.Phases {
		p := &run.Phases[i]
		h, err := decodePacked(p.Hist)
		if err != nil {
			return fmt.Errorf("hgrm: phase %s: %w", p.Name, err)
		}
		if i > 0 {
			ew.printf("\n")
		}
		ew.printf("#[Phase %s: values in milliseconds (recorded in microseconds; output value unit scaling ratio %.1f)]\n",
			p.Name, hgrmScale)
		writePercentiles(ew, h, hgrmScale)
	}
	return ew.err
}

// writePercentiles writes one table in the layout of the Java
// AbstractHistogram.outputPercentileDistribution, which the other HdrHistogram
// implementations copy: a header, one line per percentile tick (value,
// percentile as a fraction, count so far, 1/(1-percentile)), the 100% line
// without the last column, then the Mean/StdDeviation, Max/Total count and
// Buckets/SubBuckets footer, values with as many decimals as the histogram
// has significant digits.
//
// The ticks are those of HdrHistogram's percentile iterator: hgrmTicks per
// halving of the distance to 100%, each reported at the highest value
// equivalent to the first bucket that reaches it. It is done here rather
// than with the library's iterator because that one never ends when, with
// huge counts, a percentile below 100% rounds to 100 (a saved run is input
// we do not trust); here a tick that no longer advances ends the table.
func writePercentiles(ew *errWriter, h *hdrhistogram.PackedHistogram, scale float64) {
	const digits = HistDigits
	total := h.TotalCount()
	ew.printf("%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)")
	level := 0.0 // percentile to report next
	var count, last int64
	for v, c := range h.ForEachBucket {
		count += c
		last = highestEquivalent(v)
		pct := 100 * float64(count) / float64(total)
		for level <= pct && !math.IsInf(level, 1) {
			q := level / 100
			ew.printf("%12.*f %2.12f %10d %14.2f\n", digits, float64(last)/scale, q, count, 1/(1-q))
			half := math.Trunc(math.Pow(2, math.Trunc(math.Log2(100/(100-level)))+1))
			next := level + 100/(hgrmTicks*half)
			if count >= total || !(next > level) {
				// All values seen (the iterator moves on to the 100% line
				// after one tick at the last bucket), or no progress possible.
				next = math.Inf(1)
			}
			level = next
		}
	}
	if total > 0 {
		ew.printf("%12.*f %2.12f %10d\n", digits, float64(last)/scale, 1.0, count)
	}
	buckets, subBuckets := hdrGeometry(h.LowestTrackableValue(), h.HighestTrackableValue(), digits)
	ew.printf("#[Mean    = %12.*f, StdDeviation   = %12.*f]\n", digits, h.Mean()/scale, digits, h.StdDev()/scale)
	ew.printf("#[Max     = %12.*f, Total count    = %12d]\n", digits, float64(h.Max())/scale, total)
	ew.printf("#[Buckets = %12d, SubBuckets     = %12d]\n", buckets, subBuckets)
}

// highestEquivalent is the highest value in v's bucket, for the Run
// geometry (unit magnitude 0, 2048 sub-buckets).
func highestEquivalent(v int64) int64 {
	bucket := int64(64-bits.LeadingZeros64(uint64(v|2047))) - 11
	return v&^(1<<uint(bucket)-1) + 1<<uint(bucket) - 1
}

// hdrGeometry returns the bucket and sub-bucket counts HdrHistogram derives
// from a histogram's range and precision (the library does not export them,
// and the .hgrm footer prints them).
func hdrGeometry(lowest, highest int64, digits int) (buckets, subBuckets int64) {
	subBuckets = 1 << int(math.Ceil(math.Log2(2*math.Pow10(digits))))
	unit := int(math.Floor(math.Log2(float64(max(lowest, 1)))))
	smallestUntrackable := subBuckets << unit
	buckets = 1
	for smallestUntrackable <= highest {
		if smallestUntrackable > math.MaxInt64/2 {
			return buckets + 1, subBuckets
		}
		smallestUntrackable <<= 1
		buckets++
	}
	return buckets, subBuckets
}
