package report

import (
	"math"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Phase returns the result of the phase named name, or nil when the run has
// no values for it. Every writer looks phases up through it.
func (r *Run) Phase(name string) *PhaseResult {
	for i := range r.Phases {
		if r.Phases[i].Name == name {
			return &r.Phases[i]
		}
	}
	return nil
}

// ReadLag returns the mean read.lag per session in µs (replies waiting in
// the kernel for msnbench to read them) and its share of the span it
// covers: a session up to its last step, the span of the session phase (the
// login ends at its last reply's arrival, before that reply's wait), or the
// login in runs without a session phase. Both are 0 without read.lag.
func (r *Run) ReadLag() (meanUs int64, share float64) {
	rl := r.Phase(ReadLag.String())
	if rl == nil {
		return 0, 0
	}
	span := r.Phase(Session.String())
	if span == nil || span.Summary.Mean <= 0 {
		span = r.Phase(Login.String())
	}
	if span != nil && span.Summary.Mean > 0 {
		share = rl.Summary.Mean / span.Summary.Mean
	}
	return int64(rl.Summary.Mean), share
}

// Interval returns the length of one series interval.
func (r *Run) Interval() time.Duration { return time.Duration(r.Config.Interval) }

// Elapsed returns the measured wall-clock length of the run, End - Start, or
// zero when either is unknown or they are out of order.
func (r *Run) Elapsed() time.Duration {
	if r.Start.IsZero() || r.End.IsZero() || r.End.Before(r.Start) {
		return 0
	}
	return r.End.Sub(r.Start)
}

// LoginRate returns successful logins per second over the window in which
// the measured sessions ran (RateWindow), or 0 when it has no length.
//
// A closed run in which no worker logged in more than once (-n at most -c)
// has no rate: its sessions all started together, and logins over their
// window is the concurrency over one login's time, not a throughput. Its
// LoginRate is 0 and NoRate says why.
func (r *Run) LoginRate() float64 {
	if r.NoRate() != "" {
		return 0
	}
	s := r.Measured.Seconds()
	if s == 0 {
		s = r.Elapsed().Seconds()
	}
	if s > 0 {
		return float64(r.Counts.OK) / s
	}
	return 0
}

// NoRate says why the run has no login rate, or "" when it has one.
func (r *Run) NoRate() string {
	if r.Config.Model == "closed" && r.Config.Concurrency > 0 && r.Counts.Attempted > 0 &&
		r.Counts.Attempted <= int64(r.Config.Concurrency) {
		return "each worker logged in once, all together: no rate (it would be the concurrency over one login's time)"
	}
	return ""
}

// RateWindow is the window the run's rates are over: Measured (from the
// first measured session's start to the last one's end, so neither the
// warm-up nor holds nor the wind-down dilute the rate), or, for a run
// written before Measured existed, the whole run.
func (r *Run) RateWindow() time.Duration {
	if s := r.Measured.Seconds(); s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	return r.Elapsed()
}

// ErrorRate returns failed sessions as a fraction of attempted ones.
func (r *Run) ErrorRate() float64 {
	if r.Counts.Attempted <= 0 {
		return 0
	}
	return float64(r.Counts.Failed) / float64(r.Counts.Attempted)
}

// Histogram decodes the phase's whole-run histogram (µs).
func (p *PhaseResult) Histogram() (*hdrhistogram.Histogram, error) { return DecodeHist(p.Hist) }

// OnlyPhases returns a shallow copy of r holding only the named phases, in
// r's order; for writers such as hgrm whose standard tools read one
// histogram per file.
func (r *Run) OnlyPhases(names ...string) *Run {
	c := *r
	c.Phases = nil
	for _, p := range r.Phases {
		for _, n := range names {
			if p.Name == n {
				c.Phases = append(c.Phases, p)
				break
			}
		}
	}
	return &c
}

// intervalIndex returns the index of the interval that starts start seconds
// after the run's start: intervals are aligned to multiples of the interval
// length, and rounding absorbs float error from JSON.
func intervalIndex(start float64, interval time.Duration) int64 {
	if interval <= 0 {
		return 0
	}
	return int64(math.Round(start / interval.Seconds()))
}
