package report

// The time axis of the HTML report: the run's timeline (warm-up, stages,
// the measured part) and the figures drawn over it.

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/msnbench/msnbench/report/internal/viz"
)

// shortRunNote replaces a plot over time when the run is shorter than one
// interval.
const shortRunNote = "run shorter than one interval: nothing to draw over time"

// timeline is the time axis every time plot of a run shares: [0, End]
// seconds since the start, with the warm-up and stage marks.
type timeline struct {
	End      float64 // the run's length, s
	Interval float64 // one series interval, s
	Marks    []viz.Mark
	// Short is set when the run was shorter than one interval: there is
	// nothing to draw over time.
	Short bool
}

func timelineOf(run *Run) timeline {
	tl := timeline{Interval: run.Interval().Seconds(), End: run.Elapsed().Seconds()}
	if tl.Interval <= 0 {
		tl.Interval = 1
	}
	// Without a start and end (old or hand-made files), the data decide.
	last := 0.0
	for _, pt := range run.Series {
		last = math.Max(last, pt.T+tl.Interval)
	}
	for i := range run.Phases {
		for _, iv := range run.Phases[i].Intervals {
			last = math.Max(last, iv.Start+tl.Interval)
		}
	}
	if tl.End <= 0 {
		tl.End = last
	}
	tl.Short = tl.End > 0 && tl.End < tl.Interval
	if w := time.Duration(run.Config.Warmup).Seconds(); w > 0 {
		tl.Marks = append(tl.Marks, viz.Mark{From: 0, To: math.Min(w, tl.End), Label: "warm-up"})
	}
	at := 0.0
	stages := stageLengths(run.Config.Stages)
	for i, d := range stages {
		if i > 0 && at < tl.End {
			tl.Marks = append(tl.Marks, viz.Mark{From: at, To: at, Label: "stage " + strconv.Itoa(i+1)})
		}
		at += d
	}
	return tl
}

// legend says what the marks are, for the caption of the time plots.
func (tl timeline) legend() string {
	var parts []string
	for _, m := range tl.Marks {
		if m.To > m.From {
			parts = append(parts, fmt.Sprintf("shaded: %s (0–%s s, not measured)", m.Label, viz.TickNum(m.To)))
			break
		}
	}
	for _, m := range tl.Marks {
		if m.To <= m.From {
			parts = append(parts, "dashed lines: where each --stages stage begins")
			break
		}
	}
	return strings.Join(parts, "; ")
}

// mid is where an interval starting at t is drawn: its middle, for the
// last, shorter one the middle of what the run covered of it.
func (tl timeline) mid(t float64) float64 {
	end := t + tl.Interval
	if tl.End > t && tl.End < end {
		end = tl.End
	}
	return (t + end) / 2
}

// inWarmup says whether the interval starting at t lies wholly in the
// warm-up, whose sessions are not measured.
func (tl timeline) inWarmup(t float64) bool {
	for _, m := range tl.Marks {
		if m.Label == "warm-up" && t+tl.length(t) <= m.To+1e-9 {
			return true
		}
	}
	return false
}

// length is how much of the interval starting at t the run covered, s.
func (tl timeline) length(t float64) float64 {
	if tl.End > t && tl.End < t+tl.Interval {
		return tl.End - t
	}
	return tl.Interval
}

// stageLengths returns the lengths in seconds of the stages of a --stages
// profile ("30s:0->500,2m:500"), or nil when it does not parse: the marks
// are a reading aid, and the profile was checked when the run started.
func stageLengths(s string) []float64 {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var out []float64
	for _, part := range strings.Split(s, ",") {
		ds, _, ok := strings.Cut(strings.TrimSpace(part), ":")
		d, err := time.ParseDuration(strings.TrimSpace(ds))
		if !ok || err != nil || d <= 0 {
			return nil
		}
		out = append(out, d.Seconds())
	}
	return out
}

// timeFigure renders a time plot on the run's time axis, or says why not.
func timeFigure(title string, vp viz.Plot, tl timeline, empty string) (htmlFigure, error) {
	if tl.Short {
		return htmlFigure{Title: title, Note: shortRunNote}, nil
	}
	vp.XMax, vp.Marks = tl.End, tl.Marks
	return htmlFigureOf(title, vp, empty)
}

// intervalLines returns one line per percentile of a phase's per-interval
// histograms, each point in the middle of its interval. An unreadable
// interval is left out and noted.
func intervalLines(p *PhaseResult, pcts []float64, tl timeline, notes *[]string) ([]viz.Line, error) {
	lines := make([]viz.Line, len(pcts))
	for i, q := range pcts {
		lines[i] = viz.Line{Name: "p" + viz.TrimPct(q), Color: viz.Color(i)}
	}
	bad := 0
	for _, iv := range p.Intervals {
		h, err := decodePacked(iv.Hist)
		if err != nil {
			bad++
			continue
		}
		if h.TotalCount() == 0 {
			continue
		}
		vals := h.ValueAtPercentilesSlice(pcts)
		for i := range pcts {
			lines[i].X = append(lines[i].X, tl.mid(iv.Start))
			lines[i].Y = append(lines[i].Y, float64(vals[i]))
		}
	}
	if bad > 0 {
		*notes = append(*notes, fmt.Sprintf("%s: %d of %d interval histograms could not be decoded and are not plotted", p.Name, bad, len(p.Intervals)))
	}
	if len(lines[0].X) == 0 {
		return nil, nil
	}
	return lines, nil
}

// htmlTraffic draws logins/s and failures/s over time, and sessions in
// flight.
func htmlTraffic(run *Run, tl timeline) ([]htmlFigure, error) {
	if len(run.Series) == 0 {
		return nil, nil
	}
	ok := viz.Line{Name: "ok logins/s", Color: viz.Color(2), Width: 2}
	failed := viz.Line{Name: "failed/s", Color: viz.Color(3), Width: 2}
	started := viz.Line{Name: "started/s", Color: viz.Color(7), Dash: true}
	inflight := viz.Line{Name: "in flight (end of interval)", Color: viz.Color(0), Width: 2}
	held := viz.Line{Name: "held (logged in)", Color: viz.Color(4), Width: 2}
	anyHeld := false
	dropped := viz.Line{Name: "dropped starts/s", Color: viz.Color(1)}
	anyDropped := false
	for _, pt := range run.Series {
		end := math.Min(pt.T+tl.Interval, tl.End)
		inflight.X, inflight.Y = append(inflight.X, end), append(inflight.Y, float64(pt.Inflight))
		held.X, held.Y = append(held.X, end), append(held.Y, float64(pt.Held))
		anyHeld = anyHeld || pt.Held > 0
		sec := tl.length(pt.T)
		if sec < tl.Interval/5 {
			continue // the run's last few ms: a rate over them says little
		}
		x := tl.mid(pt.T)
		started.X, started.Y = append(started.X, x), append(started.Y, float64(pt.Started)/sec)
		dropped.X, dropped.Y = append(dropped.X, x), append(dropped.Y, float64(pt.Dropped)/sec)
		anyDropped = anyDropped || pt.Dropped > 0
		if tl.inWarmup(pt.T) {
			continue // its sessions are counted apart: no ok or failed to draw
		}
		ok.X, ok.Y = append(ok.X, x), append(ok.Y, float64(pt.OK)/sec)
		failed.X, failed.Y = append(failed.X, x), append(failed.Y, float64(pt.Failed)/sec)
	}
	rate := viz.Plot{Kind: viz.Count, W: viz.WideW, H: viz.WideH, YLabel: "sessions per second", Lines: []viz.Line{started, ok, failed}}
	if anyDropped {
		rate.Lines = append(rate.Lines, dropped)
	}
	f1, err := timeFigure("Logins and errors per second", rate, tl, "")
	if err != nil {
		return nil, err
	}
	// A held session has finished its login, so it is not in flight; a run
	// that holds draws its held sessions beside those still in flight.
	title, ylabel, lines := "Sessions in flight", "sessions in flight (count)", []viz.Line{inflight}
	if anyHeld {
		title, ylabel, lines = "Sessions in flight and held", "sessions (count)", []viz.Line{inflight, held}
	}
	f2, err := timeFigure(title, viz.Plot{Kind: viz.Count, W: viz.WideW, H: viz.WideH, YLabel: ylabel, Lines: lines}, tl, "")
	if err != nil {
		return nil, err
	}
	return []htmlFigure{f1, f2}, nil
}

// htmlErrorsOverTime draws failures per second by error class, or all
// failures as one line for runs written before the series split them.
func htmlErrorsOverTime(run *Run, tl timeline) ([]htmlFigure, error) {
	totals := map[string]int64{}
	var failed int64
	for _, pt := range run.Series {
		failed += pt.Failed
		for c, n := range pt.FailedByClass {
			totals[c] += n
		}
	}
	if failed == 0 {
		return nil, nil
	}
	classes := make([]string, 0, len(totals))
	for c := range totals {
		classes = append(classes, c)
	}
	sort.Slice(classes, func(i, j int) bool {
		if totals[classes[i]] != totals[classes[j]] {
			return totals[classes[i]] > totals[classes[j]]
		}
		return classes[i] < classes[j]
	})
	title := "Failures per second by class"
	if len(classes) == 0 {
		classes, title = []string{""}, "Failures per second (this run file does not split them by class)"
	}
	lines := make([]viz.Line, len(classes))
	for i, c := range classes {
		lines[i] = viz.Line{Name: c + "/s", Color: viz.Color(3 + i), Width: 2}
		if c == "" {
			lines[i].Name = "failed/s"
		}
	}
	for _, pt := range run.Series {
		sec := tl.length(pt.T)
		if sec < tl.Interval/5 || tl.inWarmup(pt.T) {
			continue // as in htmlTraffic
		}
		x := tl.mid(pt.T)
		for i, c := range classes {
			n := pt.FailedByClass[c]
			if c == "" {
				n = pt.Failed
			}
			lines[i].X, lines[i].Y = append(lines[i].X, x), append(lines[i].Y, float64(n)/sec)
		}
	}
	f, err := timeFigure(title, viz.Plot{Kind: viz.Count, W: viz.WideW, H: viz.WideH, YLabel: "failed sessions per second", Lines: lines}, tl, "")
	if err != nil {
		return nil, err
	}
	return []htmlFigure{f}, nil
}
