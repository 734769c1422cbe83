//go:build linux

// Package evloop is the load generator's own network I/O on Linux: one
// event loop per core over edge-triggered epoll, non-blocking sockets that
// are read only after epoll has said they are readable, and the work (a
// session, a scheduler) running as coroutines that the loop resumes when
// what they wait for is ready.
//
// Why not the Go runtime's netpoller: with a goroutine per session every
// read first tries the socket and gets EAGAIN, parks the goroutine, and
// the scheduler later finds it again through the poller; dialling goes
// through getsockname, getpeername, SO_ERROR and finalizers. Against
// shared/bench/floor.c (blocking sockets, a thread per session) that was
// 1.5 times the CPU per login (docs/benchmarks.md). Here a login costs its
// system calls and little else: a coroutine switch (iter.Pull) is ~70 ns.
//
// Everything about a Loop happens on the goroutine that runs it (Run):
// tasks, their Conns, timers. Other goroutines talk to it only through
// Post. Conn implements net.Conn, so code written for blocking connections
// runs unchanged inside a task; its methods must be called from the task
// that owns it or from a posted function, never from another goroutine.
package evloop

import (
	"context"
	"errors"
	"iter"
	"math"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/msnbench/msnbench/internal/rxstamp"
)

// Loop is one event loop: an epoll instance, the tasks it runs and the
// connections they use.
type Loop struct {
	epfd int
	evfd int // eventfd: Post wakes the loop through it
	base time.Time

	events [256]unix.EpollEvent

	slots []*Conn // by slot number (the epoll data)
	free  []int32 // free slots
	gen   uint32  // generation of the last connection added

	runq   []*Task
	later  []*Task // tasks that gave up their turn: they run after the next poll
	timers timerHeap
	cur    *Task // the task running now, nil between tasks
	live   int   // tasks started and not finished
	linger int   // connections left to CloseAfterPeer and not closed yet
	parked int   // connections parked (Conn.Park)
	abort  bool  // Abort was called: every wait fails at once

	// Spin is how long the loop keeps polling without sleeping before it
	// blocks in epoll_wait (0: it blocks at once). See SetSpin.
	spin int64

	// holdP is how long a wait may keep the loop's P (see SetHoldP); 0:
	// every wait that may block goes through the runtime's syscall path.
	// yielded is when the loop last let the scheduler run (runtime.Gosched).
	holdP   int64
	active  int64 // when epoll last reported events
	yielded int64
	// capped: the last wait was a raw one cut short by yieldBy and nothing
	// came; the loop is in a quiet spell and parks on the runtime's poller
	// for the next (see parker). pk is the parker, made at the first park;
	// noPark, parking failed once (the loop waits raw, yielding).
	capped   bool
	pk       *parker
	noPark   bool
	parkHook func() // tests: called in each park, armed, before it polls

	// waits counts the waits that could block: raw (the P kept) and
	// through the runtime's syscall path; yields, the runtime.Gosched
	// calls. For tests.
	rawWaits, sysWaits, yields, parks uint64

	// stamp: Dial turns on kernel receive timestamps and Read reads with
	// recvmsg into msg (see SetStampReads); one set of buffers serves
	// every connection, as the loop reads one at a time.
	stamp bool
	msg   unix.Msghdr
	iov   unix.Iovec
	oob   [rxstamp.OOBSize]byte

	mu       sync.Mutex
	posted   []func()
	running  []func()
	closed   bool
	signaled atomic.Bool
}

// wakeSlot is the epoll data of the eventfd.
const wakeSlot = math.MaxUint32

// never is the deadline of a wait without one.
const never = math.MaxInt64

// New creates a loop. Close it with Run's return (Run closes it), or with
// Close if Run is never called.
func New() (*Loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	evfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLET}
	setData(&ev, wakeSlot, 0)
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(evfd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return &Loop{epfd: epfd, evfd: evfd, base: time.Now()}, nil
}

// SetStampReads makes Dial turn on the kernel's receive timestamps
// (SO_TIMESTAMPNS) on its sockets and Read fetch them with recvmsg, so that
// Conn.Arrival tells when the data of the last read arrived, not when the
// loop got round to reading it. It costs a setsockopt per connection and a
// little more per read. Call it before Run.
func (l *Loop) SetStampReads(on bool) { l.stamp = on }

// Now is the loop's clock: nanoseconds since the loop was created.
func (l *Loop) Now() int64 { return int64(time.Since(l.base)) }

// When converts a time to the loop's clock; the zero time is "never".
func (l *Loop) When(t time.Time) int64 {
	if t.IsZero() {
		return never
	}
	return int64(t.Sub(l.base))
}

// Task is a coroutine run by a loop.
type Task struct {
	l     *Loop
	next  func() (struct{}, bool)
	stop  func()
	yield func(struct{}) bool

	queued bool  // in the run queue
	tm     timer // deadline of the current wait
	fired  bool  // the last wait ended by its deadline
	conn   *Conn // the connection waited on, if any
}

// Go starts body as a new task; it first runs when the loop gets to it.
// Call it before Run or from the loop (a task or a posted function).
func (l *Loop) Go(body func(t *Task)) *Task {
	t := &Task{l: l}
	t.tm = timer{hidx: -1, task: t}
	t.next, t.stop = iter.Pull(func(yield func(struct{}) bool) {
		t.yield = yield
		body(t)
	})
	l.live++
	l.Ready(t)
	return t
}

// Parked is the number of connections parked (Conn.Park).
func (l *Loop) Parked() int { return l.parked }

// Current is the task running now (nil outside a task).
func (l *Loop) Current() *Task { return l.cur }

// Loop is the loop that runs t.
func (t *Task) Loop() *Loop { return t.l }

// Ready makes t run again soon: it ends whatever wait t is in.
func (l *Loop) Ready(t *Task) {
	if t.queued || l.cur == t {
		return
	}
	t.queued = true
	l.runq = append(l.runq, t)
}

// wait suspends the running task until it is made ready (by an event on
// the Conn it waits on, Ready, or its deadline). It reports whether the
// deadline ended it.
func (t *Task) wait(when int64) (fired bool) {
	l := t.l
	if l.cur != t {
		panic("evloop: blocking call outside the task that owns it")
	}
	t.tm.when, t.fired = when, false
	if when != never {
		l.timers.push(&t.tm)
	}
	t.yield(struct{}{})
	if t.tm.hidx >= 0 {
		l.timers.remove(&t.tm)
	}
	return t.fired
}

// SleepUntil suspends the task until the loop clock reaches when, or until
// Ready or WakeSleepers ends the sleep early. It reports whether the time
// was reached.
func (t *Task) SleepUntil(when int64) bool {
	if when <= t.l.Now() {
		return true
	}
	return t.wait(when)
}

// Sleep is SleepUntil(now + d).
func (t *Task) Sleep(d time.Duration) bool { return t.SleepUntil(t.l.Now() + int64(d)) }

// Park suspends the task until Ready (or WakeSleepers).
func (t *Task) Park() { t.wait(never - 1) } // in the heap, so WakeSleepers finds it

// WakeSleepers ends every Sleep and Park now. Call it from the loop.
func (l *Loop) WakeSleepers() {
	for _, tm := range l.timers {
		if t := tm.task; t != nil && t.conn == nil {
			l.Ready(t)
		}
	}
}

// Post runs f on the loop, from any goroutine. It reports false if the
// loop has finished (f is then not run).
func (l *Loop) Post(f func()) bool {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return false
	}
	l.posted = append(l.posted, f)
	l.mu.Unlock()
	if l.signaled.CompareAndSwap(false, true) {
		one := uint64(1)
		_, _ = unix.Write(l.evfd, (*[8]byte)(unsafe.Pointer(&one))[:])
	}
	return true
}

// Abort makes every wait on a connection end now with a timeout, every
// later Dial fail as canceled, closes the connections left to
// CloseAfterPeer at once and unparks every parked one. Call it from the
// loop.
func (l *Loop) Abort() {
	l.abort = true
	for _, c := range l.slots {
		if c != nil && c.linger {
			_ = c.Close()
			continue
		}
		if c != nil && c.waiter != nil {
			c.waiter.fired = true
			l.Ready(c.waiter)
		}
		if c != nil {
			c.unpark()
		}
	}
}

// Run runs the loop until every task has finished, no connection is
// parked and every connection left to CloseAfterPeer is closed (by its
// peer, its deadline or Abort), then closes it. It returns an error only if
// epoll itself fails.
func (l *Loop) Run() error {
	defer l.Close()
	for {
		l.runReady()
		if l.live == 0 && l.linger == 0 && l.parked == 0 {
			return nil
		}
		if l.holdP > 0 {
			if now := l.Now(); now-l.yielded >= yieldEvery && !l.capped { // a park yields too
				l.yield(now)
			}
		}
		if err := l.poll(); err != nil {
			return err
		}
	}
}

func (l *Loop) runReady() {
	for i := 0; i < len(l.runq); i++ {
		t := l.runq[i]
		l.runq[i] = nil
		t.queued = false
		l.cur = t
		_, ok := t.next()
		l.cur = nil
		if !ok {
			l.live--
			t.stop()
		}
	}
	l.runq = l.runq[:0]
}

// yieldTurn suspends the running task until the loop has polled once
// (without sleeping), fired the timers that are due and run what was
// posted: a task with endless work does not starve the others.
func (l *Loop) yieldTurn() {
	t := l.cur
	if t == nil {
		panic("evloop: blocking call outside a task")
	}
	t.queued = true // it will run again: Ready meanwhile has nothing to do
	l.later = append(l.later, t)
	t.yield(struct{}{})
}

// poll waits for events (or the next deadline) and makes the tasks they
// concern ready.
func (l *Loop) poll() error {
	timeout := int64(-1)
	if len(l.timers) > 0 {
		timeout = max(l.timers[0].when-l.Now(), 0)
	}
	if len(l.later) > 0 {
		timeout = 0
	}
	n, err := l.spinWait(timeout)
	if err != nil {
		return err
	}
	if n > 0 && l.holdP > 0 {
		l.active = l.Now()
	}
	wake := false
	for i := range n {
		ev := &l.events[i]
		slot, gen := getData(ev)
		if slot == wakeSlot {
			wake = true
			continue
		}
		if int(slot) >= len(l.slots) {
			continue
		}
		if c := l.slots[slot]; c != nil && c.gen == gen {
			c.event(ev.Events)
		}
	}
	if len(l.timers) > 0 {
		now := l.Now()
		for len(l.timers) > 0 && l.timers[0].when <= now {
			tm := l.timers.pop()
			switch c := tm.conn; {
			case tm.task != nil:
				tm.task.fired = true
				l.Ready(tm.task)
			case tm == &c.watchT:
				c.unpark() // a parked connection's read deadline
			default:
				_ = c.Close() // CloseAfterPeer's time is up
			}
		}
	}
	if wake {
		l.runPosted()
	}
	for i, t := range l.later {
		l.later[i] = nil
		t.queued = false
		l.Ready(t)
	}
	l.later = l.later[:0]
	return nil
}

func (l *Loop) runPosted() {
	// Drain the eventfd first, then clear the flag: a Post that finds the
	// flag set relies on a wake-up already on its way, and one that sets
	// it again writes after this read, so its edge wakes the loop again.
	// (In the other order a Post's write could be drained here while its
	// flag stayed set, and the next Post would write nothing: lost.)
	var buf [8]byte
	_, _ = unix.Read(l.evfd, buf[:])
	l.signaled.Store(false)
	l.mu.Lock()
	l.posted, l.running = l.running[:0], l.posted
	l.mu.Unlock()
	for i, f := range l.running {
		l.running[i] = nil
		f()
	}
}

// Close releases the loop's descriptors and every connection still open.
// Later Posts are refused. Run calls it.
func (l *Loop) Close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	l.mu.Unlock()
	for _, c := range l.slots {
		if c != nil {
			_ = c.Close()
		}
	}
	if l.pk != nil {
		l.pk.close()
	}
	unix.Close(l.evfd)
	unix.Close(l.epfd)
}

func setData(ev *unix.EpollEvent, slot, gen uint32) {
	ev.Fd = int32(slot)
	ev.Pad = int32(gen)
}

func getData(ev *unix.EpollEvent) (slot, gen uint32) { return uint32(ev.Fd), uint32(ev.Pad) }

// Errors. They are shared values so that the paths that fail often (a
// deadline during a hold) allocate nothing; they carry no address.
var (
	errReadTimeout  error = &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	errWriteTimeout error = &net.OpError{Op: "write", Net: "tcp", Err: os.ErrDeadlineExceeded}
	errDialTimeout  error = &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}
	errDialCanceled error = &net.OpError{Op: "dial", Net: "tcp", Err: context.Canceled}
	errClosed       error = &net.OpError{Op: "use", Net: "tcp", Err: net.ErrClosed}
)

// IsClosed reports whether err is the error of a Conn used after Close.
func IsClosed(err error) bool { return errors.Is(err, net.ErrClosed) }
