package viz

// Formatting shared by the writers and compare: latencies, percentiles and
// shares (the flattened distribution they read quantiles from is package
// dist).

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// FmtUs formats a latency in µs with three significant digits and a unit
// a reader takes in at a glance: 812µs, 1.23ms, 45.6ms, 1.23s.
func FmtUs(us float64) string {
	// Round first, so 999.7µs becomes 1.00ms rather than "1000µs".
	if us >= 999.5 && us < 1000 {
		us = 1000
	} else if us >= 999_500 && us < 1e6 {
		us = 1e6
	}
	switch {
	case us < 10 && us != math.Trunc(us):
		return TrimFloat(us, 2) + "µs"
	case us < 1000:
		// The histograms resolve 1µs: "84µs", not "84.0µs".
		return strconv.FormatFloat(math.Round(us), 'f', -1, 64) + "µs"
	case us < 1e6:
		return TrimFloat(us/1e3, 3) + "ms"
	default:
		return TrimFloat(us/1e6, 3) + "s"
	}
}

// TrimFloat formats v with sig significant digits (at least the integer
// part), without an exponent.
func TrimFloat(v float64, sig int) string {
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

// TrimPct formats a percentile without trailing zeros: 50, 99.9, 99.99.
func TrimPct(p float64) string {
	s := fmt.Sprintf("%.4f", p)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// FmtPct formats a fraction as a percentage with two decimals, without
// ".00": 0.5 -> "50%", 0.0012 -> "0.12%".
func FmtPct(f float64) string {
	return strings.TrimSuffix(fmt.Sprintf("%.2f", 100*f), ".00") + "%"
}

// FmtPercent formats a fraction as a percentage with a precision that keeps
// small error rates visible: 0.0123 -> "1.23%", 0.00004 -> "0.004%".
func FmtPercent(f float64) string {
	p := f * 100
	switch {
	case p == 0 || math.IsNaN(p) || math.IsInf(p, 0):
		return "0%"
	case p >= 10:
		return strconv.FormatFloat(p, 'f', 1, 64) + "%"
	case p >= 0.1:
		return strconv.FormatFloat(p, 'f', 2, 64) + "%"
	default:
		return strconv.FormatFloat(p, 'g', 2, 64) + "%"
	}
}
