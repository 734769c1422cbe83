package server

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Go timers on Linux are only as fine as the millisecond timeout of the
// runtime's epoll wait once every thread is idle, so a 200 µs delay became
// about 1.2 ms and a 5 ms one 5.3 ms. The load generator checks that the
// latency it measures equals the injected delay within 50 µs (DESIGN.md §8),
// so a delay is waited in two parts: a normal per-connection timer for all
// but the last coarseMargin, then the waker below, one goroutine on its own
// OS thread that sleeps in the kernel (a futex wait with a timeout, and no
// timer slack) until the earliest deadline less a margin (Config.DelaySpin,
// raised to what its sleeps have lately overshot), busy-waits the rest, writes the replies that are due itself (handing a
// reply to the connection's goroutine would add a scheduler wake-up, tens of
// microseconds) and then wakes their connections.
//
// The waker never blocks in the Go scheduler: a locked goroutine parked on a
// channel took from several hundred microseconds to a few milliseconds to
// run again after add woke it, on this project's 2-core virtual machines,
// and an entry due within that time left late. add wakes the thread directly
// through the futex word, and only when the new entry is the earliest.

// wakerCount is how many wakers a server runs. One thread writes its due
// replies one after another, and a loopback write that wakes the client
// takes 30-60 µs on this project's virtual machines: at -c 4 half the
// replies fell due while another was being written (the client sends its
// next requests together after one wake-up) and left that much late.
// Connections are spread over two wakers where there are two CPUs.
func wakerCount() int { return min(2, runtime.NumCPU()) }

// coarseMargin is the part of a delay left to the waker.
const coarseMargin = 2 * time.Millisecond

type wakeEntry struct {
	at time.Duration // since Server.epoch
	c  *conn
}

// waker wakes connections at precise deadlines.
type waker struct {
	s       *Server
	mu      sync.Mutex
	h       []wakeEntry   // binary min-heap on at
	seq     atomic.Uint32 // bumped when the waker must look again (futex word)
	started bool

	// The busy-waited margin before a deadline, owned by the waker's
	// goroutine: Config.DelaySpin, or more when the sleeps overshoot by
	// more (see adapt).
	margin time.Duration
	over   [32]time.Duration // the last sleeps' overshoots (a ring)
	nover  int
	done   []*conn // delivered, their tokens still to send

	// sleeps, set by tests before the first add, hears how long the waker
	// is about to sleep (-1: until woken), so a test can wait for it to
	// sleep instead of sleeping itself.
	sleeps chan time.Duration
}

// maxMargin bounds the busy-waited margin.
const maxMargin = time.Millisecond

// adapt records how far a sleep overshot its end and, every 16 sleeps,
// sets the margin to the 90th percentile of the last 32 overshoots plus
// 10 µs, at least Config.DelaySpin. How late a sleeping thread wakes
// depends on the machine and on how busy its host is: on this project's
// virtual machines the median went from 57 to 95 µs within an hour, and a
// fixed 100 µs margin then left half the replies late.
func (w *waker) adapt(over time.Duration) {
	w.over[w.nover%len(w.over)] = max(over, 0)
	w.nover++
	if w.nover%16 != 0 || w.nover < len(w.over) {
		return
	}
	sorted := w.over
	slices.Sort(sorted[:])
	p90 := sorted[len(sorted)*9/10]
	w.margin = min(max(p90+10*time.Microsecond, w.s.cfg.DelaySpin), maxMargin)
}

// add arranges for c's pending reply to be delivered at the deadline at and
// a token sent on c.wake (buffered, capacity 1).
func (w *waker) add(at time.Duration, c *conn) {
	w.mu.Lock()
	w.push(wakeEntry{at, c})
	if !w.started {
		w.started = true
		w.s.wg.Add(1)
		go w.run()
	}
	earliest := w.h[0].c == c
	w.mu.Unlock()
	if earliest {
		w.wake()
	}
}

// wake makes the waker look at its heap and the server's state again.
func (w *waker) wake() {
	w.seq.Add(1)
	futexWake(&w.seq)
}

func (w *waker) run() {
	defer w.s.wg.Done()
	// The thread sleeps in the kernel; locking it keeps the timer-slack
	// setting on the thread that sleeps and off every other.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	setTimerSlack()
	w.margin = max(w.s.cfg.DelaySpin, 0)
	for {
		// The word is read before the heap is looked at: an add or a Close
		// after this changes it, and the wait below returns at once.
		seq := w.seq.Load()
		select {
		case <-w.s.done:
			return
		default:
		}
		w.mu.Lock()
		var now time.Duration
		for {
			now = time.Since(w.s.epoch)
			if len(w.h) == 0 || w.h[0].at > now {
				break
			}
			e := w.pop()
			w.mu.Unlock()
			w.s.stats.delayLate.Add(uint64(now - e.at))
			w.s.late.record(e.c.latePhase, now-e.at)
			e.c.deliver()
			w.done = append(w.done, e.c)
			w.mu.Lock()
		}
		w.mu.Unlock()
		// The tokens go out once every reply that is due has been
		// written: waking a goroutine can wake an idle thread of the
		// runtime (a system call and, on a virtual machine, an
		// inter-processor interrupt), which would delay the next reply.
		for i, c := range w.done {
			select {
			case c.wake <- struct{}{}:
			default:
			}
			w.done[i] = nil
		}
		w.done = w.done[:0]
		w.mu.Lock()
		// The heap's first entry is due after now (next > 0), or there is
		// none: then the wait has no end but an add's or Close's wake.
		empty := len(w.h) == 0
		var next time.Duration
		if !empty {
			next = w.h[0].at - now
		}
		w.mu.Unlock()
		if w.sleeps != nil {
			d := next
			if empty {
				d = -1
			}
			select {
			case w.sleeps <- d:
			default:
			}
		}
		switch {
		case empty:
			futexWait(&w.seq, seq, -1)
		case w.s.cfg.DelaySpin < 0:
			futexWait(&w.seq, seq, next)
		case next > w.margin:
			wake := now + next - w.margin
			futexWait(&w.seq, seq, next-w.margin)
			if w.seq.Load() == seq { // not cut short by an add or Close
				w.adapt(time.Since(w.s.epoch) - wake)
			}
		default:
			// A sleep overshoots by 40-150 µs on this project's virtual
			// machines, so the last stretch is busy-waited (and cut short
			// by an earlier entry or Close).
			target := now + next
			for time.Since(w.s.epoch) < target && w.seq.Load() == seq {
			}
		}
	}
}

// cancel removes c's entry and reports whether it was still queued; if not,
// the waker has taken it and will send c's token.
func (w *waker) cancel(c *conn) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range w.h {
		if w.h[i].c == c {
			last := len(w.h) - 1
			w.h[i] = w.h[last]
			w.h[last] = wakeEntry{}
			w.h = w.h[:last]
			if i < last {
				w.down(i)
				w.up(i)
			}
			return true
		}
	}
	return false
}

func (w *waker) push(e wakeEntry) {
	w.h = append(w.h, e)
	w.up(len(w.h) - 1)
}

func (w *waker) pop() wakeEntry {
	top := w.h[0]
	n := len(w.h) - 1
	w.h[0] = w.h[n]
	w.h[n] = wakeEntry{}
	w.h = w.h[:n]
	w.down(0)
	return top
}

func (w *waker) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if w.h[p].at <= w.h[i].at {
			break
		}
		w.h[p], w.h[i] = w.h[i], w.h[p]
		i = p
	}
}

func (w *waker) down(i int) {
	n := len(w.h)
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && w.h[l].at < w.h[m].at {
			m = l
		}
		if r < n && w.h[r].at < w.h[m].at {
			m = r
		}
		if m == i {
			return
		}
		w.h[m], w.h[i] = w.h[i], w.h[m]
		i = m
	}
}
