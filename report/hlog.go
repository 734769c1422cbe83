package report

import (
	"fmt"
	"io"
	"math"
	"sort"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// WriteHlog writes every phase's interval histograms as one HdrHistogram
// interval log (format 1.3), tagged with the phase name ("Tag=login,..."),
// in time order, for HistogramLogAnalyzer, HistogramLogProcessor and the
// library log readers.
//
// The log holds nanoseconds, the unit those tools assume (they print
// Interval_Max and percentiles in ms by dividing by 10^6), so each µs
// bucket is re-recorded at its value × 1000 into a histogram of 1 µs .. 10
// min in ns with the same 3 digits: counts are kept exactly, values within
// the histograms' precision. Timestamps are seconds since BaseTime, the
// run's start truncated to a whole second.
func WriteHlog(w io.Writer, run *Run) error {
	type entry struct {
		startMs int64
		phase   int
		lenMs   int64
		hist    string
	}
	var baseMs int64
	if !run.Start.IsZero() {
		baseMs = run.Start.Unix() * 1000
	}
	runStartMs := baseMs
	if !run.Start.IsZero() {
		runStartMs = run.Start.UnixMilli()
	}
	ivMs := run.Interval().Milliseconds()
	endMs := int64(math.MaxInt64)
	if !run.End.IsZero() && !run.Start.IsZero() {
		endMs = run.End.UnixMilli()
	}
	var entries []entry
	for pi, p := range run.Phases {
		for _, iv := range p.Intervals {
			if !finiteNonNeg(iv.Start) || iv.Start > 1e12 {
				return fmt.Errorf("hlog: phase %s: interval start %v", p.Name, iv.Start)
			}
			s := runStartMs + int64(math.Round(iv.Start*1000))
			l := ivMs
			if s+l > endMs && endMs > s {
				l = endMs - s // the last interval ends with the run
			}
			entries = append(entries, entry{s, pi, l, iv.Hist})
		}
	}
	sort.SliceStable(entries, func(i, j int) bool {
		if entries[i].startMs != entries[j].startMs {
			return entries[i].startMs < entries[j].startMs
		}
		return entries[i].phase < entries[j].phase
	})

	ew := &errWriter{w: w}
	lw := hdrhistogram.NewHistogramLogWriter(ew)
	tool := run.Tool
	if tool == "" {
		tool = "msnbench"
	}
	comment := "[Logged with " + tool
	if run.Label != "" {
		comment += ", run \"" + run.Label + "\""
	}
	_ = lw.OutputComment(comment + "; values in nanoseconds, one tag per phase]")
	_ = lw.OutputLogFormatVersion()
	if !run.Start.IsZero() {
		_ = lw.OutputStartTime(baseMs)
		_ = lw.OutputBaseTime(baseMs)
		lw.SetBaseTime(baseMs)
	}
	_ = lw.OutputLegend()
	if ew.err != nil {
		return ew.err
	}

	ns := hdrhistogram.New(HistMin*nsPerUs, HistMax*nsPerUs, HistDigits)
	for _, e := range entries {
		p, err := decodePacked(e.hist)
		if err != nil {
			return fmt.Errorf("hlog: phase %s: %w", run.Phases[e.phase].Name, err)
		}
		ns.Reset()
		for v, c := range p.ForEachBucket {
			if err := ns.RecordValues(v*nsPerUs, c); err != nil {
				return fmt.Errorf("hlog: phase %s: %w", run.Phases[e.phase].Name, err)
			}
		}
		ns.SetTag(run.Phases[e.phase].Name)
		ns.SetStartTimeMs(e.startMs)
		ns.SetEndTimeMs(e.startMs + e.lenMs)
		if err := lw.OutputIntervalHistogram(ns); err != nil {
			return fmt.Errorf("hlog: %w", err)
		}
	}
	return ew.err
}
