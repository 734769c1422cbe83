package report

import (
	"fmt"
	"io"
	"math"

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
		h, err := p.Histogram()
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
// Buckets/SubBuckets footer. Values are printed with as many decimals as the
// histogram has significant digits.
func writePercentiles(ew *errWriter, h *hdrhistogram.Histogram, scale float64) {
	digits := int(h.SignificantFigures())
	ew.printf("%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)")
	for _, b := range h.CumulativeDistributionWithTicks(hgrmTicks) {
		q := b.Quantile / 100
		if b.Quantile < 100 {
			ew.printf("%12.*f %2.12f %10d %14.2f\n", digits, float64(b.ValueAt)/scale, q, b.Count, 1/(1-q))
		} else {
			ew.printf("%12.*f %2.12f %10d\n", digits, float64(b.ValueAt)/scale, q, b.Count)
		}
	}
	buckets, subBuckets := hdrGeometry(h.LowestTrackableValue(), h.HighestTrackableValue(), digits)
	ew.printf("#[Mean    = %12.*f, StdDeviation   = %12.*f]\n", digits, h.Mean()/scale, digits, h.StdDev()/scale)
	ew.printf("#[Max     = %12.*f, Total count    = %12d]\n", digits, float64(h.Max())/scale, h.TotalCount())
	ew.printf("#[Buckets = %12d, SubBuckets     = %12d]\n", buckets, subBuckets)
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
