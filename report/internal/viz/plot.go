// Package viz draws the plots of the HTML pages (the report's and
// compare's) and formats the values they show: latencies, percentiles and
// shares. It is internal to report and its compare package.
package viz

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

	"github.com/msnbench/msnbench/report/internal/dist"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Line is one line of a plot. X and Y are data coordinates; latencies
// are in µs and converted to the plot's unit when drawn.
type Line struct {
	Name  string
	Color string // CSS hex colour, also used by the HTML legend
	Dash  bool
	Width float64 // points; 0 means 1.5
	X, Y  []float64
}

// Palette is a colour-blind-safe set (Okabe–Ito, then Tableau tones) in
// the order lines are given colours.
var Palette = []string{
	"#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9",
	"#8c564b", "#7f7f7f", "#bcbd22", "#17becf", "#9467bd", "#f0e442",
}

// Color is the i-th colour of Palette, round again after its last.
func Color(i int) string { return Palette[i%len(Palette)] }

// PlotKind selects the axes of a plot.
type PlotKind int

const (
	Percentile PlotKind = iota // x: percentile on a 1/(1-p) log axis, y: latency
	OverTime                   // x: seconds since start, y: latency
	Count                      // x: seconds since start, y: a plain number (rate, in flight)
)

// Plot describes one plot to render.
type Plot struct {
	Kind   PlotKind
	W, H   vg.Length
	YLabel string // for Count, with its unit; latency plots label themselves
	Lines  []Line
	// Scale of a latency axis: 0 decides from the lines (see wantLogY),
	// ScaleLog and ScaleLinear force it, so plots shown side by side agree.
	Scale int
	// YLo, YHi fix a latency axis's range (µs) so plots shown together
	// share it (see LatencyRange); 0, 0 fits the lines.
	YLo, YHi float64
	// XMax fixes the end of a time axis (seconds), so every time plot of a
	// run covers the same [0, XMax]; 0 fits the lines.
	XMax float64
	// Marks shade or mark stretches of a time axis (warm-up, stages).
	Marks []Mark
}

// Mark is a stretch of a time axis drawn as a pale band (To > From), or
// one instant drawn as a dashed vertical line (To <= From).
type Mark struct {
	From, To float64
	Label    string
}

// Scales of a latency axis (Plot.Scale).
const (
	ScaleAuto = iota
	ScaleLog
	ScaleLinear
)

// Plot sizes, in points. They are rendered at roughly these sizes on a
// laptop screen, so the 9–10 pt axis text stays readable.
const (
	WideW, WideH   = 560, 300
	SmallW, SmallH = 300, 190
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

// LatencyRange is the range a latency axis needs to show lines on the
// given scale: from 0 (linear) or the decade below the smallest value (log)
// to a round value above the largest, in µs. Plots shown together take it
// from all their lines and pass it as YLo, YHi.
func LatencyRange(lines []Line, scale int) (lo, hi float64) {
	if scale == ScaleLog {
		lo, hi = positiveRange(lines)
		lo = math.Pow(10, math.Floor(math.Log10(lo)))
		hi = niceLogMax(lo, hi)
		if hi <= lo {
			hi = lo * 10
		}
		return lo, hi
	}
	m := 0.0
	for _, l := range lines {
		for _, y := range l.Y {
			m = math.Max(m, y)
		}
	}
	_, div := latencyUnit(m)
	return 0, niceMax(m/div) * div
}

// niceLogMax rounds v up to the next value logTicks labels on an axis
// from lo (1, 2, 3 or 5 × 10^k, or 10^k, depending on the decades it
// spans), so the top of the axis is always labelled.
func niceLogMax(lo, v float64) float64 {
	if v <= lo {
		return lo
	}
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 3, 5, 10} {
		top := m * e
		if top < v*0.999 {
			continue
		}
		if ticks := logTicks(lo, top); len(ticks) > 0 && ticks[len(ticks)-1].Label != "" {
			return top
		}
	}
	return 10 * e
}

// Render draws the plot and returns it as an inline <svg> element.
func (vp Plot) Render() (template.HTML, error) {
	p := plot.New()
	p.BackgroundColor = color.White
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = font.Font{Typeface: "Liberation", Variant: "Sans", Size: 10}
		ax.Tick.Label.Font = font.Font{Typeface: "Liberation", Variant: "Sans", Size: 9}
		ax.Tick.Color = color.Gray{Y: 120}
		ax.LineStyle.Color = color.Gray{Y: 120}
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 225}
	grid.Horizontal.Color = color.Gray{Y: 225}

	maxY, maxX := 0.0, 0.0
	for _, l := range vp.Lines {
		for i := range l.Y {
			maxY = math.Max(maxY, l.Y[i])
			maxX = math.Max(maxX, l.X[i])
		}
	}
	div := 1.0 // data units per axis unit
	logY := false
	switch vp.Kind {
	case Percentile, OverTime:
		scale := vp.Scale
		if scale == ScaleAuto {
			scale = ScaleFor(vp.Lines)
		}
		logY = scale == ScaleLog
		lo, hi := vp.YLo, vp.YHi
		if hi <= lo {
			lo, hi = LatencyRange(vp.Lines, scale)
		}
		// One unit for the whole axis, named in its label: the one the
		// top of the axis reads best in.
		unit, d := latencyUnit(hi * 0.95)
		div = d
		if logY {
			p.Y.Label.Text = "latency (" + unit + ", log scale)"
			p.Y.Scale = plot.LogScale{}
			p.Y.Tick.Marker = plot.TickerFunc(logTicks)
		} else {
			p.Y.Label.Text = "latency (" + unit + ")"
			p.Y.Tick.Marker = plot.TickerFunc(niceTicks)
		}
		p.Y.Min, p.Y.Max = lo/div, hi/div
	default:
		p.Y.Label.Text = vp.YLabel
		p.Y.Min, p.Y.Max = 0, niceMax(maxY)
		p.Y.Tick.Marker = plot.TickerFunc(niceTicks)
	}

	switch vp.Kind {
	case Percentile:
		p.X.Label.Text = "percentile (log scale of 1/(1−p))"
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.TickerFunc(percentileTicks)
		p.X.Min = 1
		p.X.Max = math.Max(10, maxX)
	default:
		p.X.Label.Text = "time since start (s)"
		p.X.Min = 0
		p.X.Max = vp.XMax
		if p.X.Max <= 0 {
			p.X.Max = math.Max(1, maxX)
		}
		p.X.Tick.Marker = plot.TickerFunc(niceTicks)
		if len(vp.Marks) > 0 {
			p.Add(timeMarks(vp.Marks))
		}
	}
	p.Add(grid)

	for _, l := range vp.Lines {
		xys := make(plotter.XYs, 0, len(l.X))
		for i := range l.X {
			if vp.Kind == Percentile && l.X[i] < 1 {
				continue // not on a log axis
			}
			y := l.Y[i] / div
			if logY && y < p.Y.Min {
				y = p.Y.Min // 0 has no place on a log axis
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
		if len(xys) == 1 {
			// One point draws no line: show it as a dot.
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				return "", fmt.Errorf("plot %s: %w", l.Name, err)
			}
			sc.GlyphStyle.Color = ln.Color
			sc.GlyphStyle.Shape = draw.CircleGlyph{}
			sc.GlyphStyle.Radius = vg.Points(2.5)
			p.Add(sc)
		}
	}

	c := vgsvg.New(vp.W, vp.H)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", err
	}
	return inlineSVG(buf.String()), nil
}

// timeMarks draws Marks under the lines of a time plot.
type timeMarks []Mark

func (ms timeMarks) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	top, bottom := c.Max.Y, c.Min.Y
	clamp := func(x vg.Length) vg.Length { return max(c.Min.X, min(c.Max.X, x)) }
	txt := draw.TextStyle{Color: color.Gray{Y: 90}, Font: font.From(font.Font{Typeface: "Liberation", Variant: "Sans"}, 8),
		Handler: p.Title.TextStyle.Handler, XAlign: draw.XLeft, YAlign: draw.YTop}
	for _, m := range ms {
		x0 := clamp(trX(m.From))
		if m.To > m.From {
			x1 := clamp(trX(m.To))
			c.FillPolygon(color.RGBA{R: 232, G: 232, B: 236, A: 255}, []vg.Point{{X: x0, Y: bottom}, {X: x1, Y: bottom}, {X: x1, Y: top}, {X: x0, Y: top}})
		} else {
			c.StrokeLine2(draw.LineStyle{Color: color.Gray{Y: 150}, Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(3), vg.Points(3)}},
				x0, bottom, x0, top)
		}
		if m.Label != "" {
			c.FillText(txt, vg.Point{X: x0 + vg.Points(2), Y: top - vg.Points(1)}, m.Label)
		}
	}
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

// niceTicks labels a linear axis with 5 to 8 round values (1, 2, 2.5 or 5
// × 10^k apart), without trailing zeros, and puts an unlabelled minor tick
// between them.
func niceTicks(min, max float64) []plot.Tick {
	if !(max > min) {
		return []plot.Tick{{Value: min, Label: TickNum(min)}}
	}
	step := niceStep(max - min)
	var ticks []plot.Tick
	first := math.Ceil(min/step-1e-9) * step
	for i := 0; ; i++ {
		v := first + float64(i)*step
		if v > max+step*1e-9 {
			break
		}
		v = math.Round(v/step*1e6) / 1e6 * step // no 0.30000000000000004
		ticks = append(ticks, plot.Tick{Value: v, Label: TickNum(v)})
		if mv := v + step/2; mv < max {
			ticks = append(ticks, plot.Tick{Value: mv})
		}
	}
	return ticks
}

// niceStep is the round step that cuts span into 5 to 8 parts (4 to 10
// for spans no such step fits).
func niceStep(span float64) float64 {
	e := math.Pow(10, math.Floor(math.Log10(span)))
	best, bestScore := e, math.Inf(1)
	for _, k := range []float64{0.1, 1, 10} {
		for _, m := range []float64{1, 2, 2.5, 5} {
			step := m * e * k
			n := span / step
			score := math.Abs(n - 6)
			if n >= 5-1e-9 && n <= 8+1e-9 {
				score -= 10 // in the range: prefer these
			}
			if score < bestScore {
				best, bestScore = step, score
			}
		}
	}
	return best
}

// TickNum formats an axis tick value.
func TickNum(v float64) string {
	if math.Abs(v) < 1e-12 {
		return "0"
	}
	// Six significant digits drop float noise; 'f' keeps small values
	// out of exponent form ("0.001", not "1e-03").
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 6, 64), 64)
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// wantLogY says whether latency lines span so many decades that a linear
// axis would flatten everything below the tail: the highest value is more
// than 20 times the low tenth of all points (on a percentile curve that is
// about the median; over time, the lower p50s).
func wantLogY(lines []Line) bool {
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

// ScaleFor decides once for plots that are shown together.
func ScaleFor(lines []Line) int {
	if wantLogY(lines) {
		return ScaleLog
	}
	return ScaleLinear
}

// positiveRange is the smallest (at least 1) and largest Y of lines.
func positiveRange(lines []Line) (lo, hi float64) {
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

// logTicks labels a log axis at 1, 2 and 5 × 10^k; when it spans more than
// two and a half decades at 1 and 3 × 10^k, and beyond four and a half at
// powers of ten only, so the labels do not crowd each other. Every 1..9 ×
// 10^k has a tick, and the top one a label when it has room.
func logTicks(min, max float64) []plot.Tick {
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
			switch {
			case m == 1,
				decades <= 2.5 && (m == 2 || m == 5),
				decades > 2.5 && decades <= 4.5 && m == 3:
				t.Label = TickNum(v)
			}
			ticks = append(ticks, t)
		}
	}
	// The top of the axis is labelled too when that leaves its label room
	// (half a decade above the last one).
	if n := len(ticks); n > 0 && ticks[n-1].Label == "" {
		for i := n - 2; i >= 0; i-- {
			if ticks[i].Label != "" {
				if math.Log10(ticks[n-1].Value/ticks[i].Value) >= 0.45 {
					ticks[n-1].Label = TickNum(ticks[n-1].Value)
				}
				break
			}
		}
	}
	return ticks
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

// PercentileCurve samples d's percentile distribution for a plot: x =
// 1/(1-p) from 1 to n on a log scale (the highest percentile n values can
// resolve), ending at the maximum.
func PercentileCurve(d *dist.Dist) (xs, ys []float64) {
	if d == nil || d.N() == 0 {
		return nil, nil
	}
	n := float64(d.N())
	const points = 240
	top := math.Log10(math.Max(n, 1))
	for i := 0; i < points; i++ {
		x := math.Pow(10, top*float64(i)/(points-1))
		p := 1 - 1/x
		xs = append(xs, x)
		ys = append(ys, float64(d.Quantile(p)))
	}
	if len(xs) > 0 {
		xs[len(xs)-1] = math.Max(n, 1)
		ys[len(ys)-1] = float64(d.AtRank(d.N()))
	}
	return xs, ys
}
