package report

import (
	"math"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/msnbench/msnbench/msnp"
)

// How the recorder attributes values to intervals: by the time the caller
// gives (a Sample's End, or the at argument), not by when the call happens,
// so a Tick that runs a little late does not shift values into the wrong
// second, and tests are deterministic. Each stripe keeps two interval slots,
// for interval k (the oldest not yet closed, stripe.open) and k+1. A value for
// an interval already closed goes into the oldest open one; a value more
// than one interval ahead (Tick lagging) goes into the newest. Values are
// never lost, only attributed one interval late in those rare cases.
//
// The whole-run histogram of each phase is not kept per stripe: Tick folds
// each closed interval into it, which halves the recording work and gives
// the same counts. All histograms here are HdrHistogram's sparse form: it
// records with a binary search over the populated buckets, its memory is
// proportional to them (a few KB instead of 170 KB per phase and slot, which
// matters with many stripes), and Reset and merging cost the populated
// buckets, not the whole range, so Tick holds each lock briefly. Reset keeps
// the storage, so recording stops allocating once a slot has seen the spread
// of its values.

// errKey is the comparable key of the error table: incrementing an existing
// key in a map does not allocate.
type errKey struct {
	phase  Phase
	class  msnp.Class
	code   uint16
	detail msnp.Detail
}

// slot is one stripe's data for one interval.
type slot struct {
	hist                                    [NumPhases]*hdrhistogram.PackedHistogram // nil until the phase's first value
	started, ok, failed, cut, warm, dropped int64
}

// stripe is one lock's worth of the recorder. The atomic totals are written
// under mu and read without it by Live.
type stripe struct {
	mu      sync.Mutex
	open    int64 // oldest interval not closed yet
	slots   [2]slot
	errs    map[errKey]int64
	clamped int64
	// first start and last end of the measured sessions (ok or failed);
	// first < 0 until there is one
	first, last int64

	started, ok, failed, cut, warm, dropped atomic.Int64

	_ [64]byte // keep the next stripe's lock off this cache line
}

// Recorder turns Samples into a Run's histograms, interval series, counts and
// error table while a run is in progress.
//
// It is striped: a worker always records into the stripe it was given (for
// example its index modulo the number of stripes), and each stripe has its
// own lock and its own histograms, so no lock is shared by all workers and
// recording allocates nothing. (Stripes are the recorder's lock stripes;
// shards are the generators of one run, --shard i/N, see Shard.) Tick,
// called once per interval by a single goroutine, closes the interval: it
// folds every stripe's interval histograms into one per phase, encodes it,
// and resets them.
//
// Values are recorded in microseconds, 1 µs .. 10 min, 3 significant digits
// (larger values are clamped to the maximum and counted).
type Recorder struct {
	stripes  []*stripe
	interval int64 // ns

	// Owned by the goroutine that calls Tick and Finish.
	closed    int64 // intervals closed so far
	acc       [NumPhases]*hdrhistogram.PackedHistogram
	cum       [NumPhases]*hdrhistogram.PackedHistogram
	intervals [NumPhases][]Interval
	series    []Point
	inflight  int64
	held      func() int64 // SetHeld
	errTotals map[errKey]int64
	lastFail  int64
	encErr    error

	// OnInterval's consumer (interval.go); closeAt is the time Tick or
	// Finish closes intervals up to.
	onInterval func(*IntervalStats)
	origin     time.Time
	closeAt    int64
	prevErrs   map[errKey]int64
	lastErrs   map[errKey]int64 // the failures of the interval last closed

	// Published by Tick for Live.
	now      atomic.Int64
	rate     atomic.Uint64 // float64 bits
	loginP99 atomic.Int64  // µs
	topErrs  atomic.Pointer[[3]string]
}

// NewRecorder returns a Recorder with n stripes (at least 1) whose series
// intervals last interval (1s if zero).
func NewRecorder(n int, interval time.Duration) *Recorder {
	if n < 1 {
		n = 1
	}
	if interval <= 0 {
		interval = time.Second
	}
	r := &Recorder{}
	r.interval = int64(interval)
	r.stripes = make([]*stripe, n)
	for i := range r.stripes {
		r.stripes[i] = &stripe{errs: make(map[errKey]int64, 8), first: -1}
	}
	r.errTotals = make(map[errKey]int64)
	return r
}

// stripe returns the stripe for index i, taken modulo the stripe count so
// any worker index is valid.
func (r *Recorder) stripe(i int) *stripe {
	return r.stripes[uint(i)%uint(len(r.stripes))]
}

// slotFor returns the slot for time at (ns since start). s.mu must be held.
func (r *Recorder) slotFor(s *stripe, at int64) *slot {
	k := int64(0)
	if at > 0 {
		k = at / r.interval
	}
	if k < s.open {
		k = s.open
	} else if k > s.open+1 {
		k = s.open + 1
	}
	return &s.slots[k&1]
}

// recordPhase records d ns of phase p into sl. s.mu must be held.
func (s *stripe) recordPhase(sl *slot, p Phase, d int64) {
	h := sl.hist[p]
	if h == nil {
		h = newPackedHist() // the phase's first value in this slot
		sl.hist[p] = h
	}
	us, clamped := toMicros(d)
	if clamped {
		s.clamped++
	}
	// In range by construction, so RecordValue cannot fail.
	_ = h.RecordValue(us)
}

// Started counts one session start at time at (ns since run start) in stripe
// i, for the series and the in-flight count.
func (r *Recorder) Started(i int, at int64) {
	s := r.stripe(i)
	s.mu.Lock()
	r.slotFor(s, at).started++
	s.started.Add(1)
	s.mu.Unlock()
}

// Dropped counts, in stripe i, one start that was due at time at but could
// not be issued.
func (r *Recorder) Dropped(i int, at int64) {
	s := r.stripe(i)
	s.mu.Lock()
	r.slotFor(s, at).dropped++
	s.dropped.Add(1)
	s.mu.Unlock()
}

// Record records one finished session into stripe i.
func (r *Recorder) Record(i int, smp *Sample) {
	s := r.stripe(i)
	s.mu.Lock()
	sl := r.slotFor(s, smp.End)
	switch {
	case smp.Warmup:
		sl.warm++
		s.warm.Add(1)
	default:
		for p := Phase(0); p < NumPhases; p++ {
			if smp.Has(p) {
				s.recordPhase(sl, p, smp.Dur[p])
			}
		}
		if smp.Class != msnp.ClassCanceled {
			if s.first < 0 || smp.Start < s.first {
				s.first = smp.Start
			}
			s.last = max(s.last, smp.End)
		}
		switch {
		case smp.OK():
			sl.ok++
			s.ok.Add(1)
		case smp.Class == msnp.ClassCanceled:
			// Cut by the end of the run: counted apart, by phase (in the
			// same table, split off by Finish).
			sl.cut++
			s.cut.Add(1)
			s.errs[errKey{smp.FailPhase, smp.Class, smp.Code, smp.Detail}]++
		default:
			sl.failed++
			s.failed.Add(1)
			s.errs[errKey{smp.FailPhase, smp.Class, smp.Code, smp.Detail}]++
		}
	}
	s.mu.Unlock()
}

// RecordValue records, into stripe i, one repeated measurement (Ping, Qry)
// of d nanoseconds taken at time at.
func (r *Recorder) RecordValue(i int, p Phase, d, at int64) {
	if p >= NumPhases {
		return
	}
	s := r.stripe(i)
	s.mu.Lock()
	s.recordPhase(r.slotFor(s, at), p, d)
	s.mu.Unlock()
}

// Tick closes every interval that ended at or before now (ns since run
// start). Call it from one goroutine, once per interval.
func (r *Recorder) Tick(now int64) {
	r.closeAt = now
	for (r.closed+1)*r.interval <= now {
		r.closeInterval(r.closed)
	}
	r.now.Store(now)
}

// closeInterval folds interval k of every stripe into the accumulators, then
// publishes its histograms, its series point and the Live figures.
// SetHeld gives the recorder how many sessions are being held now; each
// interval's point records it when the interval is closed (Point.Held).
// Call it before the first Tick.
func (r *Recorder) SetHeld(f func() int64) { r.held = f }

func (r *Recorder) closeInterval(k int64) {
	var pt Point
	pt.T = float64(k*r.interval) / float64(time.Second)
	if r.held != nil {
		pt.Held = r.held()
	}
	var warm int64
	for _, s := range r.stripes {
		s.mu.Lock()
		sl := &s.slots[k&1]
		for p, h := range sl.hist {
			if h == nil || h.TotalCount() == 0 {
				continue
			}
			if r.acc[p] == nil {
				r.acc[p] = newPackedHist()
			}
			r.acc[p].Merge(h)
			h.Reset()
		}
		pt.Started += sl.started
		pt.OK += sl.ok
		pt.Failed += sl.failed
		pt.Cut += sl.cut
		pt.Dropped += sl.dropped
		warm += sl.warm
		sl.started, sl.ok, sl.failed, sl.cut, sl.warm, sl.dropped = 0, 0, 0, 0, 0, 0
		s.open = k + 1
		s.mu.Unlock()
	}
	r.inflight += pt.Started - pt.OK - pt.Failed - pt.Cut - warm
	pt.Inflight = r.inflight
	if pt.Failed > 0 {
		pt.FailedByClass = r.errorsOfInterval()
	}
	r.series = append(r.series, pt)
	var st *IntervalStats
	if r.onInterval != nil {
		st = r.intervalStats(k, &pt, warm) // before r.acc is folded and reset below
	}
	start := pt.T
	for p, h := range r.acc {
		if h == nil || h.TotalCount() == 0 {
			continue
		}
		r.intervals[p] = append(r.intervals[p], Interval{Start: start, Hist: r.encode(h)})
		if r.cum[p] == nil {
			r.cum[p] = newPackedHist()
		}
		r.cum[p].Merge(h)
		h.Reset()
	}
	r.closed = k + 1

	r.rate.Store(math.Float64bits(float64(pt.OK) / (float64(r.interval) / float64(time.Second))))
	if h := r.cum[Login]; h != nil {
		r.loginP99.Store(h.ValueAtPercentile(99))
	}
	r.publishErrors()
	if st != nil {
		r.addTotals(st)
		r.onInterval(st)
	}
}

// publishErrors refreshes the top error keys for Live when failures were
// added since the last time.
func (r *Recorder) publishErrors() {
	var failed int64
	for _, s := range r.stripes {
		failed += s.failed.Load() + s.cut.Load()
	}
	if failed == r.lastFail {
		return
	}
	r.lastFail = failed
	clear(r.errTotals)
	for _, s := range r.stripes {
		s.mu.Lock()
		for k, n := range s.errs {
			r.errTotals[k] += n
		}
		s.mu.Unlock()
	}
	errs, _ := splitCuts(errorList(r.errTotals))
	var top [3]string
	for i := 0; i < len(top) && i < len(errs); i++ {
		e := errs[i]
		top[i] = errorKeyString(e.Phase, e.Class, e.Code)
	}
	r.topErrs.Store(&top)
}

// errorKeyString is the "phase/class/code" form used by Live.
func errorKeyString(phase, class string, code int) string {
	s := phase + "/" + class
	if code != 0 {
		s += "/" + strconv.Itoa(code)
	}
	return s
}

// errorList turns an error table into ErrorCounts, most frequent first, ties
// in phase, class, code order so the result is deterministic.
func errorList(m map[errKey]int64) []ErrorCount {
	keys := make([]errKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if m[a] != m[b] {
			return m[a] > m[b]
		}
		if a.phase != b.phase {
			return a.phase < b.phase
		}
		if a.class != b.class {
			return a.class < b.class
		}
		if a.code != b.code {
			return a.code < b.code
		}
		return a.detail < b.detail
	})
	out := make([]ErrorCount, len(keys))
	for i, k := range keys {
		out[i] = ErrorCount{Phase: k.phase.String(), Class: k.class.String(), Code: int(k.code),
			Detail: k.detail.String(), Count: m[k]}
	}
	return out
}

// splitCuts separates the sessions cut by the end of the run from the
// failures, keeping each list's order.
func splitCuts(all []ErrorCount) (errs, cuts []ErrorCount) {
	errs = all[:0:0]
	for _, e := range all {
		if e.Class == msnp.ClassCanceled.String() {
			cuts = append(cuts, e)
		} else {
			errs = append(errs, e)
		}
	}
	if errs == nil {
		errs = []ErrorCount{}
	}
	return errs, cuts
}

// Live returns the counts so far and recent latency, cheaply enough for a
// progress line several times a second.
func (r *Recorder) Live() Live {
	var l Live
	for _, s := range r.stripes {
		l.Started += s.started.Load()
		l.OK += s.ok.Load()
		l.Failed += s.failed.Load()
		l.Cut += s.cut.Load()
		l.Dropped += s.dropped.Load()
		l.Inflight -= s.warm.Load()
	}
	l.Inflight += l.Started - l.OK - l.Failed - l.Cut
	if l.Inflight < 0 {
		// The loads above are not one snapshot; a session may finish between them.
		l.Inflight = 0
	}
	l.Elapsed = time.Duration(r.now.Load())
	l.Rate = math.Float64frombits(r.rate.Load())
	l.LoginP99 = time.Duration(r.loginP99.Load()) * time.Microsecond
	if top := r.topErrs.Load(); top != nil {
		l.LastErrors = *top
	}
	return l
}

// Finish closes the last interval at now and fills run's Counts, Errors,
// Phases and Series. The Recorder must not be used afterwards.
func (r *Recorder) Finish(run *Run, now int64) {
	r.Tick(now)
	// The partial interval that now falls in, and anything recorded with a
	// time beyond now, still belong to the run.
	if r.closed*r.interval < now || r.pending(r.closed) || r.pending(r.closed+1) {
		r.closeInterval(r.closed)
	}
	if r.pending(r.closed) {
		r.closeInterval(r.closed)
	}

	var c Counts
	var clamped int64
	first, last := int64(-1), int64(0)
	for _, s := range r.stripes {
		s.mu.Lock()
		if s.first >= 0 && (first < 0 || s.first < first) {
			first = s.first
		}
		last = max(last, s.last)
		s.mu.Unlock()
		c.OK += s.ok.Load()
		c.Failed += s.failed.Load()
		c.Cut += s.cut.Load()
		c.Dropped += s.dropped.Load()
		c.Warmup += s.warm.Load()
		s.mu.Lock()
		clamped += s.clamped
		s.mu.Unlock()
	}
	c.Attempted = c.OK + c.Failed
	run.Counts = c
	if first >= 0 && last > first {
		run.Measured = Span{From: float64(first) / float64(time.Second), To: float64(last) / float64(time.Second)}
	}

	r.lastFail = -1 // force a fresh error table
	r.publishErrors()
	run.Errors, run.Cuts = splitCuts(errorList(r.errTotals))

	run.Phases = make([]PhaseResult, 0, NumPhases) // [] rather than null in JSON
	for p, h := range r.cum {
		if h == nil || h.TotalCount() == 0 {
			continue
		}
		enc := r.encode(h)
		run.Phases = append(run.Phases, PhaseResult{
			Name:      Phase(p).String(),
			Summary:   SummaryOf(h),
			Hist:      enc,
			Intervals: r.intervals[p],
		})
	}
	run.Series = r.series
	if run.Series == nil {
		run.Series = []Point{}
	}
	if run.Interval() == 0 {
		run.Config.Interval = Duration(r.interval)
	}

	// Health figures the recorder knows; keep larger values the engine may
	// have measured more finely.
	h := &run.Health
	h.Dropped = c.Dropped
	for _, pt := range r.series {
		h.PeakInflight = max(h.PeakInflight, pt.Inflight)
	}
	if lag := r.cum[SchedLag]; lag != nil && lag.TotalCount() > 0 {
		h.SchedLagP50Us = max(h.SchedLagP50Us, lag.ValueAtPercentile(50))
		h.SchedLagP99Us = max(h.SchedLagP99Us, lag.ValueAtPercentile(99))
		h.SchedLagMaxUs = max(h.SchedLagMaxUs, lag.Max())
	}
	if clamped > 0 {
		h.Warnings = append(h.Warnings, strconv.FormatInt(clamped, 10)+" values above 10m were recorded as 10m")
	}
	if r.encErr != nil {
		h.Warnings = append(h.Warnings, "histogram encoding failed: "+r.encErr.Error())
	}
}

// encode returns h encoded for a Run, keeping the first encoding error for
// the warning Finish adds to the Run's health.
func (r *Recorder) encode(h *hdrhistogram.PackedHistogram) string {
	enc, err := encodePacked(h)
	if err != nil && r.encErr == nil {
		r.encErr = err
	}
	return enc
}

// pending reports whether any stripe holds values for interval k.
func (r *Recorder) pending(k int64) bool {
	for _, s := range r.stripes {
		s.mu.Lock()
		sl := &s.slots[k&1]
		any := sl.started|sl.ok|sl.failed|sl.cut|sl.warm|sl.dropped != 0
		for _, h := range sl.hist {
			if h != nil && h.TotalCount() > 0 {
				any = true
			}
		}
		s.mu.Unlock()
		if any {
			return true
		}
	}
	return false
}

// Live is a progress snapshot.
type Live struct {
	Elapsed    time.Duration
	Started    int64
	OK         int64
	Failed     int64
	Cut        int64 // sessions cut by the end of the run (not failures)
	Dropped    int64
	Inflight   int64
	Rate       float64       // successful logins per second over the last closed interval
	LoginP99   time.Duration // p99 of Login over the run so far (closed intervals)
	LastErrors [3]string     // most frequent error keys so far, "phase/class/code"
}
