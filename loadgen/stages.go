package loadgen

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Stage is one segment of a ramp profile: the level (concurrency or rate)
// goes linearly from From to To over Duration.
type Stage struct {
	Duration time.Duration
	From, To float64
}

// ParseStages parses a profile such as "30s:0->500, 2m:500, 30s:500->0".
// "D:X" holds level X for D; "D:X->Y" ramps from X to Y.
func ParseStages(s string) ([]Stage, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var out []Stage
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		ds, lv, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("stage %d %q: want DURATION:LEVEL or DURATION:FROM->TO", i+1, part)
		}
		d, err := time.ParseDuration(strings.TrimSpace(ds))
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("stage %d %q: bad duration %q", i+1, part, ds)
		}
		st := Stage{Duration: d}
		from, to, ramp := strings.Cut(lv, "->")
		if st.From, err = parseLevel(from); err != nil {
			return nil, fmt.Errorf("stage %d %q: %v", i+1, part, err)
		}
		st.To = st.From
		if ramp {
			if st.To, err = parseLevel(to); err != nil {
				return nil, fmt.Errorf("stage %d %q: %v", i+1, part, err)
			}
		}
		out = append(out, st)
	}
	return out, nil
}

func parseLevel(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || v < 0 || v > 1e7 {
		return 0, fmt.Errorf("bad level %q", s)
	}
	return v, nil
}

// FormatStages is the inverse of ParseStages, for reports.
func FormatStages(st []Stage) string {
	var b strings.Builder
	for i, s := range st {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(s.Duration.String())
		b.WriteString(":")
		b.WriteString(strconv.FormatFloat(s.From, 'g', -1, 64))
		if s.To != s.From {
			b.WriteString("->")
			b.WriteString(strconv.FormatFloat(s.To, 'g', -1, 64))
		}
	}
	return b.String()
}

// stagesDuration is the length of the whole profile.
func stagesDuration(st []Stage) time.Duration {
	var d time.Duration
	for _, s := range st {
		d += s.Duration
	}
	return d
}

// levelAt returns the profile's level at t since its start, and false once
// the profile has ended.
func levelAt(st []Stage, t time.Duration) (float64, bool) {
	if t < 0 {
		t = 0
	}
	for _, s := range st {
		if t < s.Duration {
			return s.From + (s.To-s.From)*float64(t)/float64(s.Duration), true
		}
		t -= s.Duration
	}
	return 0, false
}

// untilAbove returns how long after t the profile's level is first above
// lvl: 0 if it is at t, and if it never is again, the time to the
// profile's end (and false).
func untilAbove(st []Stage, t time.Duration, lvl float64) (time.Duration, bool) {
	if t < 0 {
		d, ok := untilAbove(st, 0, lvl)
		return d - t, ok
	}
	start := time.Duration(0)
	for _, s := range st {
		end := start + s.Duration
		if t < end {
			from := max(t, start)
			if s.From+(s.To-s.From)*float64(from-start)/float64(s.Duration) > lvl {
				return from - t, true
			}
			if s.To > lvl { // rising through lvl within this stage
				x := start + time.Duration(math.Ceil((lvl-s.From)/(s.To-s.From)*float64(s.Duration))) + 1
				return min(max(x, from), end) - t, true
			}
		}
		start = end
	}
	return max(start-t, 0), false
}

func maxLevel(st []Stage) float64 {
	m := 0.0
	for _, s := range st {
		m = max(m, s.From, s.To)
	}
	return m
}

// stageTurn says how long closed-model worker id must wait for its turn
// under the stage profile: 0 when it is due now (always without stages),
// else until the level first goes above it (at least a millisecond), or
// to the profile's end if it never does; false once the profile has ended
// (the run's time is up).
func (e *Engine) stageTurn(id int) (time.Duration, bool) {
	st := e.cfg.Stages
	if len(st) == 0 {
		return 0, true
	}
	t := time.Since(e.p.start)
	lvl, ok := levelAt(st, t)
	if !ok {
		return 0, false
	}
	if float64(id) < lvl*e.levelScale {
		return 0, true
	}
	d, _ := untilAbove(st, t, float64(id)/e.levelScale)
	return max(d, time.Millisecond), true
}
