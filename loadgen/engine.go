package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/msnbench/msnbench/internal/rxstamp"
	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

// Engine runs one load test. Create it with New (which does every check
// that can fail before the run), then call Run once.
type Engine struct {
	cfg     Config
	p       params
	srcs    []netip.Addr
	limits  Limits
	stripes int // the Recorder's lock stripes (not --shard: see concurrency below)

	// this shard's share of the load
	concurrency int
	rate        float64
	levelScale  float64
	logins      int64 // this shard's part of -n

	rec      atomic.Pointer[report.Recorder]
	runStart atomic.Int64 // unix ns of the run start, 0 before
	state    atomic.Int32

	onInterval func(*report.IntervalStats) // set by OnInterval before Run

	mu       sync.Mutex
	sessions []*session // every session struct, for abort and wake

	inflight atomic.Int64
	peak     atomic.Int64
	held     atomic.Int64
	issued   atomic.Int64 // measured (post-warm-up) starts, for -n
	spawned  atomic.Int64

	stop     chan struct{} // closed when no more sessions may start
	stopOnce sync.Once
	timeUp   chan struct{} // the end of the time (-d or stages) was reached by the schedule
	timeOnce sync.Once

	holdMu     sync.Mutex
	holdFailed map[holdKey]int64

	texts       errorTexts
	backoffNs   atomic.Int64 // time workers spent backing off, summed
	backoffs    atomic.Int64
	interrupted atomic.Bool // ctx was canceled before the run's end

	ran              atomic.Bool
	sessionsCanceled atomic.Bool // the grace period is over: new sessions fail fast too

	loops *loopGroup // the event loops running the sessions; nil with Go's net package
}

// Engine states, for Live.
const (
	stateWaiting int32 = iota
	stateWarmup
	stateRunning
	stateStopping
	stateDone
)

var stateNames = [...]string{"waiting", "warmup", "running", "stopping", "done"}

// New validates cfg, builds the account table, checks the source addresses
// and raises and checks the process limits. Any error it returns is a setup
// error: nothing has been sent yet.
func New(cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, stop: make(chan struct{}), timeUp: make(chan struct{}), holdFailed: map[holdKey]int64{}}
	verList, offered, _ := msnp.ParseDialectList(cfg.Dialects)
	steps := append([]Step(nil), cfg.Steps...)
	e.p = params{
		target:  cfg.Target,
		verList: verList,
		offered: offered,
		steps:   steps,
		status:  []byte(cfg.Status),
		qryID:   []byte(cfg.QRYClientID),
		qryKey:  []byte(msnp.QRYKeys[cfg.QRYClientID]),
		timeout: cfg.Timeout,
		hold:    cfg.Hold,
		ping:    cfg.Ping,
		stamps:  cfg.Timestamps == TimestampsKernel,
		role:    parseRole(cfg.TargetRole),

		statusEvery: cfg.StatusEvery,
		online:      hasStep(steps, StepChg),
		warmup:      int64(cfg.Warmup),
		seed:        cfg.Seed,
	}
	acc, err := newAccounts(&cfg)
	if err != nil {
		return nil, err
	}
	e.p.accts = acc
	e.p.texts = &e.texts
	if cfg.StatusEvery > 0 || cfg.ChatEvery > 0 {
		e.p.roster = newRoster(acc)
	}
	if cfg.ChatEvery > 0 {
		e.p.chat = newChatHub(cfg.ChatEvery, cfg.Seed, e.p.roster)
	}

	shards := max(cfg.ShardCount, 1)
	lo, hi := shardRange(cfg.Concurrency, cfg.ShardIndex, shards)
	e.concurrency = hi - lo
	e.rate = cfg.Rate / float64(shards)
	if cfg.Logins > 0 {
		// -n is the whole test's count, like -c and --rate: each shard
		// starts its part, so the parts add up to -n exactly.
		llo, lhi := shardRange(int(cfg.Logins), cfg.ShardIndex, shards)
		e.logins = int64(lhi - llo)
		if e.logins == 0 {
			return nil, fmt.Errorf("-n %d split %d ways leaves shard %d with no logins", cfg.Logins, shards,
				cfg.ShardIndex)
		}
	}
	e.levelScale = 1 / float64(shards)
	if cfg.Concurrency > 0 && e.concurrency == 0 {
		return nil, fmt.Errorf("concurrency %d split %d ways leaves shard %d with none", cfg.Concurrency, shards,
			cfg.ShardIndex)
	}
	if cfg.Source != "" {
		if e.srcs, err = ParseSource(cfg.Source); err != nil {
			return nil, err
		}
		if err := checkSources(e.srcs); err != nil {
			return nil, err
		}
	}
	sides := 1
	if cfg.SharedProcess {
		sides = 2
	}
	if e.limits, err = probe(len(e.srcs), sides); err != nil {
		return nil, err
	}
	if e.cfg.open() && e.cfg.inflightDefault && e.cfg.MaxInflight > e.limits.Fit && e.limits.Fit > 0 {
		// The default is a ceiling, not a request: use what fits, and say
		// so. An explicit --max-inflight that does not fit is refused below.
		e.limits.LoweredFrom = e.cfg.MaxInflight
		e.cfg.MaxInflight = e.limits.Fit
	}
	peak := e.peakInflight()
	if err := e.limits.check(peak); err != nil {
		return nil, err
	}
	if !cfg.AllowSharedAccounts && acc.len() < peak {
		return nil, fmt.Errorf("%d accounts for up to %d sessions in flight: an account must not be logged in "+
			"twice at once (the server would kick one with OUT OTH); add accounts, lower the load, or pass "+
			"--allow-shared-accounts", acc.len(), peak)
	}
	e.stripes = max(2*runtime.GOMAXPROCS(0), 1)
	return e, nil
}

// peakInflight is this shard's most sessions in flight at once.
func (e *Engine) peakInflight() int {
	c := &e.cfg
	switch {
	case c.open():
		return c.MaxInflight
	case len(c.Stages) > 0:
		return int(math.Ceil(maxLevel(c.Stages) * e.levelScale))
	}
	return e.concurrency
}

// Limits returns what the preflight found (file descriptors, local ports).
func (e *Engine) Limits() Limits { return e.limits }

// LimitsNote says why the default MaxInflight was lowered, or is empty
// when it was not.
func (e *Engine) LimitsNote() string {
	l := &e.limits
	if l.LoweredFrom == 0 {
		return ""
	}
	ends := ""
	if e.cfg.SharedProcess {
		ends = ", client and embedded server ends"
	}
	ports := ""
	if l.LocalPorts > 0 {
		ports = fmt.Sprintf(" and %d local ports", l.LocalPorts)
	}
	return fmt.Sprintf("max in-flight lowered from the default %d to %d: that is what %d open files (%d per "+
		"session%s)%s allow; raise the hard limit (ulimit -Hn), or pass --max-inflight to choose",
		l.LoweredFrom, e.cfg.MaxInflight, l.NoFile, l.FilesPerSession, ends, ports)
}

// TargetRole returns what the first server's phases are named for: "ds",
// "ns", or "auto" (per session); after a Probe with TargetRole auto, the
// role the probe saw, if it got that far.
func (e *Engine) TargetRole() string { return e.p.role.String() }

// Notes returns what New changed from what was asked for, one sentence
// each: the default MaxInflight lowered to fit (LimitsNote), kernel
// timestamps asked for where there are none. They are also in the report's
// warnings.
func (e *Engine) Notes() []string {
	var notes []string
	if note := e.LimitsNote(); note != "" {
		notes = append(notes, note)
	}
	if e.cfg.stampsDowngraded {
		notes = append(notes, "--timestamps kernel needs Linux (SO_TIMESTAMPNS): replies are timed with "+
			"--timestamps user instead, when msnbench has read them, so the reply phases include the "+
			"generator's own wake-up")
	}
	return notes
}

// OnInterval makes Run call fn with each interval's figures as it closes
// (report.Recorder.OnInterval), on the goroutine that ticks the intervals,
// and once or twice more at the end of the run for the last one. fn must
// return quickly: the next interval waits for it. Call it before Run.
func (e *Engine) OnInterval(fn func(*report.IntervalStats)) { e.onInterval = fn }

// Config returns the validated configuration (defaults filled in).
func (e *Engine) Config() Config { return e.cfg }

// Live is a progress snapshot of a running Engine.
type Live struct {
	report.Live
	Held int64 // sessions logged in and being held
	// Presence is how many status-change notifications (--status-every)
	// arrived and were timed so far; PresenceLost how many did not arrive
	// in time.
	Presence, PresenceLost int64
	// Messages is how many chat messages (--chat-every) arrived at a user
	// held by this run and were timed so far; MessagesLost how many did
	// not (counted when their conversation ends).
	Messages, MessagesLost int64
	State                  string        // waiting, warmup, running, stopping, done
	Left                   time.Duration // estimated time to the end; -1 if unknown
}

// Live returns the progress so far; it is safe to call from any goroutine
// at any time, also before and after Run.
func (e *Engine) Live() Live {
	l := Live{State: stateNames[e.state.Load()], Held: e.held.Load(), Left: -1}
	if r := e.p.roster; r != nil {
		l.Presence, l.PresenceLost = r.delivered.Load(), r.lost.Load()
	}
	if h := e.p.chat; h != nil {
		l.Messages, l.MessagesLost = h.delivered.Load(), h.lost.Load()
	}
	if r := e.rec.Load(); r != nil {
		l.Live = r.Live()
	}
	start := e.runStart.Load()
	if start == 0 {
		return l
	}
	elapsed := time.Since(time.Unix(0, start))
	l.Elapsed = elapsed
	l.Inflight = e.inflight.Load()
	if end := e.cfg.end(); end > 0 {
		l.Left = max(end-elapsed, 0)
	}
	if e.logins > 0 {
		rate := l.Rate
		if e.rate > 0 {
			rate = e.rate
		}
		if rate > 0 {
			left := time.Duration(float64(e.logins-min(e.issued.Load(), e.logins)) / rate * float64(time.Second))
			if l.Left < 0 || left < l.Left {
				l.Left = left
			}
		}
	}
	if l.State == "done" {
		l.Left = 0
	}
	return l
}

func (e *Engine) markTimeUp() { e.timeOnce.Do(func() { close(e.timeUp) }) }

func (e *Engine) stopStarting() {
	e.stopOnce.Do(func() {
		close(e.stop)
		e.loops.wakeSleepers() // workers waiting for their stage, schedulers waiting for a start
	})
}

func (e *Engine) stopped() bool {
	select {
	case <-e.stop:
		return true
	default:
		return false
	}
}

// endHolds tells every held session to log out now.
func (e *Engine) endHolds() {
	e.p.stopHold.Store(true)
	e.mu.Lock()
	for _, s := range e.sessions {
		s.wake()
	}
	e.mu.Unlock()
	e.loops.each((*session).wake, false)
	e.p.chat.each((*session).wake)
}

func (e *Engine) abortAll() {
	e.mu.Lock()
	for _, s := range e.sessions {
		s.abort()
	}
	e.mu.Unlock()
	e.loops.each((*session).abort, true)
	e.p.chat.each((*session).abort)
	if cl := e.p.closer; cl != nil {
		cl.closeAll()
	}
}

func (e *Engine) newSession(stripe int) *session {
	s := newSession(&e.p, stripe)
	e.mu.Lock()
	e.sessions = append(e.sessions, s)
	e.mu.Unlock()
	if e.sessionsCanceled.Load() {
		s.canceled.Store(true)
	}
	return s
}

// Run runs the load until a stop condition (logins, duration, end of the
// stages) or until ctx is canceled, and returns the result. On
// cancellation it stops starting sessions at once, lets sessions in flight
// finish for the grace period (Config.Grace), then closes what is left;
// those are counted as cut (report.Counts.Cut), not as failures. Held sessions log out at the end of the run. The
// only errors are setup errors (or calling Run twice); a failing server
// gives a report full of failures, not an error.
func (e *Engine) Run(ctx context.Context) (*report.Run, error) {
	if !e.ran.CompareAndSwap(false, true) {
		return nil, errors.New("loadgen: Engine.Run called twice")
	}
	c := &e.cfg
	if !c.StartAt.IsZero() {
		if err := sleepUntil(ctx, c.StartAt); err != nil {
			return nil, fmt.Errorf("waiting for the start time %s: %w", c.StartAt.Format(time.RFC3339), err)
		}
	}
	hardCtx, hardCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer hardCancel()
	d := newDialer(hardCtx, c.Timeout, e.srcs, e.p.stamps)
	e.p.dial = d.dial
	if c.IO == IOLoop {
		lg, err := newLoopGroup(e, d)
		if err != nil {
			return nil, fmt.Errorf("starting the event loops: %w (--io net uses Go's net package instead)", err)
		}
		e.loops = lg
	} else {
		e.p.closer = newCloser()
	}

	rec := report.NewRecorder(e.stripes, c.Interval)
	if c.Hold > 0 {
		rec.SetHeld(e.held.Load)
	}
	e.rec.Store(rec)
	if e.p.stamps {
		// The first replies come stamped too (rxstamp.Warm); without it,
		// up to the first few dozen milliseconds of a run were timed when
		// read.
		w, _ := rxstamp.Warm(time.Second)
		defer w.Close()
	}
	u0 := takeUsage()
	start := time.Now()
	e.p.start = start
	e.p.rec = rec
	if e.onInterval != nil {
		rec.OnInterval(start, e.onInterval)
	}
	e.runStart.Store(start.UnixNano())
	if c.Warmup > 0 {
		e.state.Store(stateWarmup)
	} else {
		e.state.Store(stateRunning)
	}

	done := make(chan struct{})
	var bg sync.WaitGroup
	bg.Add(2)
	go func() { // interval ticks
		defer bg.Done()
		t := time.NewTicker(c.Interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				rec.Tick(e.p.now())
				if e.state.Load() == stateWarmup && time.Since(start) >= c.Warmup {
					e.state.CompareAndSwap(stateWarmup, stateRunning)
				}
			}
		}
	}()
	go func() { // stop conditions by time, cancellation, grace
		defer bg.Done()
		// The open model's scheduler ends by itself at the end of the
		// time (it knows every start's intended time, and must issue the
		// late ones too); it then closes timeUp.
		var end <-chan time.Time
		if total := c.end(); total > 0 && !c.open() {
			t := time.NewTimer(total)
			defer t.Stop()
			end = t.C
		}
		select {
		case <-done:
			return
		case <-ctx.Done():
			e.interrupted.Store(true)
		case <-end:
		case <-e.timeUp:
		case <-e.stop: // -n reached: sessions in flight (and held) finish normally
			select {
			case <-done:
				return
			case <-ctx.Done():
				e.interrupted.Store(true)
			case <-end:
			case <-e.timeUp:
			}
		}
		e.state.Store(stateStopping)
		e.stopStarting()
		e.endHolds()
		if c.Grace < 0 {
			e.abortAll()
			hardCancel()
			return
		}
		g := time.NewTimer(c.Grace)
		defer g.Stop()
		select {
		case <-done:
		case <-g.C:
			e.sessionsCanceled.Store(true)
			e.abortAll()
			hardCancel()
		}
	}()

	switch {
	case e.loops != nil && c.open():
		e.loops.runOpen()
	case e.loops != nil:
		e.loops.runClosed()
	case c.open():
		e.runOpen()
	default:
		e.runClosed()
	}
	if e.p.chat != nil {
		e.p.chat.wg.Wait() // the switchboard connections on goroutines
	}
	if e.p.closer != nil {
		// Let the servers close the last sessions' connections (the grace
		// period, or the interrupt, ends the wait).
		e.p.closer.finish()
	}
	e.stopStarting()
	close(done)
	bg.Wait()

	end := e.p.now()
	u1 := takeUsage()
	run := &report.Run{
		Schema:  report.SchemaVersion,
		Tool:    c.Tool,
		ID:      report.NewRunID(),
		Label:   c.Label,
		Config:  e.reportConfig(),
		Machine: machine(),
		Start:   start,
		End:     start.Add(time.Duration(end)),
		Shard:   report.Shard{Index: c.ShardIndex, Count: c.ShardCount, Group: c.ShardGroup, At: c.StartAt},
	}
	rec.Finish(run, end)
	run.Interrupted = e.interrupted.Load()
	run.ErrorTexts = e.texts.texts()
	if e.p.chat != nil {
		e.p.chat.report(run)
	}
	e.holdMu.Lock()
	fillHealth(run, u0, u1, e.peak.Load(), c.SharedProcess, e.holdFailed)
	e.holdMu.Unlock()
	run.Health.BackoffTotal = report.Duration(e.backoffNs.Load())
	run.Health.Backoffs = e.backoffs.Load()
	run.Health.Warnings = append(run.Health.Warnings, e.Notes()...)
	e.presenceReport(run)
	e.state.Store(stateDone)
	return run, nil
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runOne runs one session on s: lease an account, log in and take the
// steps, record the result, hold, release. It reports parked when the
// hold goes on without the calling goroutine (an event loop parked the
// session, see loopCtx.parkHold): endHold then finishes the session later,
// on another goroutine of the loop, and the caller must stop using s.
func (e *Engine) runOne(s *session, intended int64) (parked bool) {
	p := &e.p
	rec := p.rec
	acct, ok := p.accts.acquire()
	if !ok {
		rec.Dropped(s.stripe, p.now())
		return false
	}
	s.warm = intended < int64(e.cfg.Warmup)
	rec.Started(s.stripe, p.now())
	n := e.inflight.Add(1)
	for {
		pk := e.peak.Load()
		if n <= pk || e.peak.CompareAndSwap(pk, n) {
			break
		}
	}
	held := s.run(acct, intended)
	if e.cfg.open() && s.sm.Class != msnp.ClassCanceled {
		s.sm.Set(report.SchedLag, s.sm.Start-intended)
	}
	rec.Record(s.stripe, &s.sm)
	s.backoff = nextBackoff(s.backoff, &s.sm)
	if held != nil {
		e.held.Add(1)
		s.holdBegin()
		ph, err, parked := s.holdRun(s.parker != nil)
		if parked {
			return true
		}
		e.endHold(s, ph, err)
		return false
	}
	e.endSession(s)
	return false
}

// endHold counts how a hold ended (ph, err: see holdRun) and ends
// the session.
func (e *Engine) endHold(s *session, ph report.Phase, err error) {
	e.held.Add(-1)
	if err != nil {
		class, code := msnp.Classify(err)
		if s.canceled.Load() && class == msnp.ClassTimeout {
			class = msnp.ClassCanceled
		}
		if class == msnp.ClassOther {
			e.texts.add(ph, true, err)
		}
		// A hold cut by the end of the run was not lost: its login
		// is in ok and the server did nothing wrong.
		if class != msnp.ClassCanceled {
			e.holdMu.Lock()
			e.holdFailed[holdKey{ph, class, code, msnp.DetailOf(err)}]++
			e.holdMu.Unlock()
		}
	}
	e.endSession(s)
}

// endSession releases the session's account.
func (e *Engine) endSession(s *session) {
	e.inflight.Add(-1)
	e.p.accts.release(s.acct)
}

// runClosed runs the closed model: a fixed (or staged) number of workers,
// each starting its next session when the last one ended.
func (e *Engine) runClosed() {
	workers := e.closedWorkers()
	var g errgroup.Group
	for id := range workers {
		if !e.waitTurn(id, e.pauseGoroutine) {
			break
		}
		s := e.newSession(id % e.stripes)
		g.Go(func() error {
			e.closedWorker(id, s, e.pauseGoroutine)
			return nil
		})
	}
	_ = g.Wait()
}

// waitTurn waits (with pause) until closed-model worker id is first due:
// at once without stages, else when the stage level first goes above it,
// so that a worker is set up (a session, a goroutine or task) only when it
// has work: a ramp up to tens of thousands of held sessions used to begin
// with all of them waiting. It reports false if the run stops first, or if
// the profile ends first (the run's time is then up, as a worker would
// have found).
func (e *Engine) waitTurn(id int, pause func(time.Duration)) bool {
	st := e.cfg.Stages
	for len(st) > 0 {
		if e.stopped() {
			return false
		}
		d, ok := untilAbove(st, time.Since(e.p.start), float64(id)/e.levelScale)
		if !ok && d <= 0 {
			e.markTimeUp()
			e.stopStarting()
			return false
		}
		if d <= 0 {
			break
		}
		pause(d)
	}
	return !e.stopped()
}

// closedWorkers is how many workers the closed model needs.
func (e *Engine) closedWorkers() int {
	if len(e.cfg.Stages) > 0 {
		return e.peakInflight()
	}
	return e.concurrency
}

// pauseGoroutine waits d, or less if the run stops meanwhile.
func (e *Engine) pauseGoroutine(d time.Duration) {
	t := time.NewTimer(d)
	select {
	case <-t.C:
	case <-e.stop:
		t.Stop()
	}
}

// closedWorker runs sessions one after another on s until the run stops.
// pause waits (the stage level leaves this worker idle), returning early
// when the run stops.
func (e *Engine) closedWorker(id int, s *session, pause func(time.Duration)) {
	c := &e.cfg
	p := &e.p
	for !e.stopped() {
		if len(c.Stages) > 0 {
			lvl, ok := levelAt(c.Stages, time.Since(p.start))
			if !ok {
				e.markTimeUp()
				e.stopStarting()
				return
			}
			if float64(id) >= lvl*e.levelScale {
				// Not this worker's turn at the current level: sleep until
				// it is (or the profile ends), but wake at once when the
				// run stops. (It used to look again every 20 ms: with tens
				// of thousands of workers ramping up to held sessions,
				// their wake-ups took more CPU than the logins.)
				d, _ := untilAbove(c.Stages, time.Since(p.start), float64(id)/e.levelScale)
				pause(max(d, time.Millisecond))
				continue
			}
		}
		now := p.now()
		if now >= int64(c.Warmup) && e.logins > 0 {
			if e.issued.Add(1) > e.logins {
				e.stopStarting()
				return
			}
		}
		if e.runOne(s, now) {
			return // the session's hold was parked: resumeClosed goes on
		}
		e.backOff(s, pause)
	}
}

// resumeClosed goes on with closed worker id after a parked hold ended
// (endHold has run): what closedWorker does after runOne.
func (e *Engine) resumeClosed(id int, s *session, pause func(time.Duration)) {
	e.backOff(s, pause)
	e.closedWorker(id, s, pause)
}

// runOpen runs the open model: a scheduler computes the intended start of
// every session from the rate (or the rate stages) and hands it to an idle
// worker. Workers are created on demand up to MaxInflight; a start due when
// all of them are busy is dropped and counted, never queued (a queue would
// hide the server's slowness from the measurement).
func (e *Engine) runOpen() {
	c := &e.cfg
	p := &e.p
	var g errgroup.Group
	g.SetLimit(c.MaxInflight)
	work := make(chan int64)
	arr := e.newPacer(0, 1)
	tm := time.NewTimer(time.Hour)
	tm.Stop()
	lagTimer := time.NewTimer(time.Hour)
	lagTimer.Stop()
loop:
	for {
		at, ok := arr.next()
		if !ok {
			e.markTimeUp()
			break
		}
		intended := int64(at)
		if d := time.Until(p.start.Add(at)); d > 0 {
			tm.Reset(d)
			select {
			case <-tm.C:
			case <-e.stop:
				tm.Stop()
				break loop
			}
		} else if e.stopped() {
			break
		}
		if !e.count(intended) {
			break
		}
		if !e.issue(&g, work, intended, lagTimer) {
			break
		}
	}
	e.stopStarting()
	close(work)
	_ = g.Wait()
}

// newPacer makes the open model's arrival stream i of n (pacer.go): the
// run's rate may be split over several streams (one per event loop), each
// with its share of the rate and random numbers of its own.
func (e *Engine) newPacer(i, n int) *pacer {
	c := &e.cfg
	var rng *rand.Rand
	if c.Arrival == Poisson {
		seed := c.Seed
		if seed == 0 {
			seed = uint64(time.Now().UnixNano())
		}
		// Stream 0 of shard k draws what the single stream drew before
		// streams existed, so a seeded run with one loop is reproducible.
		rng = rand.New(rand.NewPCG(seed, uint64(c.ShardIndex)+uint64(i)<<32))
	}
	return newPacer(e.rate, c.Stages, e.levelScale, c.end(), rng, i, n)
}

// count counts a start against -n; false means -n is reached and this
// start is not to be made.
func (e *Engine) count(intended int64) bool {
	if intended >= int64(e.cfg.Warmup) && e.logins > 0 {
		if e.issued.Add(1) > e.logins {
			e.issued.Add(-1)
			return false
		}
	}
	return true
}

// issue hands the start due at intended to an idle worker, creating one
// if fewer than MaxInflight exist. When all are busy it waits for one, but
// only until the start is MaxLag late: then the start is dropped and
// counted. Waiting, rather than dropping at once, is what lets a stalled
// server show up in sched.lag and login.intended (coordinated omission);
// the bound keeps the backlog finite. It returns false when the run stops.
func (e *Engine) issue(g *errgroup.Group, work chan int64, intended int64, lagTimer *time.Timer) bool {
	c := &e.cfg
	p := &e.p
	select {
	case work <- intended:
		return true
	default:
	}
	if e.spawned.Load() < int64(c.MaxInflight) {
		id := int(e.spawned.Add(1) - 1)
		s := e.newSession(id % e.stripes)
		if g.TryGo(func() error {
			e.runOne(s, intended)
			for it := range work {
				e.runOne(s, it)
			}
			return nil
		}) {
			return true
		}
	}
	lagTimer.Reset(time.Until(p.start.Add(time.Duration(intended) + c.MaxLag)))
	defer lagTimer.Stop()
	select {
	case work <- intended:
		return true
	case <-lagTimer.C:
		p.rec.Dropped(int(intended%int64(e.stripes)), p.now())
		return true
	case <-e.stop:
		return false
	}
}

// reportConfig is the configuration as the report shows it: no password,
// no account list, only what describes the run.
func (e *Engine) reportConfig() report.Config {
	c := &e.cfg
	rc := report.Config{
		Target:      c.Target,
		Model:       c.Model(),
		Concurrency: c.Concurrency,
		Rate:        c.Rate,
		MaxInflight: c.MaxInflight,
		Logins:      c.Logins,
		Duration:    report.Duration(c.Duration),
		Warmup:      report.Duration(c.Warmup),
		Steps:       []string{},
		Hold:        report.Duration(c.Hold),
		Dialects:    string(e.p.verList),
		Accounts:    c.accountCount(),
		UserPattern: c.UserPattern,
		UsersFile:   c.UsersFile,
		Source:      c.Source,
		Timeout:     report.Duration(c.Timeout),
		Interval:    report.Duration(c.Interval),
		IO:          c.IO,
		Timestamps:  c.Timestamps,
		TargetRole:  e.p.role.String(),
	}
	if c.TargetRole == RoleAuto && e.p.role != roleAuto {
		rc.TargetRoleBy = "probe"
	}
	if c.TargetLabel != "" {
		rc.Target = c.TargetLabel
	}
	if c.open() {
		rc.Arrival = c.Arrival.String()
	}
	if len(c.Stages) > 0 {
		rc.Stages = FormatStages(c.Stages)
		if c.StagesRate {
			rc.Stages = "rate " + rc.Stages
		}
	}
	for _, s := range c.Steps {
		rc.Steps = append(rc.Steps, s.String())
		if s == StepChg {
			rc.Status = c.Status
		}
	}
	if c.Hold > 0 {
		rc.Ping = report.Duration(c.Ping)
		rc.StatusEvery = report.Duration(c.StatusEvery)
		rc.ChatEvery = report.Duration(c.ChatEvery)
	}
	return rc
}
