package compare

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// forestPlot draws every judged change as a row: the change as a dot, its
// interval as a line, on a logarithmic axis of B/A, with the band of
// changes too small to count (±threshold) shaded and 0 marked. Rows are
// every judged percentile of login and of the phases that changed, and p50
// of the others. A change that does not count (indicative, inconclusive) is
// drawn hollow and dashed. It returns "" when nothing was judged.
func forestPlot(c *Comparison) template.HTML {
	type row struct {
		label          string
		change, lo, hi float64
		verdict        Verdict
		indicative     bool
	}
	var rows []row
	for i, p := range c.Phases {
		for _, q := range p.Percentiles {
			if !q.Judged {
				continue
			}
			if i > 0 && p.Verdict == NoChange && q.Percentile != 50 {
				continue
			}
			rows = append(rows, row{p.Phase + " " + pctlName(q.Percentile), q.Change, q.Low, q.High, q.Verdict, q.Indicative})
		}
	}
	if len(rows) == 0 {
		return ""
	}
	// The axis: log(1 + change), wide enough for the changes and a little
	// of every interval, within -95 % .. +1900 % (B/A from 1/20 to 20). A
	// change beyond that is drawn at the edge as an arrow with its value.
	const axisMin, axisMax = -0.95, 19.0
	th := math.Max(c.Threshold, 0.01)
	lo, hi := math.Log(1-2*th), math.Log(1+2*th)
	for _, r := range rows {
		lo = math.Min(lo, math.Log1p(math.Max(r.change, axisMin)))
		hi = math.Max(hi, math.Log1p(math.Min(r.change, axisMax)))
		lo = math.Max(math.Min(lo, math.Log1p(math.Max(r.lo, axisMin))), math.Log1p(axisMin))
		hi = math.Min(math.Max(hi, math.Log1p(math.Min(r.hi, axisMax))), math.Log1p(axisMax))
	}
	const (
		labelW, plotW, rowH, top, valueW = 170.0, 560.0, 18.0, 26.0, 56.0
	)
	width, height := labelW+plotW+valueW, top+rowH*float64(len(rows))+8
	x := func(change float64) float64 {
		v := math.Log1p(math.Max(change, -0.99))
		v = math.Max(lo, math.Min(hi, v))
		return labelW + (v-lo)/(hi-lo)*plotW
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="forest" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="change of each phase with its interval">`,
		width, height, width, height)
	// Threshold band and zero line.
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" style="fill:#999;fill-opacity:0.18"/>`,
		x(-c.Threshold), top-4, x(c.Threshold)-x(-c.Threshold), height-top)
	fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" style="stroke:#555;stroke-width:1"/>`, x(0), x(0), top-6, height-4)
	// Ticks.
	lastX := math.Inf(-1)
	for _, t := range []float64{-0.95, -0.9, -0.75, -0.5, -0.25, -0.1, 0, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 19} {
		if v := math.Log1p(t); v < lo-1e-9 || v > hi+1e-9 || x(t)-lastX < 34 && t != 0 {
			continue
		}
		if x(t)-lastX < 34 { // 0 wins over a crowding neighbour: drop the last label
			if i := strings.LastIndex(b.String(), "<text"); i >= 0 {
				s := b.String()[:i]
				b.Reset()
				b.WriteString(s)
			}
		}
		lastX = x(t)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" style="font-size:10px;fill:#555">%s</text>`,
			x(t), top-10, html.EscapeString(fmtTick(t)))
	}
	for i, r := range rows {
		y := top + rowH*float64(i) + rowH/2
		color := "#777"
		switch r.verdict {
		case Slower:
			color = "#c0392b"
		case Faster:
			color = "#1e8449"
		}
		dash, fill := "", color
		if r.indicative {
			dash, fill = ";stroke-dasharray:4 3", "#fff"
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" style="font-size:11px">%s</text>`, labelW-8, y+4, html.EscapeString(r.label))
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" style="stroke:%s;stroke-width:2%s"/>`, x(r.lo), x(r.hi), y, y, color, dash)
		// An interval beyond the axis ends in an arrow.
		if math.Log1p(math.Max(r.lo, -0.99)) < lo {
			fmt.Fprintf(&b, `<path d="M%.1f %.1fl6 -4v8z" style="fill:%s"/>`, x(r.lo), y, color)
		}
		if math.Log1p(r.hi) > hi {
			fmt.Fprintf(&b, `<path d="M%.1f %.1fl-6 -4v8z" style="fill:%s"/>`, x(r.hi), y, color)
		}
		title := fmt.Sprintf("<title>%s: %s [%s, %s]</title>", html.EscapeString(r.label),
			FmtChange(r.change), FmtChange(r.lo), FmtChange(r.hi))
		switch v := math.Log1p(math.Max(r.change, -0.99)); {
		case v < lo-1e-9: // off the axis on the left: an arrow at the edge and the value beside it
			fmt.Fprintf(&b, `<path d="M%.1f %.1fl9 -6v12z" style="fill:%s;stroke:%s;stroke-width:1.5">%s</path>`,
				labelW-2, y, fill, color, title)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" style="font-size:10px;fill:%s">%s</text>`,
				labelW+12, y-3, color, html.EscapeString(FmtChange(r.change)))
		case v > hi+1e-9:
			fmt.Fprintf(&b, `<path d="M%.1f %.1fl-9 -6v12z" style="fill:%s;stroke:%s;stroke-width:1.5">%s</path>`,
				labelW+plotW+2, y, fill, color, title)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" style="font-size:10px;fill:%s">%s</text>`,
				labelW+plotW-10, y-3, color, html.EscapeString(FmtChange(r.change)))
		default:
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" style="fill:%s;stroke:%s;stroke-width:1.5">%s</circle>`,
				x(r.change), y, fill, color, title)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from numbers and escaped labels only
}

func fmtTick(t float64) string {
	if t == 0 {
		return "0"
	}
	return fmt.Sprintf("%+.0f%%", 100*t)
}
