package report

import (
	"encoding/json"
	"io"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/msnbench/msnbench/msnp"
)

// IntervalStats is what the Recorder knows when it closes one interval:
// the figures a live consumer (a JSON Lines stream, a dashboard) wants
// while the run goes. The sums of its counts over every interval of a run
// equal the run's Counts, and of its phase counts the phases' Summary.Count.
type IntervalStats struct {
	Index int64     `json:"interval"` // 0, 1, ... from the run's start
	Start time.Time `json:"start"`
	End   time.Time `json:"end"` // the run's end for its last, shorter interval
	// Sessions that started, ended ok, failed, were cut by the end of the
	// run, finished in the warm-up (not measured) or were due but dropped
	// in this interval, and the sessions in flight at its end.
	Started  int64 `json:"started"`
	OK       int64 `json:"ok"`
	Failed   int64 `json:"failed"`
	Cut      int64 `json:"cut"`
	Warmup   int64 `json:"warmup"`
	Dropped  int64 `json:"dropped"`
	Inflight int64 `json:"in_flight"`
	Held     int64 `json:"held,omitempty"` // sessions being held when the interval closed (Point.Held)
	// FailedByClass splits Failed by error class ("timeout", "auth-fail", ...)
	// and Errors by phase × class × code, most frequent first.
	FailedByClass map[string]int64 `json:"failed_by_class"`
	Errors        []ErrorCount     `json:"errors"`
	// Phases has the latency of every phase with values in this interval,
	// in phase order.
	Phases []IntervalPhase `json:"phases"`
	// Total is every phase's latency over the measured run so far (the
	// closed intervals), for consumers that show the whole run, such as a
	// metrics endpoint; it is left out of the JSON lines.
	Total []PhaseTotal `json:"-"`
}

// PhaseTotal is one phase's Summary over the run so far.
type PhaseTotal struct {
	Phase string
	Summary
	// Buckets[i] is how many of the Count values are at or below
	// LatencyBounds[i] (cumulative, as a Prometheus histogram's le buckets).
	Buckets []int64
}

// LatencyBounds are the upper bounds, in µs, of PhaseTotal.Buckets: 1-2-5
// steps from 50 µs to 50 s.
var LatencyBounds = []int64{50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4,
	1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7, 2e7, 5e7}

// boundCuts[i] is the lowest value of the HdrHistogram bucket that holds
// LatencyBounds[i]+1: a bucket whose lowest value is below it holds only
// values at or below the bound, so its highest equivalent value (what
// HdrHistogram reports as a percentile's value) is too, and a bound brackets
// the percentiles the way Summary reports them.
var boundCuts = func() []int64 {
	h := newPackedHist()
	cuts := make([]int64, len(LatencyBounds))
	for i, b := range LatencyBounds {
		h.Reset()
		if err := h.RecordValue(b + 1); err != nil {
			panic(err) // every bound is within HistMax
		}
		h.ForEachBucket(func(v, _ int64) bool { cuts[i] = v; return false })
	}
	return cuts
}()

// TotalOf is phase's PhaseTotal from h, its whole-run histogram. It walks
// h's populated buckets once; it runs once per interval, not per session.
func TotalOf(phase string, h *hdrhistogram.PackedHistogram) PhaseTotal {
	t := PhaseTotal{Phase: phase, Summary: SummaryOf(h), Buckets: make([]int64, len(boundCuts))}
	var c int64
	i := 0
	h.ForEachBucket(func(v, n int64) bool {
		for i < len(boundCuts) && v >= boundCuts[i] {
			t.Buckets[i] = c
			i++
		}
		if i == len(boundCuts) {
			return false
		}
		c += n
		return true
	})
	for ; i < len(boundCuts); i++ {
		t.Buckets[i] = c
	}
	return t
}

// IntervalPhase is one phase's latency over one interval, in µs.
type IntervalPhase struct {
	Phase string `json:"phase"`
	Count int64  `json:"count"`
	P50   int64  `json:"p50_us"`
	P90   int64  `json:"p90_us"`
	P99   int64  `json:"p99_us"`
	Max   int64  `json:"max_us"`
}

// OnInterval makes the Recorder call fn after it closes each interval, on
// the goroutine that calls Tick and Finish, with fresh IntervalStats whose
// times count from origin (the run's start). Set it before the first Tick.
// Recording itself does not change: the stats are built from what Tick
// folds anyway, once per interval.
func (r *Recorder) OnInterval(origin time.Time, fn func(*IntervalStats)) {
	r.origin, r.onInterval = origin, fn
}

// intervalStats builds the stats of interval k from its series point, its
// warm-up count and the interval histograms in r.acc (before they are
// reset). It runs on the Tick goroutine.
func (r *Recorder) intervalStats(k int64, pt *Point, warm int64) *IntervalStats {
	from, to := k*r.interval, (k+1)*r.interval
	if r.closeAt > from && r.closeAt < to {
		to = r.closeAt // the run's last, partial interval
	}
	st := &IntervalStats{
		Index: k, Start: r.origin.Add(time.Duration(from)), End: r.origin.Add(time.Duration(to)),
		Started: pt.Started, OK: pt.OK, Failed: pt.Failed, Cut: pt.Cut, Warmup: warm, Dropped: pt.Dropped,
		Inflight: pt.Inflight, Held: pt.Held, FailedByClass: map[string]int64{}, Errors: []ErrorCount{}, Phases: []IntervalPhase{},
	}
	for p, h := range r.acc {
		if h == nil || h.TotalCount() == 0 {
			continue
		}
		st.Phases = append(st.Phases, intervalPhase(Phase(p), h))
	}
	for c, n := range pt.FailedByClass {
		st.FailedByClass[c] = n
	}
	if pt.Failed > 0 {
		st.Errors = errorList(r.lastErrs)
	}
	return st
}

// errorsOfInterval splits the failures of the interval just closed by
// phase, class and code into r.lastErrs, and returns them by class: the
// stripes' error tables are totals, so it takes the difference from the last
// interval that had some. It runs on the Tick goroutine, once per interval
// with failures.
func (r *Recorder) errorsOfInterval() map[string]int64 {
	if r.prevErrs == nil {
		r.prevErrs = map[errKey]int64{}
	}
	now := make(map[errKey]int64, len(r.prevErrs))
	for _, s := range r.stripes {
		s.mu.Lock()
		for key, n := range s.errs {
			now[key] += n
		}
		s.mu.Unlock()
	}
	diff := map[errKey]int64{}
	var byClass map[string]int64
	for key, n := range now {
		if d := n - r.prevErrs[key]; d > 0 && key.class != msnp.ClassCanceled {
			if byClass == nil {
				byClass = map[string]int64{}
			}
			byClass[key.class.String()] += d
			diff[key] = d
		}
	}
	r.prevErrs, r.lastErrs = now, diff
	return byClass
}

// addTotals fills st.Total from the whole-run histograms, after Tick has
// folded interval k into them.
func (r *Recorder) addTotals(st *IntervalStats) {
	for p, h := range r.cum {
		if h != nil && h.TotalCount() > 0 {
			st.Total = append(st.Total, TotalOf(Phase(p).String(), h))
		}
	}
}

func intervalPhase(p Phase, h *hdrhistogram.PackedHistogram) IntervalPhase {
	return IntervalPhase{Phase: p.String(), Count: h.TotalCount(), P50: h.ValueAtPercentile(50),
		P90: h.ValueAtPercentile(90), P99: h.ValueAtPercentile(99), Max: h.Max()}
}

// WriteIntervalJSON writes s as one line of JSON (JSON Lines), in a single
// Write, so a file or pipe holds whole lines while a run is going.
func WriteIntervalJSON(w io.Writer, s *IntervalStats) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
