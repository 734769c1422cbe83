package compare

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/dist"
	"github.com/msnbench/msnbench/report/internal/viz"
)

//go:embed compare.tmpl
var compareTmpl string

// htmlTemplates is the report's page templates (the document head and its
// style sheet) with the comparison page added, so that both look alike.
var htmlTemplates = template.Must(report.HTMLTemplates().Parse(compareTmpl))

// Colours of the two sides in every compare plot and legend.
const (
	compareColorA = "#0072b2"
	compareColorB = "#d55e00"
)

// WriteHTML writes c as one self-contained HTML page (inline CSS and
// SVG, nothing fetched): the verdict, the table of changes with their
// intervals, and per phase the percentile distributions of A and B overlaid
// on the logarithmic percentile axis.
func WriteHTML(w io.Writer, c *Comparison) error {
	v, err := buildCompareView(c)
	if err != nil {
		return err
	}
	ew := &errWriter{w: w}
	if err := htmlTemplates.ExecuteTemplate(ew, "compare", v); err != nil {
		if ew.err != nil {
			return ew.err
		}
		return fmt.Errorf("compare html: %w", err)
	}
	return ew.err
}

type compareView struct {
	Title, Method, Summary, Footer string
	Design, Latency                string
	Variance                       []string
	Regressed, Indicative          bool
	PerRun                         bool // some side has several runs: thin lines per run
	Forest                         template.HTML
	Warnings                       []string
	Sides                          []compareSideRow
	Rows                           []compareRow
	Failures                       compareRow
	Deliveries                     []compareRow // lost notifications per phase (not judged)
	Figures                        []compareFigure
	ColorA, ColorB                 string
}

type compareSideRow struct {
	Name, Color, Runs, Target, Sessions, Failed, Rate string
}

type compareRow struct {
	First                                    bool
	Phase, Verdict, VerdictClass, Pctl, A, B string
	Change, ChangeClass, Interval, Variance  string
}

type compareFigure struct {
	Phase, Verdict, VerdictClass, Note string
	Wide                               bool
	SVG                                template.HTML
}

func buildCompareView(c *Comparison) (*compareView, error) {
	if c == nil {
		return nil, fmt.Errorf("compare html: nil comparison")
	}
	v := &compareView{
		Title:      "msnbench compare: B against A",
		Method:     methodLine(c),
		Summary:    summaryLine(c),
		Regressed:  c.Regressed(c.Threshold),
		Design:     c.Design,
		Variance:   varianceLines(c),
		Forest:     forestPlot(c),
		Warnings:   c.Warnings,
		Indicative: c.Latency != LatencyBinding && c.Latency != "",
		PerRun:     c.A.Runs > 1 || c.B.Runs > 1,
		ColorA:     compareColorA,
		ColorB:     compareColorB,
		Footer:     fmt.Sprintf("seed %d · %s", c.Seed, strings.Join(pctlNames(c.Percentiles), ", ")),
	}
	if c.LatencyWhy != "" {
		v.Latency = "Latency " + c.Latency + ": " + c.LatencyWhy
	}
	for _, s := range []struct {
		name, color string
		side        Side
	}{{"A", compareColorA, c.A}, {"B", compareColorB, c.B}} {
		row := compareSideRow{Name: s.name, Color: s.color, Runs: strconv.Itoa(s.side.Runs),
			Target: strings.Join(s.side.Targets, ", "), Sessions: strconv.FormatInt(s.side.Attempted, 10),
			Failed: fmt.Sprintf("%d (%s)", s.side.Failed, viz.FmtPct(ratio(s.side.Failed, s.side.Attempted)))}
		if len(s.side.Labels) > 0 {
			row.Runs += ": " + strings.Join(s.side.Labels, ", ")
		}
		if s.side.Seconds > 0 {
			row.Rate = strconv.FormatFloat(float64(s.side.OK)/s.side.Seconds, 'f', 1, 64)
		}
		v.Sides = append(v.Sides, row)
	}

	for _, p := range c.Phases {
		if len(p.Percentiles) == 0 {
			v.Rows = append(v.Rows, compareRow{First: true, Phase: p.Phase, Verdict: string(p.Verdict), VerdictClass: "other"})
		}
		for i, q := range p.Percentiles {
			row := compareRow{First: i == 0, Pctl: pctlName(q.Percentile), A: viz.FmtUs(float64(q.A)),
				B: viz.FmtUs(float64(q.B)), Change: FmtChange(q.Change),
				Interval: "[" + FmtChange(q.Low) + ", " + FmtChange(q.High) + "]", Variance: varianceCell(c, p, q)}
			counts := !q.Indicative
			if !counts && (q.Verdict == Slower || q.Verdict == Faster) {
				row.Interval += " " + c.Latency
			}
			if i == 0 {
				row.Phase, row.Verdict, row.VerdictClass = p.Phase, phaseVerdictText(c, p), phaseVerdictClass(c, p)
			}
			// A change that does not count (indicative or inconclusive) is
			// not coloured as a finding.
			switch {
			case q.Verdict == Slower && counts:
				row.ChangeClass = "worse"
			case q.Verdict == Faster && counts:
				row.ChangeClass = "better"
			case q.Verdict == TooFew:
				row.Interval += " too few values"
			}
			v.Rows = append(v.Rows, row)
		}
		fig, err := compareFigureOf(c, p, len(v.Figures) == 0)
		if err != nil {
			return nil, err
		}
		v.Figures = append(v.Figures, fig)
	}
	f := c.Failures
	v.Failures = compareRow{Verdict: string(f.Verdict), VerdictClass: verdictClass(f.Verdict), A: viz.FmtPct(f.RateA),
		B: viz.FmtPct(f.RateB), Change: fmtPP(f.Diff) + " pp", Interval: "[" + fmtPP(f.Low) + ", " + fmtPP(f.High) + "] pp"}
	switch f.Verdict {
	case MoreFailures:
		v.Failures.ChangeClass = "worse"
	case FewerFailures:
		v.Failures.ChangeClass = "better"
	}
	for _, d := range c.Deliveries {
		lost := func(l, e int64) string {
			return strconv.FormatInt(l, 10) + " of " + strconv.FormatInt(e, 10) + " (" + viz.FmtPercent(ratio(l, e)) + ")"
		}
		row := compareRow{Phase: d.Phase + " lost", Verdict: string(d.Verdict()), VerdictClass: verdictClass(d.Verdict()),
			A: lost(d.LostA, d.ExpectedA), B: lost(d.LostB, d.ExpectedB), Change: fmtPP(d.Lost.Diff) + " pp",
			Interval: "[" + fmtPP(d.Lost.Low) + ", " + fmtPP(d.Lost.High) + "] pp"}
		if d.DuplicateA > 0 || d.DuplicateB > 0 {
			row.A += ", " + strconv.FormatInt(d.DuplicateA, 10) + " duplicated"
			row.B += ", " + strconv.FormatInt(d.DuplicateB, 10) + " duplicated"
		}
		switch d.Verdict() {
		case MoreFailures:
			row.ChangeClass = "worse"
		case FewerFailures:
			row.ChangeClass = "better"
		}
		v.Deliveries = append(v.Deliveries, row)
	}
	return v, nil
}

// compareFigureOf overlays the pooled distributions of A and B; the first
// (the headline, login) is drawn wide.
func compareFigureOf(c *Comparison, p PhaseComparison, wide bool) (compareFigure, error) {
	fig := compareFigure{Phase: p.Phase, Verdict: phaseVerdictText(c, p), VerdictClass: phaseVerdictClass(c, p), Wide: wide}
	vp := viz.Plot{Kind: viz.Percentile, W: viz.SmallW, H: viz.SmallH}
	if wide {
		vp.W, vp.H = viz.WideW+100, viz.WideH
	}
	// With several runs per side, each run is a thin pale line under its
	// side's pooled one: the run-to-run spread the intervals account for.
	for _, side := range []struct {
		runs  []*dist.Dist
		color string
	}{{p.runsA, compareColorA + "59"}, {p.runsB, compareColorB + "59"}} {
		for _, d := range side.runs {
			xs, ys := viz.PercentileCurve(d)
			vp.Lines = append(vp.Lines, viz.Line{Color: side.color, Width: 0.8, X: xs, Y: ys})
		}
	}
	for _, side := range []struct {
		name, hist, color string
	}{{"A", p.histA, compareColorA}, {"B", p.histB, compareColorB}} {
		if side.hist == "" {
			continue
		}
		h, err := report.DecodeHist(side.hist)
		if err != nil {
			return fig, fmt.Errorf("compare html: %s side %s: %w", p.Phase, side.name, err)
		}
		xs, ys := viz.PercentileCurve(dist.New(h))
		vp.Lines = append(vp.Lines, viz.Line{Name: side.name, Color: side.color, Width: 1.8, X: xs, Y: ys})
	}
	points := 0
	for _, l := range vp.Lines {
		points += len(l.X)
	}
	if points == 0 {
		fig.Note = "no values"
		return fig, nil
	}
	svg, err := vp.Render()
	if err != nil {
		return fig, fmt.Errorf("html report: %s: %w", p.Phase, err)
	}
	fig.SVG = svg
	return fig, nil
}

// verdictClass is the CSS class that colours a verdict.
// phaseVerdictClass is the colour of a phase's verdict: none ("other")
// when its changes do not count (phaseVerdictText marks them).
func phaseVerdictClass(c *Comparison, p PhaseComparison) string {
	if phaseVerdictText(c, p) != string(p.Verdict) {
		return "other"
	}
	return verdictClass(p.Verdict)
}

func verdictClass(v Verdict) string {
	switch v {
	case Slower, MoreFailures:
		return "slower"
	case Faster, FewerFailures:
		return "faster"
	case Mixed:
		return "mixed"
	case NoChange:
		return "same"
	}
	return "other"
}

func pctlNames(ps []float64) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = pctlName(p)
	}
	return out
}
