package report

// Formatting shared by the writers and compare: latencies, percentiles and
// shares (the flattened distribution they read quantiles from is in
// cdist.go).

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

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

// trimPct formats a percentile without trailing zeros: 50, 99.9, 99.99.
func trimPct(p float64) string {
	s := fmt.Sprintf("%.4f", p)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// fmtPct formats a fraction as a percentage with two decimals, without
// ".00": 0.5 -> "50%", 0.0012 -> "0.12%".
func fmtPct(f float64) string {
	return strings.TrimSuffix(fmt.Sprintf("%.2f", 100*f), ".00") + "%"
}
