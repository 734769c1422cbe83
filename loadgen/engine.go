package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/msnbench/msnbench/internal/rxstamp"
	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

// Engine runs one load test. Create it with New (which does every check
// that can fail before the run), then call Run once.
//
// It holds what the run is (the configuration, this shard's share of the
// load, the session parameters, the I/O engine) and the run's state; what
// the run counts as it goes is in counters. The load models are in
// closed.go and open.go (over pacer.go and stages.go), one session's
// course in worker.go, the I/O engines in netio.go and loop_linux.go.
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

	io         ioEngine                    // how sessions run (--io), set by Run
	onInterval func(*report.IntervalStats) // set by OnInterval before Run
	rec        atomic.Pointer[report.Recorder]
	runStart   atomic.Int64 // unix ns of the run start, 0 before
	state      atomic.Int32

	stop   *latch // set when no more sessions may start
	timeUp *latch // set when the schedule reached the end of the time (-d or stages)

	n     counters
	texts errorTexts

	ran              atomic.Bool
	interrupted      atomic.Bool // ctx was canceled before the run's end
	sessionsCanceled atomic.Bool // the grace period is over: new sessions fail fast too
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
	e := &Engine{cfg: cfg, stop: newLatch(), timeUp: newLatch()}
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
		online:      anyStep(steps, goesOnline),
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

// stripe is the Recorder stripe of the session or start numbered n: spread
// round-robin so that concurrent sessions rarely share a stripe's lock.
func (e *Engine) stripe(n int64) int { return int(n % int64(e.stripes)) }

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

// limitsWarning is the report's warning when an open-model run reached a
// MaxInflight that New had lowered from the default (peak: the most
// sessions in flight at once), or empty.
func (e *Engine) limitsWarning(peak int64) string {
	note := e.LimitsNote()
	if note == "" || !e.cfg.open() || peak < int64(e.cfg.MaxInflight) {
		return ""
	}
	return fmt.Sprintf("the run reached its max in-flight, %d sessions: %s", e.cfg.MaxInflight, note)
}

// TargetRole returns what the first server's phases are named for: "ds",
// "ns", or "auto" (per session); after a Probe with TargetRole auto, the
// role the probe saw, if it got that far.
func (e *Engine) TargetRole() string { return e.p.role.String() }

// Notes returns what New changed from what was asked for and that changes
// every run, one sentence each: kernel timestamps asked for where there are
// none. They are also in the report's warnings. A default MaxInflight
// lowered to fit (LimitsNote) is not among them: it matters only to a run
// that reached it (limitsWarning), and most never come near.
func (e *Engine) Notes() []string {
	var notes []string
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
	l := Live{State: stateNames[e.state.Load()], Held: e.n.held.Load(), Left: -1}
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
	l.Inflight = e.n.inflight.Load()
	if end := e.cfg.end(); end > 0 {
		l.Left = max(end-elapsed, 0)
	}
	if e.logins > 0 {
		rate := l.Rate
		if e.rate > 0 {
			rate = e.rate
		}
		if rate > 0 {
			left := time.Duration(float64(e.logins-min(e.n.issued.Load(), e.logins)) / rate * float64(time.Second))
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

func (e *Engine) markTimeUp() { e.timeUp.set() }

// stopStarting makes the run start no more sessions.
func (e *Engine) stopStarting() {
	e.stop.once.Do(func() {
		close(e.stop.ch)
		if e.io != nil {
			e.io.wakeSleepers() // workers waiting for their stage, schedulers waiting for a start
		}
	})
}

func (e *Engine) stopped() bool { return e.stop.isSet() }

// endHolds tells every held session to log out now.
func (e *Engine) endHolds() {
	e.p.stopHold.Store(true)
	e.io.each((*session).wake, false)
	e.p.chat.each((*session).wake)
}

// abortAll fails every session's waits at once, and those of sessions
// made from now on (sessionList.add): the grace period is over.
func (e *Engine) abortAll() {
	e.sessionsCanceled.Store(true)
	e.io.each((*session).abort, true)
	e.p.chat.each((*session).abort)
	if cl := e.p.closer; cl != nil {
		cl.closeAll()
	}
}

// newSession makes a session for a worker of this run (an I/O engine
// keeps it with sessionList.add).
func (e *Engine) newSession(stripe int) *session { return newSession(&e.p, stripe) }

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
		e.io = lg
	} else {
		e.io = &netIO{e: e}
		e.p.closer = newCloser()
	}

	rec := report.NewRecorder(e.stripes, c.Interval)
	if c.Hold > 0 {
		rec.SetHeld(e.n.held.Load)
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
	go func() { defer bg.Done(); e.tick(done) }()
	go func() { defer bg.Done(); e.watch(ctx, done, hardCancel) }()
	if c.open() {
		e.io.runOpen()
	} else {
		e.io.runClosed()
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

	run := e.result(start, e.p.now(), u0, takeUsage())
	e.state.Store(stateDone)
	return run, nil
}

// tick closes the Recorder's intervals, and the warm-up, until done.
func (e *Engine) tick(done <-chan struct{}) {
	c := &e.cfg
	t := time.NewTicker(c.Interval)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			e.p.rec.Tick(e.p.now())
			if e.state.Load() == stateWarmup && e.p.now() >= int64(c.Warmup) {
				e.state.CompareAndSwap(stateWarmup, stateRunning)
			}
		}
	}
}

// watch ends the run by time, by cancellation or after -n (stop), until
// done: it stops starting sessions, ends the holds, and after the grace
// period aborts what is left and cancels hard (dials in progress).
func (e *Engine) watch(ctx context.Context, done <-chan struct{}, hardCancel func()) {
	c := &e.cfg
	// The open model's scheduler ends by itself at the end of the time
	// (it knows every start's intended time, and must issue the late ones
	// too); it then sets timeUp.
	var end <-chan time.Time
	if total := c.end(); total > 0 && !c.open() {
		t := time.NewTimer(total)
		defer t.Stop()
		end = t.C
	}
	stop := e.stop.ch
wait:
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			e.interrupted.Store(true)
		case <-end:
		case <-e.timeUp.ch:
		case <-stop:
			// -n reached: sessions in flight (and held) finish normally;
			// the time, cancellation or done still end the run.
			stop = nil
			continue
		}
		break wait
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
		e.abortAll()
		hardCancel()
	}
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
