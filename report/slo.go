package report

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/msnbench/msnbench/report/internal/viz"
)

// Threshold is one clause of an SLO: a latency percentile of a phase, the
// error or drop rate, or the login rate, compared with a limit.
type Threshold struct {
	Phase  string  // latency clauses: the phase ("login" when omitted)
	Metric string  // p50 p90 p99 p99.9 max mean min | errors dropped lost | rate
	Op     string  // < <= > >=
	Limit  float64 // µs for latencies, a fraction for errors/dropped/lost given in %, a count otherwise, logins/s for rate
	Pct    bool    // errors/dropped/lost limit was a percentage
	Text   string  // the clause as written, trimmed
}

// SLO is a list of thresholds checked against a finished run.
type SLO []Threshold

// latencyMetrics maps metric names to percentiles; -1 is max, -2 mean, -3 min.
var latencyMetrics = map[string]float64{
	"p50": 50, "p90": 90, "p95": 95, "p99": 99, "p99.9": 99.9, "p999": 99.9, "p99.99": 99.99,
	"max": -1, "mean": -2, "min": -3,
}

// ParseSLO parses comma-separated clauses such as
//
//	login:p99<200ms, ns.usr.s:p50<5ms, errors<0.1%, dropped<=0, lost<1, rate>500
//
// A latency clause is [phase:]metric op duration (metric p50, p90, p95, p99,
// p99.9, p99.99, max, mean or min; phase defaults to login; durations in Go
// form, "us" or "µs" for microseconds). errors and dropped compare the
// failed share of attempted sessions (dropped: of due starts) with a
// percentage, or their count with a plain number; lost does the same for
// held sessions that ended before their hold time (share of successful
// logins, or count), and phase:lost (presence:lost<1) for a phase's
// notifications that never came (share of those expected, or count). rate
// compares successful logins per second over the window in which the
// measured sessions ran (Run.RateWindow: warm-up, holds and wind-down
// excluded), the rate the reports show. Operators: < <= > >=.
func ParseSLO(s string) (SLO, error) {
	var slo SLO
	for _, raw := range strings.Split(s, ",") {
		c := strings.TrimSpace(raw)
		if c == "" {
			continue
		}
		t, err := parseThreshold(c)
		if err != nil {
			return nil, err
		}
		slo = append(slo, t)
	}
	if len(slo) == 0 {
		return nil, errors.New("slo: no thresholds")
	}
	return slo, nil
}

func parseThreshold(c string) (Threshold, error) {
	t := Threshold{Text: c}
	i := strings.IndexAny(c, "<>")
	if i < 0 {
		return t, fmt.Errorf("slo %q: want metric<limit or metric>limit", c)
	}
	lhs, rest := strings.TrimSpace(c[:i]), c[i:]
	t.Op = rest[:1]
	rest = rest[1:]
	if strings.HasPrefix(rest, "=") {
		t.Op += "="
		rest = rest[1:]
	}
	rhs := strings.TrimSpace(rest)
	if rhs == "" {
		return t, fmt.Errorf("slo %q: missing limit", c)
	}
	phase, metric, hasPhase := strings.Cut(lhs, ":")
	if !hasPhase {
		phase, metric = "", lhs
	}
	phase, metric = strings.TrimSpace(phase), strings.ToLower(strings.TrimSpace(metric))
	t.Metric = metric

	switch metric {
	case "errors", "dropped", "lost", "rate":
		switch {
		case hasPhase && metric == "lost":
			// presence:lost: the notifications of a phase with deliveries
			// (Run.Deliveries) that never came.
			if !isDeliveryPhase(phase) {
				return t, fmt.Errorf("slo %q: lost takes no phase but presence or msg.deliver (phases whose "+
					"notifications are counted)", c)
			}
			t.Phase = phase
		case hasPhase:
			return t, fmt.Errorf("slo %q: %s takes no phase", c, metric)
		}
		num := rhs
		if metric != "rate" && strings.HasSuffix(num, "%") {
			t.Pct = true
			num = strings.TrimSpace(strings.TrimSuffix(num, "%"))
		}
		num = strings.TrimSuffix(num, "/s")
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || v < 0 || v != v || v > 1e18 {
			return t, fmt.Errorf("slo %q: bad limit %q", c, rhs)
		}
		if t.Pct {
			v /= 100
		}
		t.Limit = v
		return t, nil
	}
	if _, ok := latencyMetrics[metric]; !ok {
		return t, fmt.Errorf("slo %q: unknown metric %q (want p50, p90, p95, p99, p99.9, p99.99, max, mean, min, errors, dropped, lost or rate)", c, metric)
	}
	if phase == "" {
		if hasPhase {
			return t, fmt.Errorf("slo %q: empty phase", c)
		}
		phase = "login"
	}
	if _, ok := ParsePhase(phase); !ok {
		return t, fmt.Errorf("slo %q: unknown phase %q", c, phase)
	}
	t.Phase = phase
	d, err := time.ParseDuration(strings.ReplaceAll(rhs, "µ", "u"))
	if err != nil || d <= 0 {
		return t, fmt.Errorf("slo %q: bad duration %q (want e.g. 200ms)", c, rhs)
	}
	t.Limit = float64(d) / float64(time.Microsecond)
	return t, nil
}

// SLOResult is the outcome of one threshold.
type SLOResult struct {
	Threshold
	Measured float64 // in the threshold's unit
	Pass     bool
	Missing  bool // the run has no value for it (a failure)
}

// String renders the result as "PASS login p99 183ms < 200ms".
func (r SLOResult) String() string {
	verdict := "FAIL"
	if r.Pass {
		verdict = "PASS"
	}
	name := r.Metric
	if r.Phase != "" {
		name = r.Phase + " " + r.Metric
	}
	if r.Missing {
		return verdict + " " + name + ": no values recorded (" + r.Text + ")"
	}
	return verdict + " " + name + " " + r.format(r.Measured) + " " + r.Op + " " + r.format(r.Limit)
}

func (r SLOResult) format(v float64) string {
	switch {
	case r.Phase != "" && r.Metric == "lost" && r.Pct:
		return viz.FmtPercent(v)
	case r.Phase != "" && r.Metric == "lost":
		return strconv.FormatFloat(v, 'f', -1, 64)
	case r.Phase != "":
		return fmtMicros(v)
	case r.Metric == "rate":
		return strconv.FormatFloat(v, 'f', 1, 64) + "/s"
	case r.Pct:
		return viz.FmtPercent(v)
	default:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
}

// SLOReport is the list of results of an SLO check.
type SLOReport []SLOResult

// Passed reports whether every threshold passed.
func (r SLOReport) Passed() bool {
	for _, x := range r {
		if !x.Pass {
			return false
		}
	}
	return true
}

// WriteTo writes one line per result.
func (r SLOReport) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for _, x := range r {
		m, err := io.WriteString(w, x.String()+"\n")
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Check evaluates every threshold against run. A latency threshold for a
// phase the run has no values for fails: an SLO on something that was not
// measured must not pass silently.
func (s SLO) Check(run *Run) SLOReport {
	out := make(SLOReport, 0, len(s))
	for _, t := range s {
		r := SLOResult{Threshold: t}
		switch t.Metric {
		case "errors":
			r.Measured = float64(run.Counts.Failed)
			if t.Pct {
				r.Measured = run.ErrorRate()
			}
		case "dropped":
			r.Measured = float64(run.Counts.Dropped)
			if t.Pct {
				r.Measured = ratio(run.Counts.Dropped, run.Counts.Attempted+run.Counts.Dropped)
			}
		case "lost":
			if t.Phase != "" {
				d := run.Delivery(t.Phase)
				if d == nil {
					r.Missing = true
					out = append(out, r)
					continue
				}
				r.Measured = float64(d.Lost)
				if t.Pct {
					r.Measured = d.LostShare()
				}
				break
			}
			r.Measured = float64(run.Counts.HoldLost)
			if t.Pct {
				r.Measured = ratio(run.Counts.HoldLost, run.Counts.OK)
			}
		case "rate":
			if run.NoRate() != "" {
				r.Missing = true
				out = append(out, r)
				continue
			}
			r.Measured = run.LoginRate()
		default:
			p := run.Phase(t.Phase)
			if p == nil || p.Summary.Count == 0 {
				r.Missing = true
				out = append(out, r)
				continue
			}
			v, ok := latencyMetric(p, t.Metric)
			if !ok {
				r.Missing = true
				out = append(out, r)
				continue
			}
			r.Measured = v
		}
		r.Pass = compare(r.Measured, t.Op, t.Limit)
		out = append(out, r)
	}
	return out
}

// latencyMetric reads a latency metric of p in µs: from the Summary where
// it holds the figure, from the histogram for the other percentiles.
func latencyMetric(p *PhaseResult, metric string) (float64, bool) {
	s := &p.Summary
	switch metric {
	case "p50":
		return float64(s.P50), true
	case "p90":
		return float64(s.P90), true
	case "p99":
		return float64(s.P99), true
	case "p99.9", "p999":
		return float64(s.P999), true
	case "max":
		return float64(s.Max), true
	case "mean":
		return s.Mean, true
	case "min":
		return float64(s.Min), true
	}
	h, err := decodePacked(p.Hist)
	if err != nil {
		return 0, false
	}
	return float64(h.ValueAtPercentile(latencyMetrics[metric])), true
}

func compare(v float64, op string, limit float64) bool {
	switch op {
	case "<":
		return v < limit
	case "<=":
		return v <= limit
	case ">":
		return v > limit
	case ">=":
		return v >= limit
	}
	return false
}
