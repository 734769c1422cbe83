package compare

import (
	"io"
	"strconv"
	"strings"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/viz"
)

// JUnit renders c as JUnit (the document types of junit.go): a suite
// "msnbench compare" with one test case per compared phase, named for the
// phase, and one named "failures" for the failure rate. A case fails
// exactly when its verdict counts for Regressed, so a CI system's red cases
// are the ones that set compare's exit code:
//
//   - a phase significantly slower beyond the threshold, with latency
//     binding: <failure>;
//   - a phase whose verdicts are indicative (one run per side) or
//     inconclusive (a run limited by the load generator): <skipped>, with
//     the verdict and why it does not count in the message. A skipped case
//     is JUnit's way to say "not judged"; a pass would hide a slowdown the
//     reader should look at, a failure would contradict the exit code;
//   - a phase with too few values, or present on one side only: <skipped>;
//   - anything else passes, with the percentiles in its system-out.
func JUnit(c *Comparison) *report.JUnitSuites {
	secs := strconv.FormatFloat(c.A.Seconds+c.B.Seconds, 'f', 3, 64)
	suite := report.JUnitSuite{Name: "msnbench compare", Time: secs}
	for _, p := range []struct{ name, value string }{
		{"a.runs", strconv.Itoa(c.A.Runs)}, {"a.labels", strings.Join(c.A.Labels, ", ")},
		{"a.targets", strings.Join(c.A.Targets, ", ")},
		{"b.runs", strconv.Itoa(c.B.Runs)}, {"b.labels", strings.Join(c.B.Labels, ", ")},
		{"b.targets", strings.Join(c.B.Targets, ", ")},
		{"threshold", viz.FmtPct(c.Threshold)}, {"fail_threshold", viz.FmtPct(c.FailThreshold)},
		{"confidence", viz.FmtPct(c.Confidence)}, {"latency", c.Latency}, {"design", c.Design},
	} {
		if p.value != "" {
			suite.Properties = append(suite.Properties, report.JUnitProperty{Name: p.name, Value: p.value})
		}
	}
	for _, p := range c.Phases {
		suite.Cases = append(suite.Cases, phaseCase(c, p))
	}
	suite.Cases = append(suite.Cases, failureCase(c))
	for _, d := range c.Deliveries {
		suite.Cases = append(suite.Cases, deliveryCase(c, d))
	}
	for _, k := range suite.Cases {
		suite.Tests++
		if k.Failure != nil {
			suite.Failures++
		}
		if k.Skipped != nil {
			suite.Skipped++
		}
	}
	var out []string
	out = append(out, methodLine(c))
	if c.Design != "" {
		out = append(out, c.Design)
	}
	out = append(out, varianceLines(c)...)
	for _, w := range c.Warnings {
		out = append(out, "WARNING: "+w)
	}
	if c.LatencyWhy != "" {
		out = append(out, "latency "+c.Latency+": "+c.LatencyWhy)
	}
	out = append(out, summaryLine(c))
	suite.SystemOut = strings.Join(out, "\n") + "\n"
	return &report.JUnitSuites{Name: "msnbench", Tests: suite.Tests, Failures: suite.Failures, Skipped: suite.Skipped,
		Time: secs, Suites: []report.JUnitSuite{suite}}
}

// WriteJUnit writes c as a JUnit XML document (see JUnit).
func WriteJUnit(w io.Writer, c *Comparison) error {
	return report.WriteJUnit(w, JUnit(c))
}

// phaseCase is one phase's test case.
func phaseCase(c *Comparison, p PhaseComparison) report.JUnitCase {
	k := report.JUnitCase{Name: p.Phase, ClassName: "msnbench.compare", Time: "0"}
	if len(p.Percentiles) == 0 {
		k.SystemOut = string(p.Verdict) + " (" + strconv.FormatInt(p.CountA+p.CountB, 10) + " values)\n"
		k.Skipped = &report.JUnitSkipped{Message: string(p.Verdict) + ": not compared"}
		return k
	}
	var lines, slower []string
	judged, indicative := false, false
	for _, q := range p.Percentiles {
		line := pctlName(q.Percentile) + ": A " + viz.FmtUs(float64(q.A)) + ", B " + viz.FmtUs(float64(q.B)) +
			", change " + FmtChange(q.Change) + " [" + FmtChange(q.Low) + ", " + FmtChange(q.High) + "] " + string(q.Verdict)
		if q.Judged && q.Indicative {
			line += " (" + c.Latency + ")"
		}
		lines = append(lines, line)
		judged = judged || q.Judged
		indicative = indicative || q.Judged && q.Indicative
		// The rule of Regressed, so the failures are the exit code's.
		if q.Judged && !q.Indicative && q.Low > 0 && q.Change > c.Threshold {
			slower = append(slower, line)
		}
	}
	k.SystemOut = strings.Join(lines, "\n") + "\n"
	switch {
	case len(slower) > 0:
		msg := p.Phase + " slower beyond " + viz.FmtPct(c.Threshold) + ": " + strings.Join(slower, "; ")
		k.Failure = &report.JUnitFailure{Message: msg, Type: "slower", Text: k.SystemOut}
	case !judged:
		k.Skipped = &report.JUnitSkipped{Message: string(TooFew) + ": not judged"}
	case indicative:
		why := c.LatencyWhy
		if why == "" {
			why = "its verdict does not count for the exit code"
		}
		k.Skipped = &report.JUnitSkipped{Message: c.Latency + ", not judged: " + string(p.Verdict) + "; " + why}
	}
	return k
}

// failureCase is the failure-rate test's case.
func failureCase(c *Comparison) report.JUnitCase {
	f := c.Failures
	line := string(f.Verdict) + ": " + viz.FmtPct(f.RateA) + " -> " + viz.FmtPct(f.RateB) + " (" + fmtPP(f.Diff) +
		" pp, interval [" + fmtPP(f.Low) + ", " + fmtPP(f.High) + "] pp)"
	k := report.JUnitCase{Name: "failures", ClassName: "msnbench.compare", Time: "0", SystemOut: line + "\n"}
	if f.Verdict == MoreFailures {
		k.Failure = &report.JUnitFailure{Message: "failure rate rose beyond " + viz.FmtPct(c.FailThreshold) + ": " + line,
			Type: "more-failures", Text: line}
	}
	return k
}

// deliveryCase is the test case of one phase's lost and duplicated
// notifications.
func deliveryCase(c *Comparison, d DeliveryChange) report.JUnitCase {
	line := string(d.Verdict()) + ": " + d.String() + " (" + fmtPP(d.Lost.Diff) + " pp, interval [" +
		fmtPP(d.Lost.Low) + ", " + fmtPP(d.Lost.High) + "] pp)"
	k := report.JUnitCase{Name: d.Phase + " lost", ClassName: "msnbench.compare", Time: "0", SystemOut: line + "\n"}
	if d.regressed() {
		k.Failure = &report.JUnitFailure{Message: d.Phase + ": share lost or duplicated rose beyond " +
			viz.FmtPct(c.FailThreshold) + ": " + line, Type: "more-lost", Text: line}
	}
	return k
}
