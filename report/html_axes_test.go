package report_test

import (
	"bytes"
	"html"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/fixture"
)

// svgAxes reads the axis texts of one plot as vgsvg draws them: the x
// label, the x tick labels, the y label, the y tick labels, in that order;
// texts drawn later (the marks' labels) are in rest.
type svgAxes struct {
	XLabel, YLabel string
	XTicks, YTicks []string
	Rest           []string
}

var (
	svgRe  = regexp.MustCompile(`(?s)<svg.*?</svg>`)
	textRe = regexp.MustCompile(`(?s)<text[^>]*>([^<]*)</text>`)
)

func plotsOf(page string) []svgAxes {
	var out []svgAxes
	for _, svg := range svgRe.FindAllString(page, -1) {
		var texts []string
		for _, m := range textRe.FindAllStringSubmatch(svg, -1) {
			texts = append(texts, html.UnescapeString(m[1]))
		}
		var a svgAxes
		stage := 0
		for _, t := range texts {
			isTick := strings.HasSuffix(t, "%")
			if _, err := strconv.ParseFloat(t, 64); err == nil {
				isTick = true
			}
			switch {
			case stage == 0:
				a.XLabel, stage = t, 1
			case stage == 1 && isTick:
				a.XTicks = append(a.XTicks, t)
			case stage == 1:
				a.YLabel, stage = t, 2
			case stage == 2 && isTick:
				a.YTicks = append(a.YTicks, t)
			default:
				a.Rest, stage = append(a.Rest, t), 3
			}
		}
		out = append(out, a)
	}
	return out
}

func renderHTML(t *testing.T, run *report.Run) string {
	t.Helper()
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, run); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestHTMLAxes: every axis names its unit, every linear axis has 5 to 8
// labelled ticks, the phase panels share one latency scale and range, and
// every time plot covers the run's [0, elapsed].
func TestHTMLAxes(t *testing.T) {
	run := fixture.SynthRun(t, fixture.SynthSpec{Seed: 5, Seconds: 8, Rate: 100, Steps: true, FailRate: 0.02})
	// A stalled run: the latency intervals stop at 5 s, the series goes on
	// to the end (8 s).
	for i := range run.Phases {
		p := &run.Phases[i]
		p.Intervals = slices.DeleteFunc(p.Intervals, func(iv report.Interval) bool { return iv.Start >= 5 })
	}
	page := renderHTML(t, run)
	plots := plotsOf(page)
	if len(plots) == 0 {
		t.Fatal("no plots")
	}
	unit := regexp.MustCompile(`\((µs|ms|s)(, log scale)?\)$|\(s\)$|per second$|\(count\)$|^percentile`)
	var timeTicks []string
	for i, a := range plots {
		for _, l := range []string{a.XLabel, a.YLabel} {
			if !unit.MatchString(l) {
				t.Errorf("plot %d: axis label %q names no unit", i, l)
			}
		}
		if !strings.Contains(a.YLabel, "log scale") && (len(a.YTicks) < 5 || len(a.YTicks) > 9) {
			t.Errorf("plot %d (%s): %d y ticks %v, want 5 to 8 (9 with 0)", i, a.YLabel, len(a.YTicks), a.YTicks)
		}
		if strings.HasPrefix(a.XLabel, "time") {
			if timeTicks == nil {
				timeTicks = a.XTicks
			} else if !slices.Equal(a.XTicks, timeTicks) {
				t.Errorf("plot %d: time axis %v, another has %v: not one time axis", i, a.XTicks, timeTicks)
			}
		}
	}
	if len(timeTicks) == 0 || timeTicks[len(timeTicks)-1] != "8" {
		t.Errorf("time axis %v, want it to end at the run's 8 s", timeTicks)
	}
	// The phase panels (after the 4 headline and traffic plots): one y
	// axis for all.
	var phases []svgAxes
	for _, a := range plots[4:] {
		if strings.HasPrefix(a.YLabel, "latency") {
			phases = append(phases, a)
		}
	}
	for _, a := range phases[1:] {
		if a.YLabel != phases[0].YLabel || !slices.Equal(a.YTicks, phases[0].YTicks) {
			t.Errorf("phase panel y axis %q %v, another has %q %v", a.YLabel, a.YTicks, phases[0].YLabel, phases[0].YTicks)
			break
		}
	}
}

// TestHTMLTimeMarks: the warm-up is a shaded band and every stage after the
// first begins at a dashed line, on every time plot, and the page says so.
func TestHTMLTimeMarks(t *testing.T) {
	run := fixture.SynthRun(t, fixture.SynthSpec{Seed: 6, Seconds: 6, Rate: 50})
	run.Config.Warmup = report.Duration(2 * time.Second)
	run.Config.Stages = "2s:0->20,2s:20,2s:20->5"
	page := renderHTML(t, run)
	for _, a := range plotsOf(page) {
		if !strings.HasPrefix(a.XLabel, "time") {
			continue
		}
		if got := strings.Join(a.Rest, " "); got != "warm-up stage 2 stage 3" {
			t.Errorf("%s plot: marks %q, want warm-up, stage 2, stage 3", a.YLabel, got)
		}
	}
	if !strings.Contains(page, "shaded: warm-up (0–2 s, not measured)") || !strings.Contains(page, "dashed lines: where each --stages stage begins") {
		t.Error("page does not explain the marks")
	}
	if strings.Contains(renderHTML(t, fixture.SynthRun(t, fixture.SynthSpec{Seed: 6, Seconds: 3})), "shaded: warm-up") {
		t.Error("warm-up explained on a run without one")
	}
}

// TestHTMLShortRun: a run shorter than one interval says so instead of
// drawing empty time plots.
func TestHTMLShortRun(t *testing.T) {
	run := fixture.SynthRun(t, fixture.SynthSpec{Seed: 7, Seconds: 1, Rate: 50})
	run.End = run.Start.Add(87 * time.Millisecond)
	page := renderHTML(t, run)
	if got := strings.Count(page, report.ShortRunNote); got != 3+len(run.Phases)-1 {
		t.Errorf("%d notes %q, want one per time plot (%d)", got, report.ShortRunNote, 3+len(run.Phases)-1)
	}
	for _, a := range plotsOf(page) {
		if strings.HasPrefix(a.XLabel, "time") {
			t.Error("a time plot on a run shorter than one interval")
		}
	}
}

// TestHTMLHealthClosed: GC pauses read like the latencies; a closed run
// has no schedule lag and no login.intended row.
func TestHTMLHealthClosed(t *testing.T) {
	run := fixture.SynthRun(t, fixture.SynthSpec{Seed: 8, Seconds: 2, NoIntervals: true})
	run.Health.GCPauseTotal = report.Duration(3274321 * time.Nanosecond)
	run.Health.GCPauseMax = report.Duration(812 * time.Microsecond)
	in := *run.Phase("login")
	in.Name = "login.intended"
	run.Phases = append(run.Phases, in)

	run.Config.Model = "open"
	page := renderHTML(t, run)
	if !strings.Contains(page, "pauses 3.27ms total, 812µs max") {
		t.Error("GC pauses not formatted like latencies")
	}
	if !strings.Contains(page, "schedule lag") || !strings.Contains(page, ">login.intended<") {
		t.Error("open run lacks schedule lag or login.intended")
	}
	run.Config.Model = "closed"
	page = renderHTML(t, run)
	if strings.Contains(page, "schedule lag") || strings.Contains(page, "login.intended") {
		t.Error("closed run shows schedule lag or login.intended")
	}
}

// TestHTMLErrorsOverTime: a run with failures plots them per second by
// class; one whose series does not split them plots them all as one line;
// one without failures has no such plot.
func TestHTMLErrorsOverTime(t *testing.T) {
	run := fixture.SynthRun(t, fixture.SynthSpec{Seed: 9, Seconds: 4, Rate: 100, FailRate: 0.05, NoIntervals: true})
	for i := range run.Series {
		if run.Series[i].Failed > 1 {
			run.Series[i].FailedByClass["timeout"] = 1
			run.Series[i].FailedByClass["server"]--
		}
	}
	page := renderHTML(t, run)
	errs := page[strings.Index(page, `<h2 id="errors">`):]
	if !strings.Contains(errs, "Failures per second by class") || !strings.Contains(errs, ">server/s<") || !strings.Contains(errs, ">timeout/s<") {
		t.Error("no plot of failures by class in the errors section")
	}
	if i, j := strings.Index(errs, ">server/s<"), strings.Index(errs, ">timeout/s<"); i > j {
		t.Error("classes not ordered by count")
	}
	for i := range run.Series {
		run.Series[i].FailedByClass = nil
	}
	if page := renderHTML(t, run); !strings.Contains(page, "does not split them by class") || !strings.Contains(page, ">failed/s<") {
		t.Error("no plot of all failures for a series without classes")
	}
	if page := renderHTML(t, fixture.SynthRun(t, fixture.SynthSpec{Seed: 9, Seconds: 2, NoIntervals: true})); strings.Contains(page, "Failures per second") {
		t.Error("a failures plot on a run without failures")
	}
}
