package report

// Plots for the HTML writers, drawn with gonum.org/v1/plot into SVG that is
// inlined in the page: no script, no network, and the same bytes for the
// same Run. Titles and legends are HTML around the SVG, not part of it, so
// a legend never covers a line and text stays selectable.

import (
	"bytes"
	"fmt"
	"html/template"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// vizLine is one line of a plot. X and Y are data coordinates; latencies
// are in µs and converted to the plot's unit when drawn.
type vizLine struct {
	Name  string
	Color string // CSS hex colour, also used by the HTML legend
	Dash  bool
	Width float64 // points; 0 means 1.5
	X, Y  []float64
}

// vizPalette is a colour-blind-safe set (Okabe–Ito, then Tableau tones) in
// the order lines are given colours.
var vizPalette = []string{
	"#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9",
	"#8c564b", "#7f7f7f", "#bcbd22", "#17becf", "#9467bd", "#f0e442",
}

func vizColor(i int) string { return vizPalette[i%len(vizPalette)] }

// vizPlotKind selects the axes of a plot.
type vizPlotKind int

const (
	vizPercentile vizPlotKind = iota // x: percentile on a 1/(1-p) log axis, y: latency
	vizOverTime                      // x: seconds since start, y: latency
	vizCount                         // x: seconds since start, y: a plain number (rate, in flight)
)

// vizPlot describes one plot to render.
type vizPlot struct {
	Kind   vizPlotKind
	W, H   vg.Length
	YLabel string // for vizCount; latency plots label themselves
	Lines  []vizLine
	// Scale of a latency axis: 0 decides from the lines (see wantLogY),
	// scaleLog and scaleLinear force it, so plots shown side by side agree.
	Scale int
}

const (
	scaleAuto = iota
	scaleLog
	scaleLinear
)

// Plot sizes, in points. They are rendered at roughly these sizes on a
// laptop screen, so the 9–10 pt axis text stays readable.
const (
	vizWideW, vizWideH   = 560, 300
	vizSmallW, vizSmallH = 300, 190
)

// latencyUnit picks the unit a latency axis with values up to maxUs reads
// best in, and its size in µs.
func latencyUnit(maxUs float64) (string, float64) {
	switch {
	case maxUs < 2000:
		return "µs", 1
	case maxUs < 2e6:
		return "ms", 1e3
	default:
		return "s", 1e6
	}
}

// render draws the plot and returns it as an inline <svg> element.
func (vp vizPlot) render() (template.HTML, error) {
	p := plot.New()
	p.BackgroundColor = color.White
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = font.Font{Typeface: "Liberation", Variant: "Sans", Size: 10}
		ax.Tick.Label.Font = font.Font{Typeface: "Liberation", Variant: "Sans", Size: 9}
		ax.Tick.Color = color.Gray{Y: 120}
		ax.LineStyle.Color = color.Gray{Y: 120}
		ax.Tick.Marker = plot.TickerFunc(plainTicks)
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 225}
	grid.Horizontal.Color = color.Gray{Y: 225}
	p.Add(grid)

	maxY, maxX := 0.0, 0.0
	for _, l := range vp.Lines {
		for i := range l.Y {
			maxY = math.Max(maxY, l.Y[i])
			maxX = math.Max(maxX, l.X[i])
		}
	}
	div := 1.0
	logY := false
	switch vp.Kind {
	case vizPercentile, vizOverTime:
		logY = vp.Scale == scaleLog || (vp.Scale == scaleAuto && wantLogY(vp.Lines))
		if logY {
			// Latency over several decades: a log axis keeps the median
			// and the tail readable at once. Ticks carry their own units.
			p.Y.Label.Text = "latency"
			p.Y.Scale = plot.LogScale{}
			lo, hi := positiveRange(vp.Lines)
			p.Y.Min, p.Y.Max = math.Pow(10, math.Floor(math.Log10(lo))), niceMax(hi)
			p.Y.Tick.Marker = plot.TickerFunc(latencyLogTicks)
		} else {
			var unit string
			unit, div = latencyUnit(maxY)
			p.Y.Label.Text = "latency (" + unit + ")"
		}
	default:
		p.Y.Label.Text = vp.YLabel
	}
	if !logY {
		p.Y.Min = 0
		p.Y.Max = niceMax(maxY / div)
	}

	switch vp.Kind {
	case vizPercentile:
		p.X.Label.Text = "percentile"
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.TickerFunc(percentileTicks)
		p.X.Min = 1
		p.X.Max = math.Max(10, maxX)
	default:
		p.X.Label.Text = "seconds since start"
		p.X.Min = 0
		p.X.Max = math.Max(1, maxX)
	}

	for _, l := range vp.Lines {
		xys := make(plotter.XYs, 0, len(l.X))
		for i := range l.X {
			if vp.Kind == vizPercentile && l.X[i] < 1 {
				continue // not on a log axis
			}
			y := l.Y[i] / div
			if logY && y < 1 {
				y = 1 // the histograms' resolution; 0 has no place on a log axis
			}
			xys = append(xys, plotter.XY{X: l.X[i], Y: y})
		}
		if len(xys) == 0 {
			continue
		}
		ln, err := plotter.NewLine(xys)
		if err != nil {
			return "", fmt.Errorf("plot %s: %w", l.Name, err)
		}
		ln.Color = hexColor(l.Color)
		ln.Width = vg.Points(l.Width)
		if l.Width == 0 {
			ln.Width = vg.Points(1.5)
		}
		if l.Dash {
			ln.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		p.Add(ln)
	}

	c := vgsvg.New(vp.W, vp.H)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", err
	}
	return inlineSVG(buf.String()), nil
}

// inlineSVG turns a standalone SVG document into an element for an HTML
// page: no XML prologue, and a size that follows its container while the
// viewBox keeps the aspect ratio.
func inlineSVG(s string) template.HTML {
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	if j := strings.Index(s, ">"); j >= 0 {
		head := s[:j]
		if w := strings.Index(head, ` width="`); w >= 0 {
			if v := strings.Index(head, " viewBox="); v > w {
				head = head[:w] + ` class="plot" role="img"` + head[v:]
			}
		}
		s = head + s[j:]
	}
	return template.HTML(s) // generated here; vgsvg escapes every text it draws
}

// plainTicks are gonum's default ticks labelled without trailing zeros
// ("25", not "25.00").
func plainTicks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'f', -1, 64)
		}
	}
	return ticks
}

// wantLogY says whether latency lines span so many decades that a linear
// axis would flatten everything below the tail: the highest value is more
// than 20 times the low tenth of all points (on a percentile curve that is
// about the median; over time, the lower p50s).
func wantLogY(lines []vizLine) bool {
	var ys []float64
	for _, l := range lines {
		ys = append(ys, l.Y...)
	}
	if len(ys) == 0 {
		return false
	}
	sort.Float64s(ys)
	low := math.Max(ys[len(ys)/10], 1)
	return ys[len(ys)-1]/low > 20
}

// scaleFor decides once for plots that are shown together.
func scaleFor(lines []vizLine) int {
	if wantLogY(lines) {
		return scaleLog
	}
	return scaleLinear
}

// positiveRange is the smallest (at least 1) and largest Y of lines.
func positiveRange(lines []vizLine) (lo, hi float64) {
	lo, hi = math.Inf(1), 1
	for _, l := range lines {
		for _, y := range l.Y {
			lo, hi = math.Min(lo, math.Max(y, 1)), math.Max(hi, y)
		}
	}
	if math.IsInf(lo, 1) {
		lo = 1
	}
	return lo, hi
}

// latencyLogTicks labels a log latency axis (values in µs) at 1, 2, 5 ×
// 10^k, or only at powers of ten when the axis spans more than three
// decades; the labels carry units ("20µs", "1ms").
func latencyLogTicks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	decades := math.Log10(max / min)
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		base := math.Pow(10, e)
		for _, m := range []float64{1, 2, 3, 4, 5, 6, 7, 8, 9} {
			v := m * base
			if v < min*0.999 || v > max*1.001 {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || (decades <= 3 && (m == 2 || m == 5)) {
				t.Label = tickFmtUs(v)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// tickFmtUs formats a round latency for a tick: "20µs", "1ms", "500ms".
func tickFmtUs(us float64) string {
	unit, div := "µs", 1.0
	switch {
	case us >= 1e6:
		unit, div = "s", 1e6
	case us >= 1000:
		unit, div = "ms", 1e3
	}
	return strconv.FormatFloat(us/div, 'g', 3, 64) + unit
}

// percentileTicks labels a 1/(1-p) axis: 1 → 0%, 10 → 90%, 100 → 99%, ...
func percentileTicks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for k := 0; k < 10; k++ {
		v := math.Pow(10, float64(k))
		if v > max*1.0001 {
			break
		}
		if v < min/1.0001 {
			continue
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: percentileLabel(k)})
		// Minor ticks at 2..9 × 10^k, as on any log axis.
		for m := 2; m < 10; m++ {
			if mv := v * float64(m); mv <= max {
				ticks = append(ticks, plot.Tick{Value: mv})
			}
		}
	}
	return ticks
}

// percentileLabel names the percentile at x = 10^k: k nines.
func percentileLabel(k int) string {
	switch k {
	case 0:
		return "0%"
	case 1:
		return "90%"
	case 2:
		return "99%"
	}
	return "99." + strings.Repeat("9", k-2) + "%"
}

// niceMax rounds v up to 1, 2, 2.5 or 5 × 10^n, leaving some headroom.
func niceMax(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	v *= 1.05
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*e >= v {
			return m * e
		}
	}
	return 10 * e
}

// hexColor parses "#rrggbb" or "#rrggbbaa" (alpha for pale lines).
func hexColor(s string) color.Color {
	s = strings.TrimPrefix(s, "#")
	v, err := strconv.ParseUint(s, 16, 32)
	switch {
	case err != nil:
		return color.Black
	case len(s) == 6:
		return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}
	case len(s) == 8:
		// color.RGBA is alpha-premultiplied.
		a := uint32(v & 0xff)
		pre := func(c uint32) uint8 { return uint8(c * a / 255) }
		return color.RGBA{R: pre(uint32(v >> 24)), G: pre(uint32(v>>16) & 0xff), B: pre(uint32(v>>8) & 0xff), A: uint8(a)}
	}
	return color.Black
}

// percentileCurve samples d's percentile distribution for a plot: x =
// 1/(1-p) from 1 to n on a log scale (the highest percentile n values can
// resolve), ending at the maximum.
func percentileCurve(d *cdist) (xs, ys []float64) {
	if d == nil || d.n == 0 {
		return nil, nil
	}
	n := float64(d.n)
	const points = 240
	top := math.Log10(math.Max(n, 1))
	for i := 0; i < points; i++ {
		x := math.Pow(10, top*float64(i)/(points-1))
		p := 1 - 1/x
		xs = append(xs, x)
		ys = append(ys, float64(d.quantile(p)))
	}
	if len(xs) > 0 {
		xs[len(xs)-1] = math.Max(n, 1)
		ys[len(ys)-1] = float64(d.atRank(d.n))
	}
	return xs, ys
}
