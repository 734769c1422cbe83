package report

import (
	"errors"
	"fmt"
	"math"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry shared by every histogram in a Run (DESIGN.md §2).
// Keeping one geometry everywhere is what makes merges exact: two histograms
// with the same buckets add bucket by bucket, with no re-quantisation.
const (
	HistMin    = 1           // µs
	HistMax    = 600_000_000 // µs: 10 minutes
	HistDigits = 3           // significant decimal digits
	usPerSec   = 1_000_000.0 // µs in a second
	nsPerUs    = int64(1000) // ns in a µs
	histMaxEnc = 8 << 20     // bytes: refuse longer encodings before decoding them
)

// NewHist returns an empty histogram with the Run geometry: microseconds,
// 1 µs .. 10 min, 3 significant digits. It holds about 170 KB of counts.
func NewHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(HistMin, HistMax, HistDigits)
}

// newPackedHist returns an empty sparse histogram with the Run geometry.
func newPackedHist() *hdrhistogram.PackedHistogram {
	return hdrhistogram.NewPacked(HistMin, HistMax, HistDigits)
}

// EncodeHist returns h in HdrHistogram's V2 compressed encoding, base64, the
// form PhaseResult.Hist and Interval.Hist hold.
func EncodeHist(h *hdrhistogram.Histogram) (string, error) {
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", fmt.Errorf("encode histogram: %w", err)
	}
	return string(b), nil
}

// errGeometry is wrapped by the decode helpers when a histogram is well
// formed but does not have the Run geometry, so it cannot be merged exactly.
var errGeometry = errors.New("histogram geometry differs from 1µs..10min, 3 digits")

// DecodeHist decodes a PhaseResult.Hist or Interval.Hist string into a dense
// histogram. It refuses histograms of another geometry: they would merge
// inexactly, and a hostile header could otherwise ask for a huge counts
// array. The sparse form is decoded and checked first for that reason.
func DecodeHist(s string) (*hdrhistogram.Histogram, error) {
	p, err := decodePacked(s)
	if err != nil {
		return nil, err
	}
	h := NewHist()
	if dropped := p.MergeInto(h); dropped != 0 {
		return nil, fmt.Errorf("decode histogram: %d values out of range", dropped)
	}
	return h, nil
}

// decodePacked decodes s into the sparse form, whose memory is proportional
// to the populated buckets; read-only users (writers) prefer it because a
// long run holds thousands of interval histograms.
func decodePacked(s string) (*hdrhistogram.PackedHistogram, error) {
	if s == "" {
		return nil, errors.New("decode histogram: empty")
	}
	if len(s) > histMaxEnc {
		return nil, fmt.Errorf("decode histogram: encoding of %d bytes is too long", len(s))
	}
	p, err := hdrhistogram.DecodePacked([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("decode histogram: %w", err)
	}
	if p.LowestTrackableValue() != HistMin || p.HighestTrackableValue() != HistMax || p.SignificantFigures() != HistDigits {
		return nil, fmt.Errorf("decode histogram: %w (got %d..%d, %d digits)", errGeometry,
			p.LowestTrackableValue(), p.HighestTrackableValue(), p.SignificantFigures())
	}
	if p.TotalCount() == math.MaxInt64 {
		// DecodePacked saturates instead of failing; such a total cannot be
		// summarised or merged meaningfully.
		return nil, errors.New("decode histogram: total count overflows")
	}
	return p, nil
}

// quantiler is what Summary needs from a histogram; both the dense and the
// sparse forms provide it.
type quantiler interface {
	TotalCount() int64
	Mean() float64
	Min() int64
	Max() int64
	ValueAtPercentile(float64) int64
}

// SummaryOf returns the Summary of h (values in µs). ValueAtPercentile takes
// percent, so p99.9 is 99.9.
func SummaryOf(h quantiler) Summary {
	if h.TotalCount() == 0 {
		return Summary{}
	}
	return Summary{
		Count: h.TotalCount(),
		Mean:  math.Round(h.Mean()*1000) / 1000, // ns resolution: stable in golden files
		Min:   h.Min(),
		P50:   h.ValueAtPercentile(50),
		P90:   h.ValueAtPercentile(90),
		P99:   h.ValueAtPercentile(99),
		P999:  h.ValueAtPercentile(99.9),
		Max:   h.Max(),
	}
}

// toMicros converts a duration in ns to a recordable µs value: at least 1
// (a phase that took no measurable time still happened) and at most HistMax.
// clamped reports a value above the maximum.
func toMicros(ns int64) (us int64, clamped bool) {
	us = ns / nsPerUs
	if us < HistMin {
		return HistMin, false
	}
	if us > HistMax {
		return HistMax, true
	}
	return us, false
}
