package loadgen

import (
	"math"
	"math/rand/v2"
	"time"
)

// pacer says when the open model's sessions start: the intended start of
// each, as an offset from the run's start, at a fixed rate or following
// rate stages, spaced uniformly or as a Poisson process, up to the end of
// the run. It reads no clock (the scheduler waits for each start), so a
// schedule is a pure function of the configuration and the seed.
//
// A start is due each time the expected count of starts, the integral of
// the rate over time, passes the next whole number (uniform) or the next
// sum of exponential draws (Poisson), as in vegeta's pacer.go. A ramp
// from 0 therefore has its starts from the beginning: the rate at the
// last start does not decide the gap to the next one.
type pacer struct {
	segs []paceSeg
	rng  *rand.Rand    // Poisson gaps; nil: uniform
	end  time.Duration // no start at or after end; 0: none

	due  float64 // the count at which the next start is due
	seg  int     // the segment the next start is looked for from
	base float64 // the count at the start of segs[seg]
	t0   float64 // the start of segs[seg], seconds
}

// paceSeg is a stretch of the schedule: the rate goes linearly from from
// to to (starts per second) over dur seconds (+Inf: for ever).
type paceSeg struct{ dur, from, to float64 }

// count is how many starts the segment holds.
func (g paceSeg) count() float64 {
	if math.IsInf(g.dur, 1) {
		if g.from > 0 {
			return math.Inf(1)
		}
		return 0
	}
	return (g.from + g.to) / 2 * g.dur
}

// at is how many seconds into the segment its count reaches v (0 <= v <
// count): the root of from·x + (to-from)·x²/(2·dur) = v, in the form that
// stays exact for a flat segment and one that ramps from 0.
func (g paceSeg) at(v float64) float64 {
	if v <= 0 {
		return 0
	}
	slope := 0.0
	if !math.IsInf(g.dur, 1) {
		slope = (g.to - g.from) / g.dur
	}
	return 2 * v / (g.from + math.Sqrt(g.from*g.from+2*slope*v))
}

// newPacer makes stream i of n of the schedule: rate starts per second, or
// with stages each stage's level times scale, ending at end (0: with the
// stages, or never). Each stream has 1/n of the rate and its first start
// i/n of a gap in, so that n uniform streams interleave into the one
// schedule. rng draws the Poisson gaps; nil spaces starts uniformly.
func newPacer(rate float64, stages []Stage, scale float64, end time.Duration, rng *rand.Rand, i, n int) *pacer {
	p := &pacer{rng: rng, end: end, due: float64(i) / float64(n)}
	if len(stages) == 0 {
		p.segs = []paceSeg{{dur: math.Inf(1), from: rate / float64(n), to: rate / float64(n)}}
		return p
	}
	for _, st := range stages {
		p.segs = append(p.segs, paceSeg{dur: st.Duration.Seconds(), from: st.From * scale / float64(n),
			to: st.To * scale / float64(n)})
	}
	return p
}

// next returns the intended start of the next session, or false at the
// end of the schedule.
func (p *pacer) next() (time.Duration, bool) {
	for p.seg < len(p.segs) {
		g := p.segs[p.seg]
		if v := p.due - p.base; v < g.count() {
			// Rounded, not truncated: a start due exactly at the end (the
			// 50th of 100/s over 0.5 s) must not land a nanosecond before.
			t := time.Duration(math.Round((p.t0 + g.at(v)) * 1e9))
			if p.end > 0 && t >= p.end {
				break
			}
			if p.rng != nil {
				p.due += p.rng.ExpFloat64()
			} else {
				p.due++
			}
			return t, true
		}
		p.base += g.count()
		p.t0 += g.dur
		p.seg++
	}
	p.seg = len(p.segs)
	return 0, false
}
