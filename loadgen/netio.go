package loadgen

import (
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// ioEngine runs a run's sessions (--io): on goroutines with Go's net
// package (netIO, below) or as coroutines on event loops (loopGroup,
// loop_linux.go). The load models decide when a session starts (closed.go,
// open.go over pacer.go); an ioEngine gives them workers to start it on,
// and reaches every session it made for the end of the run.
type ioEngine interface {
	// runClosed runs the closed model until the run stops.
	runClosed()
	// runOpen runs the open model until the run stops.
	runOpen()
	// each runs f on every session, where the session runs; abort also
	// makes every wait and later dial of those sessions fail at once.
	each(f func(*session), abort bool)
	// wakeSleepers ends the waits of workers and schedulers that are not
	// waiting for the network, so they see that the run stops.
	wakeSleepers()
}

// sessionList is the sessions an I/O engine made, kept for the end of the
// run (Engine.endHolds and abortAll reach them through ioEngine.each). It
// is not safe for concurrent use: netIO keeps one under its lock, each
// event loop one of its own, touched only on that loop.
type sessionList []*session

// add makes a session for a worker and keeps it. A session made once
// abortAll has begun is canceled at once: abortAll sets the flag before it
// goes through the lists, and add looks at it after keeping the session,
// so every session is reached by one or the other.
func (l *sessionList) add(e *Engine, stripe int) *session {
	s := e.newSession(stripe)
	*l = append(*l, s)
	if e.sessionsCanceled.Load() {
		s.canceled.Store(true)
	}
	return s
}

func (l sessionList) each(f func(*session)) {
	for _, s := range l {
		f(s)
	}
}

// netIO runs each worker on a goroutine of its own, with Go's net package.
type netIO struct {
	e        *Engine
	mu       sync.Mutex
	sessions sessionList // under mu
}

// session makes a session for a worker.
func (n *netIO) session(stripe int) *session {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.sessions.add(n.e, stripe)
}

func (n *netIO) each(f func(*session), abort bool) {
	n.mu.Lock()
	n.sessions.each(f)
	n.mu.Unlock()
}

// wakeSleepers has nothing to do: a goroutine's pause (pause) and the
// scheduler's waits select on the Engine's stop channel.
func (n *netIO) wakeSleepers() {}

// pause waits d, or less if the run stops meanwhile.
func (n *netIO) pause(d time.Duration) {
	t := time.NewTimer(d)
	select {
	case <-t.C:
	case <-n.e.stop.ch:
		t.Stop()
	}
}

// runClosed starts every closed-model worker (startClosed, as one part)
// on a goroutine of its own.
func (n *netIO) runClosed() {
	e := n.e
	var g errgroup.Group
	e.startClosed(0, 1, n.pause, func(id int) {
		s := n.session(e.stripe(int64(id)))
		g.Go(func() error {
			e.closedWorker(id, s, n.pause)
			return nil
		})
	})
	_ = g.Wait()
}

// runOpen runs the open model's one arrival stream; workers are made on
// demand, up to MaxInflight.
func (n *netIO) runOpen() {
	e := n.e
	o := &netOpen{n: n, work: make(chan int64), tm: time.NewTimer(time.Hour), lag: time.NewTimer(time.Hour)}
	o.tm.Stop()
	o.lag.Stop()
	o.g.SetLimit(e.cfg.MaxInflight)
	if e.schedule(e.newPacer(0, 1), o) {
		e.markTimeUp()
	}
	e.stopStarting()
	close(o.work)
	_ = o.g.Wait()
}

// netOpen is the open model's starter on goroutines: idle workers wait on
// work for their next start.
type netOpen struct {
	n       *netIO
	g       errgroup.Group
	work    chan int64
	tm, lag *time.Timer
}

func (o *netOpen) sleepUntil(at int64) bool {
	e := o.n.e
	if d := time.Until(e.p.start.Add(time.Duration(at))); d > 0 {
		o.tm.Reset(d)
		select {
		case <-o.tm.C:
		case <-e.stop.ch:
			o.tm.Stop()
			return false
		}
	}
	return true
}

func (o *netOpen) hand(intended int64) bool {
	select {
	case o.work <- intended:
		return true
	default:
	}
	e := o.n.e
	if e.n.spawned.Load() >= int64(e.cfg.MaxInflight) {
		return false
	}
	id := int(e.n.spawned.Add(1) - 1)
	s := o.n.session(e.stripe(int64(id)))
	return o.g.TryGo(func() error {
		e.runOne(s, intended)
		for it := range o.work {
			e.runOne(s, it)
		}
		return nil
	})
}

func (o *netOpen) handBy(intended, deadline int64) (handed, stopped bool) {
	e := o.n.e
	o.lag.Reset(time.Until(e.p.start.Add(time.Duration(deadline))))
	defer o.lag.Stop()
	select {
	case o.work <- intended:
		return true, false
	case <-o.lag.C:
		return false, false
	case <-e.stop.ch:
		return false, true
	}
}
