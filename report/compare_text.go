package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
)

// WriteCompareText writes c as a table a person reads in a terminal: for
// every phase (login first) its verdict, and per percentile A, B, the change
// and its interval; then the failure rates, warnings and a one-line summary.
func WriteCompareText(w io.Writer, c *Comparison) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "msnbench compare: B against A\n")
	writeSideLine(bw, "A", c.A)
	writeSideLine(bw, "B", c.B)
	fmt.Fprintf(bw, "  %s\n\n", methodLine(c))

	fmt.Fprintf(bw, "%-16s %-21s  %-6s %9s %9s %8s  %s\n", "PHASE", "VERDICT", "PCTL", "A", "B", "CHANGE", "INTERVAL")
	for _, p := range c.Phases {
		if len(p.Percentiles) == 0 {
			count := p.CountA + p.CountB
			fmt.Fprintf(bw, "%-16s %-21s  (%d values)\n", p.Phase, p.Verdict, count)
			continue
		}
		for i, q := range p.Percentiles {
			name, verdict := "", ""
			if i == 0 {
				name, verdict = p.Phase, string(p.Verdict)
			}
			mark := ""
			switch q.Verdict {
			case Slower, Faster:
				mark = string(q.Verdict)
			case TooFew:
				mark = "(too few values)"
			}
			line := fmt.Sprintf("%-16s %-21s  %-6s %9s %9s %8s  %-19s %s", name, verdict, pctlName(q.Percentile),
				vizFmtUs(float64(q.A)), vizFmtUs(float64(q.B)), fmtChange(q.Change),
				"["+fmtChange(q.Low)+", "+fmtChange(q.High)+"]", mark)
			fmt.Fprintln(bw, strings.TrimRight(line, " "))
		}
	}
	f := c.Failures
	fmt.Fprintf(bw, "\n%-16s %-21s  %s -> %s (%s pp, interval [%s, %s] pp)\n", "failures", f.Verdict,
		fmtPct(f.RateA), fmtPct(f.RateB), fmtPP(f.Diff), fmtPP(f.Low), fmtPP(f.High))
	for _, wr := range c.Warnings {
		fmt.Fprintf(bw, "warning: %s\n", wr)
	}
	fmt.Fprintf(bw, "\n%s\n", summaryLine(c))
	return bw.Flush()
}

func writeSideLine(w io.Writer, name string, s Side) {
	runs := "1 run "
	if s.Runs != 1 {
		runs = fmt.Sprintf("%d runs", s.Runs)
	}
	label := ""
	if len(s.Labels) > 0 {
		label = fmt.Sprintf(" %q", strings.Join(s.Labels, ", "))
	}
	target := ""
	if len(s.Targets) > 0 {
		target = " target " + strings.Join(s.Targets, ", ") + ","
	}
	rate := ""
	if s.Seconds > 0 {
		rate = fmt.Sprintf(", %.1f ok/s", float64(s.OK)/s.Seconds)
	}
	failed := 0.0
	if s.Attempted > 0 {
		failed = float64(s.Failed) / float64(s.Attempted)
	}
	fmt.Fprintf(w, "  %s: %s%s%s %d sessions, %d failed (%s)%s\n", name, runs, label, target, s.Attempted, s.Failed, fmtPct(failed), rate)
}

func methodLine(c *Comparison) string {
	spread := ""
	if c.A.Runs > 1 || c.B.Runs > 1 {
		spread = " plus run-to-run spread"
	}
	return fmt.Sprintf("intervals: %s confidence for the whole comparison (bootstrap of the histograms%s, %d resamples); minimum effect %s",
		fmtPct(c.Confidence), spread, c.Resamples, fmtPct(c.Threshold))
}

// summaryLine is the sentence a CI log shows last.
func summaryLine(c *Comparison) string {
	var slower, faster, mixed []string
	for _, p := range c.Phases {
		switch p.Verdict {
		case Slower:
			slower = append(slower, p.Phase)
		case Faster:
			faster = append(faster, p.Phase)
		case Mixed:
			mixed = append(mixed, p.Phase)
		}
	}
	var parts []string
	if len(slower) > 0 {
		parts = append(parts, "slower: "+strings.Join(slower, ", "))
	}
	if len(faster) > 0 {
		parts = append(parts, "faster: "+strings.Join(faster, ", "))
	}
	if len(mixed) > 0 {
		parts = append(parts, "mixed: "+strings.Join(mixed, ", "))
	}
	if c.Failures.Verdict == MoreFailures || c.Failures.Verdict == FewerFailures {
		parts = append(parts, string(c.Failures.Verdict))
	}
	verdict := "no regression"
	if c.Regressed(c.Threshold) {
		verdict = "REGRESSION"
	}
	if len(parts) == 0 {
		return verdict + ": no significant change in any phase"
	}
	return verdict + ": " + strings.Join(parts, "; ")
}

// WriteCompareJSON writes c as indented JSON.
func WriteCompareJSON(w io.Writer, c *Comparison) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}

func pctlName(p float64) string {
	return "p" + trimPct(p)
}

// trimPct formats a percentile without trailing zeros: 50, 99.9, 99.99.
func trimPct(p float64) string {
	s := fmt.Sprintf("%.4f", p)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// fmtChange formats a relative change: +12.3%, -0.4%, +250%.
func fmtChange(f float64) string {
	switch {
	case math.IsInf(f, 1) || f > 99.99:
		return ">+9999%"
	case math.IsNaN(f):
		return "n/a"
	case math.Abs(f) >= 10:
		return fmt.Sprintf("%+.0f%%", 100*f)
	default:
		return fmt.Sprintf("%+.1f%%", 100*f)
	}
}

func fmtPct(f float64) string {
	s := fmt.Sprintf("%.2f", 100*f)
	if strings.HasSuffix(s, ".00") {
		s = strings.TrimSuffix(s, ".00")
	}
	return s + "%"
}

// fmtPP formats a difference of fractions in percentage points.
func fmtPP(f float64) string {
	return fmt.Sprintf("%+.2f", 100*f)
}
