//go:build linux

package evloop

import (
	"os"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// How a loop waits for events when it runs out of work: a bounded spin
// (SetSpin), a raw wait that keeps the P (SetHoldP) with its yields, a park
// on the runtime's poller through a quiet spell (parker, park_linux.go), or
// a wait through the runtime's syscall path.

// SetSpin makes the loop poll for up to d before it sleeps, whenever it
// runs out of work. A thread that sleeps in epoll_wait takes a wake-up to
// see the next reply (on this machine's virtual CPUs, 100 µs and more when
// the CPU went idle), and that wake-up lands in the measured latency; a
// spinning loop sees the reply at once, at the price of the CPU it burns
// while it waits. Call it before Run.
func (l *Loop) SetSpin(d time.Duration) { l.spin = int64(max(d, 0)) }

// SetHoldP makes the loop keep its P (the Go scheduler's processor) while
// it waits for events, as long as the last events came less than d ago:
// such a wait is a raw epoll_pwait2 that the runtime does not see. A loop
// that has seen nothing for d waits through the runtime's syscall path, as
// it does without SetHoldP, which lets the P go (and, once every P is
// idle, sysmon sleep).
//
// Why: a wait through the syscall path marks the P as in a system call;
// sysmon takes it away when the wait is long or another goroutine wants a
// P, the loop has to win one back when epoll returns, and each such
// hand-off sets sysmon polling every 20 µs again. With replies a few
// milliseconds apart (a server that takes milliseconds to answer) that
// cost 1.5-2 times the floor client's CPU per login (docs/benchmarks.md).
// A loop holding its P lets the scheduler run (runtime.Gosched) at least
// every 9 ms, under sysmon's 10 ms, so that it is not preempted with a
// signal: preferably just before it goes to sleep anyway (see waitPlan);
// through a quiet spell (a raw wait ran 9 ms and nothing came) it parks on
// the runtime's poller instead, which gives the P back (see parker).
//
// Use it only when a P is left over for the rest of the program (fewer
// loops than GOMAXPROCS): a P held by a wait runs nothing else. Call it
// before Run.
func (l *Loop) SetHoldP(d time.Duration) { l.holdP = int64(max(d, 0)) }

// How often a loop holding its P through raw waits lets the scheduler run
// (runtime.Gosched): sysmon preempts a goroutine with a signal when it has
// seen it run for 10 ms without passing through the scheduler, and a raw
// wait counts as running. Each yield costs a thread woken and put back to
// sleep (the runtime's wakep), so not much more often than needed either.
//
//   - yieldBeforeSleep: a loop about to sleep yields first if it has not
//     for this long; the yield then costs no wake-up of its own.
//   - yieldEvery: a loop that never sleeps yields between runs of its tasks.
//   - yieldBy: no raw wait lasts past this long after the last yield; a
//     loop asleep that long wakes up to yield (an empty wake-up: the case
//     the yield before sleeping avoids when events come every few ms).
const (
	yieldBeforeSleep = int64(6 * time.Millisecond)
	yieldEvery       = int64(8 * time.Millisecond)
	yieldBy          = int64(9 * time.Millisecond)
)

// waitPlan decides a wait that keeps the P, at now, the last yield at
// yielded, for at most timeout ns (-1: no limit; never 0): whether to yield
// before it, and how long it may last (-1: no limit).
func waitPlan(now, yielded, timeout int64) (yield bool, d int64) {
	if now-yielded >= yieldBeforeSleep {
		yield, yielded = true, now
	}
	d = max(yielded+yieldBy-now, 0)
	if timeout >= 0 {
		d = min(d, timeout)
	}
	return yield, d
}

// spinWait polls without sleeping for up to the spin time (or until the
// next deadline), then waits.
func (l *Loop) spinWait(timeout int64) (int, error) {
	if l.spin == 0 || timeout == 0 {
		return l.epollWait(timeout)
	}
	start := l.Now()
	until := start + l.spin
	if timeout > 0 {
		until = min(until, start+timeout)
	}
	for {
		n, err := l.epollWait(0)
		if n > 0 || err != nil {
			return n, err
		}
		now := l.Now()
		if now >= until {
			if timeout > 0 {
				timeout = max(timeout-(now-start), 0)
			}
			return l.epollWait(timeout)
		}
	}
}

// epollWait waits up to timeout ns (-1: no limit). A poll that cannot
// block is a raw system call. A wait that may block goes through the
// runtime's syscall path, so the loop's thread gives up its P while it
// sleeps, unless it keeps its P (SetHoldP): then it is raw too, and ends
// by the time the loop is due to yield.
func (l *Loop) epollWait(timeout int64) (int, error) {
	if timeout != 0 && l.holdP > 0 {
		if now := l.Now(); now-l.active < l.holdP {
			if l.capped && (timeout < 0 || timeout > 2*parkEarly) {
				// A quiet spell: park on the runtime's poller, which
				// passes through the scheduler (a yield) and lets the P
				// go.
				if n, err, ok := l.park(timeout); ok {
					l.capped = false
					l.yielded = l.Now()
					return n, err
				}
			}
			// Keep the P: yield now if one is near due, then wait raw,
			// at most until the next yield is due (Run yields, then
			// waits again).
			yield, d := waitPlan(now, l.yielded, timeout)
			if yield {
				l.yield(now)
			}
			l.rawWaits++
			if r, errno := l.pwait2(d, false); errno != unix.ENOSYS {
				l.capped = r == 0 && errno == 0 && (timeout < 0 || d < timeout)
				return l.waitResult(r, errno)
			}
		}
	}
	l.capped = false
	if timeout != 0 {
		l.sysWaits++
	}
	r, errno := l.pwait2(timeout, timeout != 0)
	if errno == unix.ENOSYS { // a kernel before 5.11: millisecond timeouts
		ms := -1
		if timeout >= 0 {
			ms = int((timeout + 999_999) / 1_000_000)
		}
		n, err := unix.EpollWait(l.epfd, l.events[:], ms)
		if err == unix.EINTR {
			return 0, nil
		}
		if err != nil {
			return 0, os.NewSyscallError("epoll_wait", err)
		}
		return n, nil
	}
	return l.waitResult(r, errno)
}

// yield lets the scheduler run (see yieldBy); now is the time before it.
func (l *Loop) yield(now int64) {
	l.yielded = now
	l.yields++
	runtime.Gosched()
}

// pwait2 is one epoll_pwait2 with a timeout in ns (-1: none), through the
// runtime's syscall path if blocking is set, else raw.
func (l *Loop) pwait2(timeout int64, blocking bool) (uintptr, unix.Errno) {
	var ts unix.Timespec
	tsp := uintptr(0)
	if timeout >= 0 {
		ts = unix.NsecToTimespec(timeout)
		tsp = uintptr(unsafe.Pointer(&ts))
	}
	ev := uintptr(unsafe.Pointer(&l.events[0]))
	var r uintptr
	var errno unix.Errno
	if blocking {
		r, _, errno = unix.Syscall6(unix.SYS_EPOLL_PWAIT2, uintptr(l.epfd), ev, uintptr(len(l.events)), tsp, 0, 0)
	} else {
		r, _, errno = unix.RawSyscall6(unix.SYS_EPOLL_PWAIT2, uintptr(l.epfd), ev, uintptr(len(l.events)), tsp, 0, 0)
	}
	return r, errno
}

func (l *Loop) waitResult(r uintptr, errno unix.Errno) (int, error) {
	switch errno {
	case 0:
		return int(r), nil
	case unix.EINTR:
		return 0, nil
	}
	return 0, os.NewSyscallError("epoll_pwait2", errno)
}
