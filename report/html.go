package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/msnbench/msnbench/report/internal/dist"
	"github.com/msnbench/msnbench/report/internal/viz"
)

//go:embed html_report.tmpl
var htmlReportTmpl string

//go:embed html_style.css
var htmlStyle string

// htmlTemplates holds the report page.
var htmlTemplates = HTMLTemplates()

// HTMLTemplates returns a new copy of the templates the HTML report is made
// of, for another page to add its own to (with Parse) so that it looks like
// the report: "head" is the document head with the shared style sheet (its
// data is the page title), "figure" a titled plot with its legend, and
// "report" the report page itself.
func HTMLTemplates() *template.Template {
	return template.Must(template.New("html").Funcs(template.FuncMap{
		"css": func() template.CSS { return template.CSS(htmlStyle) },
	}).Parse(htmlReportTmpl))
}

func init() { Register("html", WriteHTML) }

// WriteHTML writes run as one self-contained HTML page: inline CSS and
// inline SVG plots, no script and nothing fetched over the network, so it
// can be mailed or archived and opened anywhere. It shows the percentile
// distribution of every phase on a logarithmic percentile axis, latency,
// logins/s and errors over time, the counts, the error table, the
// configuration, the machine, and the generator's health, with a banner when
// the generator was saturated.
func WriteHTML(w io.Writer, run *Run) error {
	v, err := buildHTMLView(run)
	if err != nil {
		return err
	}
	ew := &errWriter{w: w}
	if err := htmlTemplates.ExecuteTemplate(ew, "report", v); err != nil {
		if ew.err != nil {
			return ew.err
		}
		return fmt.Errorf("html report: %w", err)
	}
	return ew.err
}

// htmlView is everything the report template shows, already formatted.
type htmlView struct {
	Title      string
	Subtitle   string
	Saturated  bool
	Limited    bool // Saturated or MachineBusy
	Warnings   []string
	Notes      []string // data the page could not show, and why
	Cards      []htmlCard
	Headline   []htmlFigure
	Traffic    []htmlFigure
	TimeMarks  string // what the bands and lines on the time plots mark
	Phases     []htmlPhaseRow
	PhaseCards []htmlPhaseCard
	Errors     []htmlErrorRow
	// ErrorsOverTime is failures per second by class, when the run had
	// failures.
	ErrorsOverTime []htmlFigure
	ErrorTexts     []htmlErrorText
	Cuts           []htmlErrorRow // sessions cut by the end of the run, by phase
	Deliveries     []string       // notifications expected and lost, per phase (deliveryLine)
	Unlisted       int64          // failures of class other beyond the listed texts
	Hints          []string       // what the figures suggest to check (Hints)
	Interrupted    bool
	Config         []htmlKV
	Machine        []htmlKV
	Health         []htmlKV
	Footer         string
}

type htmlCard struct {
	Name, Value, Note string
	Bad               bool
}

type htmlFigure struct {
	Title  string
	Note   string // shown instead of the plot when there is nothing to draw
	SVG    template.HTML
	Legend []htmlLegend
}

type htmlLegend struct {
	Name, Color string
	Dash        bool
}

type htmlPhaseRow struct {
	Name                                        string
	Count                                       int64
	Mean, Min, P50, P90, P99, P999, Max, Intent string
}

type htmlPhaseCard struct {
	Name    string
	Summary string
	Dist    htmlFigure
	Time    htmlFigure
}

type htmlErrorRow struct {
	Phase, Class, Code, Share string
	Meaning                   string // the detail or the code's meaning
	Count                     int64
}

type htmlErrorText struct {
	Where, Message string
	Count          int64
}

type htmlKV struct{ K, V string }

func buildHTMLView(run *Run) (*htmlView, error) {
	if run == nil {
		return nil, fmt.Errorf("html report: nil run")
	}
	v := &htmlView{
		Title:     "msnbench report",
		Saturated: run.Health.Saturated,
		Limited:   run.Health.Limited || run.Health.Saturated,
		Warnings:  run.Health.Warnings,
		Hints:     Hints(run),
	}
	if run.Label != "" {
		v.Title += ": " + run.Label
	}
	v.Subtitle = htmlSubtitle(run)
	v.Footer = fmt.Sprintf("%s · report schema %d", orDash(run.Tool), run.Schema)

	dists := map[string]*dist.Dist{}
	for i := range run.Phases {
		p := &run.Phases[i]
		h, err := DecodeHist(p.Hist)
		if err != nil {
			return nil, fmt.Errorf("html report: phase %s: %w", p.Name, err)
		}
		dists[p.Name] = dist.New(h)
	}
	v.Cards = htmlCards(run)

	tl := timelineOf(run)
	v.TimeMarks = tl.legend()
	var err error
	if v.Headline, err = htmlHeadline(run, dists, tl, &v.Notes); err != nil {
		return nil, err
	}
	if v.Traffic, err = htmlTraffic(run, tl); err != nil {
		return nil, err
	}
	if v.ErrorsOverTime, err = htmlErrorsOverTime(run, tl); err != nil {
		return nil, err
	}
	var cards []*PhaseResult
	for i := range run.Phases {
		p := &run.Phases[i]
		if run.Config.Model == "closed" && sameAsActual(run, p.Name) {
			continue // login.intended is login by definition in the closed model
		}
		v.Phases = append(v.Phases, htmlPhaseRowOf(p))
		if p.Name == Login.String() || sameAsActual(run, p.Name) {
			continue // the headline figures show it, or it repeats another card
		}
		cards = append(cards, p)
	}
	if v.PhaseCards, err = htmlPhaseCards(cards, dists, tl, &v.Notes); err != nil {
		return nil, err
	}
	v.Errors = htmlErrors(run)
	v.Deliveries = deliveryLines(run)
	if c := run.Chat; c != nil {
		v.Deliveries = append(v.Deliveries, c.Line())
	}
	for _, e := range run.ChatErrors {
		line := "chat failure (the held session went on): " + e.Phase + " " + e.Class
		if e.Code != 0 {
			line += " " + strconv.Itoa(e.Code)
		}
		line += " ×" + strconv.FormatInt(e.Count, 10)
		if m := e.Meaning(); m != "" {
			line += " (" + m + ")"
		}
		v.Deliveries = append(v.Deliveries, line)
	}
	for _, t := range run.ErrorTexts {
		where := t.Phase
		if t.Hold {
			where += " (held)"
		}
		v.ErrorTexts = append(v.ErrorTexts, htmlErrorText{Where: where, Message: t.Message, Count: t.Count})
	}
	v.Unlisted = unlistedOther(run)
	v.Interrupted = run.Interrupted
	for _, e := range run.Cuts {
		v.Cuts = append(v.Cuts, htmlErrorRow{Phase: e.Phase, Class: e.Class, Count: e.Count,
			Share: viz.FmtPct(ratio(e.Count, run.Counts.Attempted+run.Counts.Cut))})
	}
	v.Config = htmlConfig(run)
	v.Machine = htmlMachine(run)
	v.Health = htmlHealth(run)
	return v, nil
}

// sameAsActual reports whether name is an intended-start phase that adds
// nothing to its actual-start twin: in the closed model they are the same
// by definition, and otherwise when every summary percentile agrees (the
// means may differ by the few µs between intended and actual start).
// Plotting it would only hide a line.
func sameAsActual(run *Run, name string) bool {
	twin, ok := strings.CutSuffix(name, ".intended")
	if !ok {
		return false
	}
	p, q := run.Phase(name), run.Phase(twin)
	if p == nil || q == nil {
		return false
	}
	if run.Config.Model == "closed" || p.Hist == q.Hist {
		return true
	}
	ps, qs := p.Summary, q.Summary
	ps.Mean, qs.Mean = 0, 0
	return ps == qs
}

func htmlSubtitle(run *Run) string {
	var parts []string
	if t := run.Config.Target; t != "" {
		parts = append(parts, "target "+t)
	}
	if !run.Start.IsZero() {
		parts = append(parts, run.Start.UTC().Format("2006-01-02 15:04:05 MST"))
	}
	if e := run.Elapsed(); e > 0 {
		parts = append(parts, fmtDuration(e.Round(time.Millisecond)))
	}
	parts = append(parts, run.Config.DescribeLoad())
	return strings.Join(parts, " · ")
}

func htmlCards(run *Run) []htmlCard {
	c := run.Counts
	cards := []htmlCard{
		{Name: "sessions", Value: strconv.FormatInt(c.Attempted, 10), Note: "attempted"},
		{Name: "ok", Value: strconv.FormatInt(c.OK, 10), Note: viz.FmtPct(ratio(c.OK, c.Attempted))},
		{Name: "failed", Value: strconv.FormatInt(c.Failed, 10), Note: viz.FmtPct(run.ErrorRate()), Bad: c.Failed > 0},
	}
	if c.Cut > 0 {
		cards = append(cards, htmlCard{Name: "cut", Value: strconv.FormatInt(c.Cut, 10),
			Note: "in flight at the end of the run: not failures"})
	}
	if c.Dropped > 0 {
		cards = append(cards, htmlCard{Name: "dropped starts", Value: strconv.FormatInt(c.Dropped, 10), Note: "not issued (--max-inflight)", Bad: true})
	}
	if r := run.LoginRate(); r > 0 {
		cards = append(cards, htmlCard{Name: "rate", Value: strconv.FormatFloat(r, 'f', 1, 64),
			Note: "logins/s over " + fmtDuration(run.RateWindow().Round(time.Millisecond)) + " of measured sessions"})
	}
	// The same figures as the phase table and the text report (the run's
	// summary), not the plots' compressed distribution, which differs from
	// them by a few per cent in the tail.
	if p := run.Phase(Login.String()); p != nil && p.Summary.Count > 0 {
		s := p.Summary
		for _, q := range []struct {
			name string
			v    int64
		}{{"login p50", s.P50}, {"login p99", s.P99}, {"login p99.9", s.P999}} {
			cards = append(cards, htmlCard{Name: q.name, Value: viz.FmtUs(float64(q.v))})
		}
	}
	return cards
}

// htmlHeadline draws login (and session, and their intended-start variants
// when present) on one percentile plot, and login over time, both on one
// latency scale and range.
func htmlHeadline(run *Run, dists map[string]*dist.Dist, tl timeline, notes *[]string) ([]htmlFigure, error) {
	dist := viz.Plot{Kind: viz.Percentile, W: viz.WideW, H: viz.WideH}
	for i, name := range []string{"login", "login.intended", "session", "session.intended"} {
		d := dists[name]
		if d == nil || d.N() == 0 || sameAsActual(run, name) {
			continue
		}
		xs, ys := viz.PercentileCurve(d)
		dist.Lines = append(dist.Lines, viz.Line{Name: name, Color: viz.Color(i / 2 * 2), Dash: i%2 == 1, Width: 2, X: xs, Y: ys})
	}
	overTime := viz.Plot{Kind: viz.OverTime, W: viz.WideW, H: viz.WideH}
	if p := run.Phase(Login.String()); p != nil {
		lines, err := intervalLines(p, []float64{50, 90, 99}, tl, notes)
		if err != nil {
			return nil, err
		}
		overTime.Lines = lines
	}
	all := append(append([]viz.Line(nil), dist.Lines...), overTime.Lines...)
	dist.Scale = viz.ScaleFor(all)
	dist.YLo, dist.YHi = viz.LatencyRange(all, dist.Scale)
	overTime.Scale, overTime.YLo, overTime.YHi = dist.Scale, dist.YLo, dist.YHi

	figs := []htmlFigure{}
	f, err := htmlFigureOf("Login latency by percentile", dist, "no successful logins")
	if err != nil {
		return nil, err
	}
	figs = append(figs, f)
	f, err = timeFigure("Login latency over time", overTime, tl, "no interval data")
	if err != nil {
		return nil, err
	}
	return append(figs, f), nil
}

// htmlPhaseCards draws every phase's percentile curve and p50/p99 over
// time, all on one latency scale and range, so the panels compare at a
// glance.
func htmlPhaseCards(phases []*PhaseResult, dists map[string]*dist.Dist, tl timeline, notes *[]string) ([]htmlPhaseCard, error) {
	type pending struct {
		card     htmlPhaseCard
		dist, ot viz.Plot
	}
	var ps []pending
	var all []viz.Line
	for _, p := range phases {
		s := p.Summary
		pc := pending{card: htmlPhaseCard{
			Name: p.Name,
			Summary: fmt.Sprintf("%d values · p50 %s · p99 %s · max %s", s.Count,
				viz.FmtUs(float64(s.P50)), viz.FmtUs(float64(s.P99)), viz.FmtUs(float64(s.Max))),
		}}
		xs, ys := viz.PercentileCurve(dists[p.Name])
		pc.dist = viz.Plot{Kind: viz.Percentile, W: viz.SmallW, H: viz.SmallH,
			Lines: []viz.Line{{Name: p.Name, Color: viz.Color(0), Width: 1.8, X: xs, Y: ys}}}
		lines, err := intervalLines(p, []float64{50, 99}, tl, notes)
		if err != nil {
			return nil, err
		}
		pc.ot = viz.Plot{Kind: viz.OverTime, W: viz.SmallW, H: viz.SmallH, Lines: lines}
		all = append(append(all, pc.dist.Lines...), lines...)
		ps = append(ps, pc)
	}
	scale := viz.ScaleFor(all)
	lo, hi := viz.LatencyRange(all, scale)
	cards := make([]htmlPhaseCard, 0, len(ps))
	for _, pc := range ps {
		var err error
		card := pc.card
		pc.dist.Scale, pc.dist.YLo, pc.dist.YHi = scale, lo, hi
		pc.ot.Scale, pc.ot.YLo, pc.ot.YHi = scale, lo, hi
		if card.Dist, err = htmlFigureOf("by percentile", pc.dist, "no values"); err != nil {
			return nil, err
		}
		if card.Time, err = timeFigure("p50 and p99 over time", pc.ot, tl, "no interval data"); err != nil {
			return nil, err
		}
		card.Dist.Legend = nil // one line: the card's title names it
		cards = append(cards, card)
	}
	return cards, nil
}

// htmlFigureOf renders vp, or returns a figure with the note when it has
// nothing to draw.
func htmlFigureOf(title string, vp viz.Plot, empty string) (htmlFigure, error) {
	f := htmlFigure{Title: title}
	points := 0
	for _, l := range vp.Lines {
		points += len(l.X)
		f.Legend = append(f.Legend, htmlLegend{Name: l.Name, Color: l.Color, Dash: l.Dash})
	}
	if points == 0 {
		f.Note, f.Legend = empty, nil
		if f.Note == "" {
			f.Note = "no data"
		}
		return f, nil
	}
	svg, err := vp.Render()
	if err != nil {
		return f, fmt.Errorf("html report: %s: %w", title, err)
	}
	f.SVG = svg
	return f, nil
}

func htmlPhaseRowOf(p *PhaseResult) htmlPhaseRow {
	s := p.Summary
	us := func(v int64) string { return viz.FmtUs(float64(v)) }
	return htmlPhaseRow{Name: p.Name, Count: s.Count, Mean: viz.FmtUs(s.Mean), Min: us(s.Min), P50: us(s.P50),
		P90: us(s.P90), P99: us(s.P99), P999: us(s.P999), Max: us(s.Max)}
}

func htmlErrors(run *Run) []htmlErrorRow {
	errs := append([]ErrorCount(nil), run.Errors...)
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Count > errs[j].Count })
	rows := make([]htmlErrorRow, 0, len(errs))
	for _, e := range errs {
		code := ""
		if e.Code != 0 {
			code = strconv.Itoa(e.Code)
		}
		rows = append(rows, htmlErrorRow{Phase: e.Phase, Class: e.Class, Code: code, Count: e.Count,
			Share: viz.FmtPct(ratio(e.Count, run.Counts.Attempted)), Meaning: e.Meaning()})
	}
	return rows
}

func htmlConfig(run *Run) []htmlKV {
	c := &run.Config
	kv := []htmlKV{{"target", orDash(c.Target)}}
	if r := describeRole(c); r != "" {
		kv = append(kv, htmlKV{"first server", r})
	}
	kv = append(kv, htmlKV{"load", c.DescribeLoad()})
	steps := "login"
	if len(c.Steps) > 0 {
		steps += ", " + strings.Join(c.Steps, ", ")
	}
	kv = append(kv, htmlKV{"steps", steps})
	add := func(k, v string) {
		if v != "" && v != "0s" && v != "0" {
			kv = append(kv, htmlKV{k, v})
		}
	}
	add("status", c.Status)
	add("dialects", c.Dialects)
	if c.Accounts > 0 {
		add("accounts", strconv.Itoa(c.Accounts))
	}
	add("user pattern", c.UserPattern)
	add("users file", c.UsersFile)
	add("source addresses", c.Source)
	add("interval", c.Interval.String())
	add("generator I/O", c.IO)
	add("reply timestamps", c.Timestamps)
	if !run.Start.IsZero() {
		add("start", run.Start.UTC().Format(time.RFC3339))
		add("end", run.End.UTC().Format(time.RFC3339))
	}
	add("shard", describeShard(&run.Shard))
	add("warm-up sessions", nonZero(run.Counts.Warmup))
	return kv
}

func htmlMachine(run *Run) []htmlKV {
	m := run.Machine
	kv := []htmlKV{}
	add := func(k, v string) {
		if v != "" && v != "0" {
			kv = append(kv, htmlKV{k, v})
		}
	}
	add("host", m.Hostname)
	add("OS / arch", strings.Trim(m.OS+" / "+m.Arch, " /"))
	add("kernel", m.Kernel)
	add("CPU", m.CPU)
	add("CPUs", strconv.Itoa(m.NumCPU))
	add("GOMAXPROCS", strconv.Itoa(m.GOMAXPROCS))
	add("Go", m.GoVersion)
	return kv
}

func htmlHealth(run *Run) []htmlKV {
	h := run.Health
	lag := fmt.Sprintf("p99 %s, max %s", viz.FmtUs(float64(h.SchedLagP99Us)), viz.FmtUs(float64(h.SchedLagMaxUs)))
	if h.SchedLagP50Us > 0 {
		lag = fmt.Sprintf("p50 %s, ", viz.FmtUs(float64(h.SchedLagP50Us))) + lag
	}
	kv := []htmlKV{
		{"CPU", fmt.Sprintf("%.2fs user, %.2fs system, %s of the %s", h.CPUUserSec, h.CPUSysSec, viz.FmtPct(h.CPUUtil), cpusOf(run))},
		{"GC", fmt.Sprintf("%d cycles, pauses %s total, %s max", h.NumGC,
			fmtPause(time.Duration(h.GCPauseTotal)), fmtPause(time.Duration(h.GCPauseMax)))},
	}
	// A closed run has no schedule to lag behind: each worker starts its
	// next session when the last one ends.
	if run.Config.Model != "closed" {
		kv = append(kv, htmlKV{"schedule lag", lag})
	}
	kv = append(kv, htmlKV{"peak in flight", strconv.FormatInt(h.PeakInflight, 10)})
	if h.ReadLagMeanUs > 0 {
		kv = append(kv, htmlKV{"replies waiting (read.lag)", fmt.Sprintf("%s per session, %s of the session time",
			fmtMicros(float64(h.ReadLagMeanUs)), viz.FmtPercent(h.ReadLagShare))})
	}
	if h.RunQueueKnown {
		kv = append(kv,
			htmlKV{"run-queue wait", fmt.Sprintf("%s, %s of the time msnbench was ready to run",
				fmtMicros(h.RunQueueSec*1e6), viz.FmtPercent(h.RunQueueShare()))},
			htmlKV{"machine", fmt.Sprintf("%s busy: other processes %s, steal %s",
				viz.FmtPercent(h.MachineCPU), viz.FmtPercent(h.OtherCPU), viz.FmtPercent(h.Steal))})
	}
	if h.Dropped > 0 {
		kv = append(kv, htmlKV{"dropped starts", strconv.FormatInt(h.Dropped, 10)})
	}
	if n := backoffNote(&h); n != "" {
		kv = append(kv, htmlKV{"backoff", n})
	}
	verdict := "not saturated"
	switch {
	case h.Saturated && h.MachineBusy:
		verdict = "SATURATED and MACHINE BUSY: " + verdictSaturated + "; " + verdictMachineBusy
	case h.Saturated:
		verdict = "SATURATED: " + verdictSaturated
	case h.MachineBusy || h.Limited:
		verdict = "MACHINE BUSY: " + verdictMachineBusy
	case h.RunQueueKnown || h.ReadLagMeanUs > 0:
		verdict = verdictNone
	}
	return append(kv, htmlKV{"generator", verdict})
}

// fmtPause formats a GC pause like the latencies: "3.27ms", "0s" for none.
func fmtPause(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	return viz.FmtUs(float64(d) / float64(time.Microsecond))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func nonZero(v int64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatInt(v, 10)
}
