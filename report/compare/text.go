package compare

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/msnbench/msnbench/report/internal/viz"
)

// WriteText writes c as a table a person reads in a terminal: login
// first, then every phase that changed (the others on one line), per
// percentile A, B, the change, its interval and what set the interval's
// width; then the failure rates, warnings and a one-line summary.
func WriteText(w io.Writer, c *Comparison) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "msnbench compare: B against A\n")
	writeSideLine(bw, "A", c.A)
	writeSideLine(bw, "B", c.B)
	fmt.Fprintf(bw, "  %s\n", methodLine(c))
	if c.Design != "" {
		fmt.Fprintf(bw, "  %s\n", c.Design)
	}
	for _, l := range varianceLines(c) {
		fmt.Fprintf(bw, "  %s\n", l)
	}
	fmt.Fprintln(bw)

	fmt.Fprintf(bw, "%-16s %-21s  %-6s %9s %9s %8s  %-19s %s\n", "PHASE", "VERDICT", "PCTL", "A", "B", "CHANGE", "INTERVAL", "VARIANCE")
	var same []string
	for i, p := range c.Phases {
		if i > 0 && p.Verdict == NoChange {
			same = append(same, p.Phase)
			continue
		}
		if len(p.Percentiles) == 0 {
			count := p.CountA + p.CountB
			fmt.Fprintf(bw, "%-16s %-21s  (%d values)\n", p.Phase, p.Verdict, count)
			continue
		}
		for i, q := range p.Percentiles {
			name, verdict := "", ""
			if i == 0 {
				name, verdict = p.Phase, phaseVerdictText(c, p)
			}
			mark := ""
			switch q.Verdict {
			case Slower, Faster:
				mark = string(q.Verdict)
				if q.Indicative {
					mark += " (" + c.Latency + ")"
				}
			case TooFew:
				mark = "(too few values)"
			}
			line := fmt.Sprintf("%-16s %-21s  %-6s %9s %9s %8s  %-19s %-16s %s", name, verdict, pctlName(q.Percentile),
				viz.FmtUs(float64(q.A)), viz.FmtUs(float64(q.B)), FmtChange(q.Change),
				"["+FmtChange(q.Low)+", "+FmtChange(q.High)+"]", varianceCell(c, p, q), mark)
			fmt.Fprintln(bw, strings.TrimRight(line, " "))
		}
	}
	if len(same) > 0 {
		fmt.Fprintf(bw, "%-16s %-21s  %s\n", "(other phases)", NoChange, strings.Join(same, ", "))
	}
	f := c.Failures
	fmt.Fprintf(bw, "\n%-16s %-21s  %s -> %s (%s pp, interval [%s, %s] pp)\n", "failures", f.Verdict,
		viz.FmtPct(f.RateA), viz.FmtPct(f.RateB), fmtPP(f.Diff), fmtPP(f.Low), fmtPP(f.High))
	for _, d := range c.Deliveries {
		fmt.Fprintf(bw, "%-16s %-21s  %s (%s pp, interval [%s, %s] pp)\n", d.Phase+" lost", d.Verdict(), d,
			fmtPP(d.Lost.Diff), fmtPP(d.Lost.Low), fmtPP(d.Lost.High))
	}
	for _, wr := range c.Warnings {
		fmt.Fprintf(bw, "warning: %s\n", wr)
	}
	if c.LatencyWhy != "" {
		fmt.Fprintf(bw, "latency %s: %s\n", c.Latency, c.LatencyWhy)
	}
	fmt.Fprintf(bw, "\n%s\n", summaryLine(c))
	return bw.Flush()
}

// phaseVerdictText is a phase's verdict, marked when it does not count.
func phaseVerdictText(c *Comparison, p PhaseComparison) string {
	v := string(p.Verdict)
	switch p.Verdict {
	case Slower, Faster, Mixed:
		for _, q := range p.Percentiles {
			if q.Indicative && (q.Verdict == Slower || q.Verdict == Faster) {
				return v + " (" + c.Latency + ")"
			}
		}
	}
	return v
}

// varianceCell says what set a percentile's interval: the runs per side,
// the time batches per side, or the values alone.
func varianceCell(c *Comparison, p PhaseComparison, q PercentileChange) string {
	switch q.Variance {
	case VarianceRuns:
		return fmt.Sprintf("runs %d+%d", c.A.Runs, c.B.Runs)
	case VarianceIntervals:
		return fmt.Sprintf("batches %d+%d", p.BatchesA, p.BatchesB)
	case VariancePairs:
		return fmt.Sprintf("pairs %d", c.A.Runs)
	}
	return q.Variance
}

// varianceLines explain the variance sources the comparison used.
func varianceLines(c *Comparison) []string {
	used := map[string]bool{}
	for _, p := range c.Phases {
		for _, q := range p.Percentiles {
			used[q.Variance] = true
		}
	}
	var out []string
	if used[VarianceRuns] {
		out = append(out, fmt.Sprintf("variance \"runs\": the spread between the runs of a side (%d+%d runs), Student's t", c.A.Runs, c.B.Runs))
	}
	if used[VariancePairs] {
		out = append(out, fmt.Sprintf("variance \"pairs\": the spread of B/A between %d pairs of runs taken side by side: where Student's t and the sign test, each at half the level, agree (one stalled round cannot widen it)", c.A.Runs))
	}
	if used[VarianceIntervals] {
		out = append(out, "variance \"batches\": a block bootstrap over time batches of each run (drift within a run counts; differences between runs are not seen)")
	}
	if used[VarianceValues] {
		out = append(out, "variance \"values\": a bootstrap of the values, as if every login were independent")
	}
	return out
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
	fmt.Fprintf(w, "  %s: %s%s%s %d sessions, %d failed (%s)%s\n", name, runs, label, target, s.Attempted, s.Failed, viz.FmtPct(failed), rate)
}

func methodLine(c *Comparison) string {
	return fmt.Sprintf("intervals: %s confidence for the whole comparison (%d resamples); minimum effect %s",
		viz.FmtPct(c.Confidence), c.Resamples, viz.FmtPct(c.Threshold))
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
	var lat, parts []string
	if len(slower) > 0 {
		lat = append(lat, "slower: "+strings.Join(slower, ", "))
	}
	if len(faster) > 0 {
		lat = append(lat, "faster: "+strings.Join(faster, ", "))
	}
	if len(mixed) > 0 {
		lat = append(lat, "mixed: "+strings.Join(mixed, ", "))
	}
	if len(lat) > 0 {
		l := strings.Join(lat, "; ")
		if c.Latency != LatencyBinding && c.Latency != "" {
			// Changes that do not count say so before they are read.
			l = "latency " + c.Latency + ": " + l
		}
		parts = append(parts, l)
	}
	if c.Failures.Verdict == MoreFailures || c.Failures.Verdict == FewerFailures {
		parts = append(parts, string(c.Failures.Verdict))
	}
	for _, d := range c.Deliveries {
		switch v := d.Verdict(); v {
		case MoreFailures:
			parts = append(parts, "more lost: "+d.Phase)
		case FewerFailures:
			parts = append(parts, "fewer lost: "+d.Phase)
		}
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

// WriteJSON writes c as indented JSON.
func WriteJSON(w io.Writer, c *Comparison) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}

func pctlName(p float64) string {
	return "p" + viz.TrimPct(p)
}

// FmtChange formats a relative change as the comparison's tables show it:
// +12.3%, -0.4%, +250%, >+9999%.
func FmtChange(f float64) string {
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

// fmtPP formats a difference of fractions in percentage points.
func fmtPP(f float64) string {
	return fmt.Sprintf("%+.2f", 100*f)
}

// WriteMarkdown writes c as GitHub-flavoured Markdown for a pull
// request comment: the verdict first, then a table of login and the phases
// that changed (the others on one line), the failure rates, and how the
// intervals were made.
func WriteMarkdown(w io.Writer, c *Comparison) error {
	bw := bufio.NewWriter(w)
	icon := "✅"
	if c.Regressed(c.Threshold) {
		icon = "❌"
	} else if c.Latency != LatencyBinding && c.Latency != "" {
		icon = "⚠️"
	}
	fmt.Fprintf(bw, "### %s msnbench compare: %s\n\n", icon, mdEscape(summaryLine(c)))
	fmt.Fprintf(bw, "| side | runs | sessions | failed |\n|---|---:|---:|---:|\n")
	for _, s := range []struct {
		name string
		side Side
	}{{"A (baseline)", c.A}, {"B", c.B}} {
		label := ""
		if len(s.side.Labels) > 0 {
			label = " " + mdEscape(strings.Join(s.side.Labels, ", "))
		}
		fmt.Fprintf(bw, "| %s%s | %d | %d | %d (%s) |\n", s.name, label, s.side.Runs, s.side.Attempted, s.side.Failed,
			viz.FmtPct(ratio(s.side.Failed, s.side.Attempted)))
	}
	fmt.Fprintf(bw, "\n| phase | pctl | A | B | change | interval | variance | verdict |\n|---|---|---:|---:|---:|---|---|---|\n")
	var same []string
	for i, p := range c.Phases {
		if i > 0 && p.Verdict == NoChange {
			same = append(same, p.Phase)
			continue
		}
		if len(p.Percentiles) == 0 {
			fmt.Fprintf(bw, "| %s | | | | | | | %s |\n", p.Phase, p.Verdict)
			continue
		}
		for j, q := range p.Percentiles {
			name := ""
			if j == 0 {
				name = "**" + p.Phase + "**"
			}
			verdict := string(q.Verdict)
			switch q.Verdict {
			case Slower:
				verdict = "🔺 slower"
			case Faster:
				verdict = "🔻 faster"
			case NoChange:
				verdict = "~"
			}
			if q.Indicative && (q.Verdict == Slower || q.Verdict == Faster) {
				verdict += " (" + c.Latency + ")"
			}
			fmt.Fprintf(bw, "| %s | %s | %s | %s | %s | [%s, %s] | %s | %s |\n", name, pctlName(q.Percentile),
				viz.FmtUs(float64(q.A)), viz.FmtUs(float64(q.B)), FmtChange(q.Change), FmtChange(q.Low), FmtChange(q.High),
				varianceCell(c, p, q), verdict)
		}
	}
	if len(same) > 0 {
		fmt.Fprintf(bw, "\nNo significant change: %s.\n", strings.Join(same, ", "))
	}
	f := c.Failures
	fmt.Fprintf(bw, "\nFailures: %s → %s (%s pp, interval [%s, %s] pp): %s.\n", viz.FmtPct(f.RateA), viz.FmtPct(f.RateB),
		fmtPP(f.Diff), fmtPP(f.Low), fmtPP(f.High), f.Verdict)
	for _, d := range c.Deliveries {
		fmt.Fprintf(bw, "\n%s lost: %s (%s pp, interval [%s, %s] pp): %s.\n", d.Phase,
			strings.ReplaceAll(d.String(), "->", "→"), fmtPP(d.Lost.Diff), fmtPP(d.Lost.Low), fmtPP(d.Lost.High),
			d.Verdict())
	}
	if c.LatencyWhy != "" {
		fmt.Fprintf(bw, "\n> **Latency %s:** %s\n", c.Latency, mdEscape(c.LatencyWhy))
	}
	if len(c.Warnings) > 0 {
		fmt.Fprintln(bw)
		for _, wr := range c.Warnings {
			fmt.Fprintf(bw, "- warning: %s\n", mdEscape(wr))
		}
	}
	fmt.Fprintf(bw, "\n<sub>%s", mdEscape(methodLine(c)))
	if c.Design != "" {
		fmt.Fprintf(bw, "; %s", mdEscape(c.Design))
	}
	for _, l := range varianceLines(c) {
		fmt.Fprintf(bw, "; %s", mdEscape(l))
	}
	fmt.Fprintf(bw, "</sub>\n")
	return bw.Flush()
}

// mdEscape keeps text from being read as Markdown or HTML in a table or
// quote.
func mdEscape(s string) string {
	return strings.NewReplacer("|", "\\|", "<", "&lt;", ">", "&gt;", "*", "\\*", "_", "\\_", "`", "\\`").Replace(s)
}

// ratio is a/b, 0 when b is not positive.
func ratio(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// errWriter remembers the first write error so a writer can format freely
// and check once at the end.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
