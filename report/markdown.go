package report

import (
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/msnbench/msnbench/report/internal/viz"
)

func init() { Register("markdown", WriteMarkdown) }

// WriteMarkdown writes a run as GitHub-flavoured Markdown, short enough for
// a pull-request comment: what ran, sessions and rate, one table row per
// phase (count, p50, p90, p99, max), errors by phase/class/code and the
// warnings every report carries.
func WriteMarkdown(w io.Writer, run *Run) error { return writeMarkdown(w, run, nil) }

// MarkdownWithSLO returns a Writer that renders WriteMarkdown's report with
// the results of an SLO check: a verdict under the title and one row per
// clause with its measured value.
func MarkdownWithSLO(res SLOReport) Writer {
	return func(w io.Writer, run *Run) error { return writeMarkdown(w, run, res) }
}

func writeMarkdown(w io.Writer, run *Run, slo SLOReport) error {
	ew := &errWriter{w: w}
	title := "msnbench"
	if run.Label != "" {
		title += ": " + mdText(run.Label)
	}
	ew.printf("### %s\n\n", title)
	if slo != nil {
		failed := 0
		for _, r := range slo {
			if !r.Pass {
				failed++
			}
		}
		if failed == 0 {
			ew.printf("**SLO passed**: %d of %d thresholds met.\n\n", len(slo), len(slo))
		} else {
			ew.printf("**SLO failed**: %d of %d thresholds missed.\n\n", failed, len(slo))
		}
	}
	if run.Interrupted {
		ew.printf("> **%s**\n\n", mdText(interruptedNote))
	}

	c := &run.Config
	target := c.Target
	if target == "" {
		target = "?"
	}
	ew.printf("Target `%s`, %s", mdCode(target), mdText(c.DescribeLoad()))
	if d := run.Elapsed(); d > 0 {
		ew.printf(", %s elapsed", fmtDuration(d.Round(time.Millisecond)))
	}
	if run.Tool != "" {
		ew.printf(" (%s)", mdText(run.Tool))
	}
	ew.printf(".\n\n")

	n := &run.Counts
	ew.printf("| sessions | ok | failed | cut | dropped | rate |\n|---:|---:|---:|---:|---:|---:|\n")
	rate := "-"
	if run.RateWindow() > 0 && run.NoRate() == "" {
		rate = strconv.FormatFloat(run.LoginRate(), 'f', 1, 64) + " logins/s"
	}
	ew.printf("| %d | %d (%s) | %d (%s) | %d | %d | %s |\n\n", n.Attempted, n.OK, viz.FmtPercent(ratio(n.OK, n.Attempted)),
		n.Failed, viz.FmtPercent(ratio(n.Failed, n.Attempted)), n.Cut, n.Dropped, rate)

	if phases := textPhases(run); len(phases) > 0 {
		ew.printf("| phase | count | p50 | p90 | p99 | max |\n|---|---:|---:|---:|---:|---:|\n")
		for _, p := range phases {
			s := &p.Summary
			ew.printf("| `%s` | %d | %s | %s | %s | %s |\n", mdCode(p.Name), s.Count, fmtMicros(float64(s.P50)),
				fmtMicros(float64(s.P90)), fmtMicros(float64(s.P99)), fmtMicros(float64(s.Max)))
		}
		ew.printf("\n")
		for _, l := range deliveryLines(run) {
			ew.printf("- %s\n", mdText(l))
		}
		if len(run.Deliveries) > 0 {
			ew.printf("\n")
		}
	} else {
		ew.printf("No latency values recorded.\n\n")
	}

	if len(slo) > 0 {
		ew.printf("| SLO | threshold | measured |\n|---|---|---:|\n")
		for _, r := range slo {
			verdict := "✅ pass"
			if !r.Pass {
				verdict = "❌ **fail**"
			}
			measured := "no values"
			if !r.Missing {
				measured = r.format(r.Measured)
			}
			ew.printf("| %s | `%s` | %s |\n", verdict, mdCode(r.Text), mdText(measured))
		}
		ew.printf("\n")
	}

	writeMarkdownErrors(ew, "Errors by phase / class / code", run.Errors, n.Attempted)
	writeMarkdownErrors(ew, "Held sessions ended early (their logins are in ok)", run.HoldErrors, n.OK)
	writeMarkdownErrors(ew, "Sessions cut by the end of the run (not failures)", run.Cuts, n.Attempted+n.Cut)
	if c := run.Chat; c != nil {
		ew.printf("**Chat**: %s\n\n", mdText(c.Line()))
	}
	writeMarkdownErrors(ew, "Chat failures (the held sessions went on; share of held sessions)", run.ChatErrors,
		n.OK)

	if warnings := runWarnings(run); len(warnings) > 0 {
		ew.printf("**Warnings**\n\n")
		for _, m := range warnings {
			ew.printf("- ⚠️ %s\n", mdText(m))
		}
		ew.printf("\n")
	}
	return ew.err
}

// markdownMaxErrorRows bounds the error table of a comment.
const markdownMaxErrorRows = 10

func writeMarkdownErrors(ew *errWriter, title string, errs []ErrorCount, total int64) {
	if len(errs) == 0 {
		return
	}
	ew.printf("**%s**\n\n| phase | class | code | count | share |\n|---|---|---:|---:|---:|\n", title)
	for i, e := range errs {
		if i == markdownMaxErrorRows {
			rest := int64(0)
			for _, x := range errs[i:] {
				rest += x.Count
			}
			ew.printf("| … %d more rows | | | %d | %s |\n", len(errs)-i, rest, viz.FmtPercent(ratio(rest, total)))
			break
		}
		code := ""
		if e.Code != 0 {
			code = strconv.Itoa(e.Code)
		}
		class := e.Class
		if m := e.Meaning(); m != "" {
			class += ": " + m // the server's words, or the code's meaning
		}
		ew.printf("| `%s` | %s | %s | %d | %s |\n", mdCode(e.Phase), mdText(class), code, e.Count,
			viz.FmtPercent(ratio(e.Count, total)))
	}
	ew.printf("\n")
}

// runWarnings lists what the text report prints as WARNING lines.
func runWarnings(run *Run) []string {
	var out []string
	if h := &run.Health; h.Limited || h.Saturated {
		for _, v := range h.Verdict() {
			out = append(out, v+".")
		}
		if ev := healthEvidence(h); len(ev) > 0 {
			out = append(out, "generator evidence: "+strings.Join(ev, ", "))
		}
	}
	if run.Counts.Dropped > 0 {
		out = append(out, strconv.FormatInt(run.Counts.Dropped, 10)+
			" starts were due but not issued (max in flight reached): the offered rate was not achieved.")
	}
	return append(out, run.Health.Warnings...)
}

// mdText escapes s for Markdown text and table cells: the characters that
// would start emphasis, links, HTML, headings or end a cell, and line breaks.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '#', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n', '\r':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCode makes s safe inside a `code span` in a table cell: a backtick
// would end the span and a bar the cell (GFM takes \| inside code spans).
func mdCode(s string) string {
	r := strings.NewReplacer("`", "'", "|", `\|`, "\n", " ", "\r", " ")
	return r.Replace(s)
}
