//go:build linux

package loadgen

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/msnbench/msnbench/internal/evloop"
)

const loopsSupported = true

// loopGroup runs the sessions of a run on event loops (internal/evloop):
// one per core, each a thread of its own in epoll_wait, its sessions
// coroutines that the loop resumes when their socket is ready. The session
// code is the same as with Go's net package (it sees a net.Conn); what
// changes is that a reply wakes the session directly, without a read that
// fails first, a goroutine hand-off or the runtime's timers.
//
// Everything a loop's sessions do happens on that loop. The engine reaches
// them from other goroutines (end of holds, abort) through Post.
type loopGroup struct {
	e     *Engine
	d     *dialer
	loops []*loopCtx

	// open model: streams still scheduling, and whether one reached the
	// end of the schedule (the run's time is up when the last one ends)
	streams atomic.Int32
	timeUp  atomic.Bool
}

// loopCtx is one loop and the sessions it runs.
type loopCtx struct {
	g        *loopGroup
	l        *evloop.Loop
	sessions sessionList // touched only on the loop
	resolved map[string]netip.AddrPort

	// Parked holds (parkedSession): sessions whose connection needs them, in
	// order, and the runner tasks that go on with them.
	unparked []*session
	next     int           // unparked[next] is the next one to run
	idle     []*holdRunner // runners waiting for work
	woken    int           // runners woken that have not looked at unparked yet
}

func newLoopGroup(e *Engine, d *dialer) (*loopGroup, error) {
	n := e.cfg.Loops
	if n == 0 {
		n = defaultLoops()
	}
	n = max(1, min(n, e.peakInflight()))
	g := &loopGroup{e: e, d: d}
	for range n {
		l, err := evloop.New()
		if err != nil {
			for _, lc := range g.loops {
				lc.l.Close()
			}
			return nil, err
		}
		l.SetSpin(e.cfg.Spin)
		if n < runtime.GOMAXPROCS(0) { // a P is left for everything else
			l.SetHoldP(holdP)
		}
		l.SetStampReads(e.cfg.Timestamps == TimestampsKernel)
		g.loops = append(g.loops, &loopCtx{g: g, l: l, resolved: map[string]netip.AddrPort{}})
	}
	return g, nil
}

// defaultLoops is one loop per P but one: the P left over runs everything
// else (the embedded server, timers, progress, GC) and, above all, is idle
// most of the time, so the runtime never takes a P away from a loop
// sleeping in epoll_wait to hand it over. With a loop on every P that
// hand-off (sysmon's retake, a thread woken, the P won back when epoll
// returns) happened on nearly every wait and cost 25% more CPU per login
// (docs/benchmarks.md).
func defaultLoops() int { return max(1, runtime.GOMAXPROCS(0)-1) }

// session makes a session that runs on this loop.
func (lc *loopCtx) session(stripe int) *session {
	s := lc.sessions.add(lc.g.e, stripe)
	s.dial = lc.dial
	s.spawn = func(f func()) { lc.l.Go(func(*evloop.Task) { f() }) }
	s.parker = &parkedSession{lc: lc, s: s}
	return s
}

// dial connects from the running session's task.
func (lc *loopCtx) dial(addr string) (net.Conn, error) {
	ap, err := lc.resolve(addr)
	if err != nil {
		return nil, err
	}
	var src netip.Addr
	if n := len(lc.g.d.srcs); n > 0 {
		src = lc.g.d.srcs[lc.g.d.next.Add(1)%uint64(n)]
	}
	c, err := lc.l.Dial(ap, src, lc.g.e.p.timeout)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// resolve turns host:port into an address. Literal addresses (the usual
// case, and every referral of the reference server) cost a map lookup
// after the first time; a name is looked up once per loop and kept. The
// lookup blocks the loop, once.
func (lc *loopCtx) resolve(addr string) (netip.AddrPort, error) {
	if ap, ok := lc.resolved[addr]; ok {
		return ap, nil
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		host, port, serr := net.SplitHostPort(addr)
		if serr != nil {
			return netip.AddrPort{}, &net.OpError{Op: "dial", Net: "tcp", Err: serr}
		}
		pn, perr := net.DefaultResolver.LookupPort(context.Background(), "tcp", port)
		if perr != nil {
			return netip.AddrPort{}, &net.OpError{Op: "dial", Net: "tcp", Err: perr}
		}
		ctx, cancel := context.WithTimeout(context.Background(), lc.g.e.p.timeout)
		ips, lerr := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		cancel()
		if lerr != nil || len(ips) == 0 {
			if lerr == nil {
				lerr = fmt.Errorf("no address for %s", host)
			}
			return netip.AddrPort{}, &net.OpError{Op: "dial", Net: "tcp", Err: lerr}
		}
		ip := ips[0]
		for _, x := range ips { // IPv4 first, as the source addresses mostly are
			if x.Unmap().Is4() {
				ip = x
				break
			}
		}
		ap = netip.AddrPortFrom(ip.Unmap(), uint16(pn))
	}
	if len(lc.resolved) < 64 { // a server handing out endless distinct referrals gets no cache
		lc.resolved[addr] = ap
	}
	return ap, nil
}

// each runs f on every session of every loop, on the loop's own goroutine;
// abort also makes every connection wait and later dial on it fail now.
func (g *loopGroup) each(f func(*session), abort bool) {
	for _, lc := range g.loops {
		lc.l.Post(func() {
			lc.sessions.each(f)
			if abort {
				lc.l.Abort()
			}
		})
	}
}

// wakeSleepers ends the waits of workers and schedulers that are not
// waiting for the network, so they see that the run stops.
func (g *loopGroup) wakeSleepers() {
	for _, lc := range g.loops {
		lc.l.Post(lc.l.WakeSleepers)
	}
}

// run runs every loop to its end.
func (g *loopGroup) run() {
	var eg errgroup.Group
	for _, lc := range g.loops {
		eg.Go(lc.l.Run)
	}
	if err := eg.Wait(); err != nil {
		// epoll itself failed: nothing the sessions could do about it.
		panic(fmt.Sprintf("loadgen: event loop: %v", err))
	}
}

// runClosed runs the closed model, each loop one part of the workers
// (Engine.startClosed), started from a task of its own.
func (g *loopGroup) runClosed() {
	e := g.e
	for i, lc := range g.loops {
		lc.l.Go(func(t *evloop.Task) {
			e.startClosed(i, len(g.loops), func(d time.Duration) { t.Sleep(d) }, lc.startWorker)
		})
	}
	g.run()
}

// startWorker starts closed-model worker id on this loop.
func (lc *loopCtx) startWorker(id int) {
	e := lc.g.e
	s := lc.session(e.stripe(int64(id)))
	// The worker's task ends when its session's hold is parked, and a new
	// one goes on after the hold: pause sleeps in whichever task runs it.
	pause := func(d time.Duration) { lc.l.Current().Sleep(d) }
	s.parker.(*parkedSession).resume = func() {
		lc.l.Go(func(*evloop.Task) { e.resumeClosed(id, s, pause) })
	}
	lc.l.Go(func(*evloop.Task) { e.closedWorker(id, s, pause) })
}

// Parking held sessions. A session's task would spend its hold waiting in
// a read, keeping a goroutine and its stack (4 KiB and more, the larger
// part of a held session's memory) for a PNG a minute. Instead, a held
// session that has nothing buffered and nothing to read parks its
// connection (evloop.Conn.Park) and its task ends: the session is then
// only its struct and its connection. When the connection needs it (a
// reply, a timer of the hold, the end of the run), one of the loop's
// runner tasks goes on with it (holdRun) until it parks again; when the
// hold is over, a new task goes on with the worker (resume).

// parkedSession is a session's link to the loop that parks its holds.
type parkedSession struct {
	lc     *loopCtx
	s      *session
	resume func() // starts a task that goes on with the worker after the hold
}

func (ps *parkedSession) park(c net.Conn) bool {
	ec, ok := c.(*evloop.Conn)
	return ok && ps.resume != nil && ec.Park(ps)
}

// Unparked queues the session for a runner: one already woken takes it,
// else an idle one is woken, else (every runner is waiting for the rest of
// a line or for room to write, or there is none) a new one starts.
func (ps *parkedSession) Unparked(*evloop.Conn) {
	lc := ps.lc
	lc.unparked = append(lc.unparked, ps.s)
	if lc.woken > 0 {
		return
	}
	lc.woken++
	if n := len(lc.idle); n > 0 {
		r := lc.idle[n-1]
		lc.idle = lc.idle[:n-1]
		r.state = runnerWoken
		lc.l.Ready(r.t)
		return
	}
	r := &holdRunner{lc: lc, state: runnerWoken}
	r.t = lc.l.Go(r.run)
}

// holdRunner is a task that goes on with unparked sessions, one at a time
// (a runner waits only for the rest of a line that arrived in parts, or
// for room to write; the others take the queue meanwhile).
type holdRunner struct {
	lc    *loopCtx
	t     *evloop.Task
	state uint8
}

const (
	runnerBusy  uint8 = iota
	runnerIdle        // in lc.idle, parked
	runnerWoken       // will look at the queue soon (counted in lc.woken)
)

func (r *holdRunner) run(t *evloop.Task) {
	lc := r.lc
	for {
		switch r.state {
		case runnerWoken:
			lc.woken--
		case runnerIdle: // woken by WakeSleepers, not by Unparked
			for i, x := range lc.idle {
				if x == r {
					lc.idle = append(lc.idle[:i], lc.idle[i+1:]...)
					break
				}
			}
		}
		r.state = runnerBusy
		for lc.next < len(lc.unparked) {
			s := lc.unparked[lc.next]
			lc.unparked[lc.next] = nil
			lc.next++
			lc.resumeHold(s)
		}
		lc.unparked, lc.next = lc.unparked[:0], 0
		if lc.l.Parked() == 0 {
			// Nothing parked, so nothing can need a runner: end, and let
			// the idle ones end too (Run ends when every task has), A
			// session parked later starts a new one.
			for _, x := range lc.idle {
				lc.l.Ready(x.t)
			}
			return
		}
		r.state = runnerIdle
		lc.idle = append(lc.idle, r)
		t.Park()
	}
}

// resumeHold goes on with an unparked session's hold, on a runner.
func (lc *loopCtx) resumeHold(s *session) {
	if s.sb != nil {
		s.resumeSB() // a switchboard connection (sb.go)
		return
	}
	ph, err, parked := s.holdRun(true)
	if parked {
		return
	}
	lc.g.e.endHold(s, ph, err)
	s.parker.(*parkedSession).resume()
}

// runOpen runs the open model: each loop has its own stream of arrivals
// (its share of the rate) and its share of MaxInflight workers, so a start
// never crosses threads. Engine.schedule applies the rules (open.go);
// loopOpen gives it the loop's tasks as workers.
func (g *loopGroup) runOpen() {
	e := g.e
	n := len(g.loops)
	g.streams.Store(int32(n))
	for i, lc := range g.loops {
		share := e.cfg.MaxInflight / n
		if i < e.cfg.MaxInflight%n {
			share++
		}
		lc.l.Go(func(t *evloop.Task) {
			o := &loopOpen{lc: lc, t: t, max: share}
			if e.schedule(e.newPacer(i, n), o) {
				g.timeUp.Store(true)
			}
			o.close()
		})
	}
	g.run()
}

// loopOpen is the open model's starter on one loop: the scheduler is a
// task, and so is each worker; idle workers park until handed a start.
// Everything in it is touched only on the loop.
type loopOpen struct {
	lc      *loopCtx
	t       *evloop.Task // the scheduler's
	idle    []*openWorker
	spawned int
	max     int  // this loop's share of MaxInflight
	waiting bool // the scheduler waits for a worker to become idle
	closing bool
}

// openWorker is a worker of the open model on a loop.
type openWorker struct {
	t   *evloop.Task
	s   *session
	job int64
	has bool // job is set and not yet started
}

func (o *loopOpen) when(at int64) int64 { return o.lc.l.When(o.lc.g.e.p.start.Add(time.Duration(at))) }

func (o *loopOpen) sleepUntil(at int64) bool {
	e := o.lc.g.e
	for !e.stopped() && !o.t.SleepUntil(o.when(at)) {
	}
	return !e.stopped()
}

func (o *loopOpen) hand(intended int64) bool {
	l := o.lc.l
	if n := len(o.idle); n > 0 {
		w := o.idle[n-1]
		o.idle = o.idle[:n-1]
		w.job, w.has = intended, true
		l.Ready(w.t)
		return true
	}
	if o.spawned >= o.max {
		return false
	}
	e := o.lc.g.e
	w := &openWorker{s: o.lc.session(e.stripe(e.n.spawned.Add(1) - 1)), job: intended, has: true}
	o.spawned++
	// After a parked hold, a new task goes on as the worker.
	w.s.parker.(*parkedSession).resume = func() {
		l.Go(func(wt *evloop.Task) {
			w.t = wt
			o.done(w)
			o.work(w)
		})
	}
	w.t = l.Go(func(*evloop.Task) { o.work(w) })
	return true
}

func (o *loopOpen) handBy(intended, deadline int64) (handed, stopped bool) {
	e := o.lc.g.e
	o.waiting = true
	for len(o.idle) == 0 && !e.stopped() && !o.t.SleepUntil(o.when(deadline)) {
	}
	o.waiting = false
	if e.stopped() {
		return false, true
	}
	return o.hand(intended), false
}

// work runs w's sessions as they are handed to it.
func (o *loopOpen) work(w *openWorker) {
	for {
		for !w.has {
			if o.closing {
				return
			}
			w.t.Park()
		}
		w.has = false
		if o.lc.g.e.runOne(w.s, w.job) {
			return // parked: resume goes on
		}
		o.done(w)
	}
}

// done makes w idle after a session.
func (o *loopOpen) done(w *openWorker) {
	o.idle = append(o.idle, w)
	if o.waiting {
		o.lc.l.Ready(o.t)
	}
}

// close ends the stream: the run stops starting sessions when the last
// stream is done, not the first (another loop may still have starts due),
// and the idle workers end.
func (o *loopOpen) close() {
	g := o.lc.g
	if g.streams.Add(-1) == 0 {
		if g.timeUp.Load() {
			g.e.markTimeUp()
		}
		g.e.stopStarting()
	}
	o.closing = true
	for _, w := range o.idle {
		o.lc.l.Ready(w.t)
	}
	// Workers still running their session come back to see closing.
}

// holdP is how long after its last events a loop keeps its P while it
// waits (evloop.Loop.SetHoldP): long enough to span the gaps between
// replies of a server that answers in tens of milliseconds, short enough
// that an idle run (sessions held between pings) soon lets the P go and the
// runtime sleep.
const holdP = 50 * time.Millisecond
