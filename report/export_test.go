package report

// The unexported parts of report that its tests (package report_test)
// check directly. Those tests are external so that they can use
// report/internal/fixture, which imports report.

import (
	"io"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

const (
	HgrmScale    = hgrmScale
	HgrmTicks    = hgrmTicks
	ShortRunNote = shortRunNote
)

var (
	DecodePacked  = decodePacked
	EncodePacked  = encodePacked
	FmtMicros     = fmtMicros
	HTMLCards     = htmlCards
	NewPackedHist = newPackedHist
	SameAsActual  = sameAsActual
	TextPhases    = textPhases
	ToMicros      = toMicros
)

// WritePercentiles is writePercentiles writing to w; a write error is
// dropped, as the test that uses it reads what was written.
func WritePercentiles(w io.Writer, h *hdrhistogram.PackedHistogram, scale float64) {
	writePercentiles(&errWriter{w: w}, h, scale)
}

// Format is format: how the result shows a value of its metric.
func (r SLOResult) Format(v float64) string { return r.format(v) }
