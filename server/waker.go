package server

import (
	"runtime"
	"sync"
	"time"
)

// Go timers on Linux are only as fine as the millisecond timeout of the
// runtime's epoll wait once every thread is idle, so a 200 µs delay became
// about 1.2 ms and a 5 ms one 5.3 ms. The load generator checks that the
// latency it measures equals the injected delay within 50 µs (DESIGN.md §8),
// so a delay is waited in two parts: a normal per-connection timer for all
// but the last coarseMargin, then the waker below, one goroutine on its own
// OS thread that sleeps with nanosecond sleeps (and no timer slack) until the
// earliest deadline less Config.DelaySpin, busy-waits the rest, writes the
// replies that are due itself (handing a
// reply to the connection's goroutine would add a scheduler wake-up, tens of
// microseconds) and then wakes their connections.

// coarseMargin is the part of a delay left to the waker.
const coarseMargin = 2 * time.Millisecond

// wakerPoll bounds one sleep of the waker, so an entry added with an earlier
// deadline than the one being slept towards waits at most this much extra.
const wakerPoll = 200 * time.Microsecond

type wakeEntry struct {
	at time.Duration // since Server.epoch
	c  *conn
}

// waker wakes connections at precise deadlines.
type waker struct {
	s       *Server
	mu      sync.Mutex
	h       []wakeEntry // binary min-heap on at
	kick    chan struct{}
	started bool
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
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (w *waker) run() {
	defer w.s.wg.Done()
	// The thread sleeps in nanosleep; locking it keeps the timer-slack
	// setting on the thread that sleeps and off every other.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	setTimerSlack()
	for {
		now := time.Since(w.s.epoch)
		w.mu.Lock()
		for len(w.h) > 0 && w.h[0].at <= now {
			e := w.pop()
			w.mu.Unlock()
			w.s.stats.delayLate.Add(uint64(time.Since(w.s.epoch) - e.at))
			e.c.deliver()
			select {
			case e.c.wake <- struct{}{}:
			default:
			}
			w.mu.Lock()
		}
		next := time.Duration(-1)
		if len(w.h) > 0 {
			next = w.h[0].at - now
		}
		w.mu.Unlock()
		if next < 0 {
			select {
			case <-w.kick:
				continue
			case <-w.s.done:
				return
			}
		}
		select {
		case <-w.s.done:
			return
		default:
		}
		if spin := w.s.cfg.DelaySpin; next > spin {
			preciseSleep(min(next-spin, wakerPoll))
		} else {
			// nanosleep overshoots by 50-100 µs on a loaded VM, so the
			// last stretch is busy-waited.
			target := now + next
			for time.Since(w.s.epoch) < target {
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
