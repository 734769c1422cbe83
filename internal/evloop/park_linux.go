//go:build linux

package evloop

import (
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// parker lets a loop that holds its P (SetHoldP) sleep through a long
// quiet spell on the Go runtime's own poller instead of in a raw wait.
//
// Why: a raw wait keeps the P, so the loop must pass through the scheduler
// at least every 10 ms (runtime.Gosched, see yieldBy) or sysmon preempts it
// with a signal, and sysmon itself keeps polling every 10 ms. With replies
// in waves 20 ms apart (a server answering in 20 ms to a few sessions that
// move in step) that is, every wave, a wake-up only to yield, a thread the
// yield wakes (the runtime's wakep) and put back to sleep, and sysmon's
// ticks. A goroutine parked on the poller has given its P back: nothing
// needs to preempt it, sysmon can sleep once every P is idle, and the
// thread that waits in the runtime's epoll_pwait runs the loop again when
// its events come.
//
// The runtime watches ep, an epoll instance of our own that holds the
// loop's epoll descriptor, armed (EPOLLIN) only while the loop is parked:
// armed all the time, every event of the loop would also wake whichever
// idle thread waits in the runtime's poller.
type parker struct {
	ep int
	f  *os.File // ep, in the runtime's poller
	rc syscall.RawConn

	// poll polls the loop's events (raw, without blocking) into r, errno;
	// made once, so that a park allocates nothing.
	poll  func(uintptr) bool
	r     uintptr
	errno unix.Errno
}

// parkEarly is how long before its deadline a park ends: the runtime's
// poller sleeps in whole milliseconds, so the rest is waited raw.
const parkEarly = int64(time.Millisecond)

func (l *Loop) newParker() (*parker, error) {
	epfd := l.epfd
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	ev := unix.EpollEvent{} // disarmed
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, epfd, &ev); err != nil {
		unix.Close(ep)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	if err := unix.SetNonblock(ep, true); err != nil { // os.NewFile then puts it in the poller
		unix.Close(ep)
		return nil, os.NewSyscallError("fcntl", err)
	}
	f := os.NewFile(uintptr(ep), "evloop-park")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	p := &parker{ep: ep, f: f, rc: rc}
	p.poll = func(uintptr) bool {
		p.r, p.errno = l.pwait2(0, false)
		return p.r > 0 || (p.errno != 0 && p.errno != unix.EINTR)
	}
	return p, nil
}

// arm makes the loop's events (on epfd) wake the runtime's poller, or, with
// on false, no longer.
func (p *parker) arm(epfd int, on bool) error {
	var ev unix.EpollEvent
	if on {
		ev.Events = unix.EPOLLIN
	}
	return unix.EpollCtl(p.ep, unix.EPOLL_CTL_MOD, epfd, &ev)
}

// park waits on the runtime's poller for the loop's events, at most timeout
// ns (-1: no limit; else more than parkEarly), and then polls them. ok is
// false if parking is not possible (the caller then waits as before).
func (l *Loop) park(timeout int64) (n int, err error, ok bool) {
	if l.pk == nil {
		if l.noPark {
			return 0, nil, false
		}
		pk, err := l.newParker()
		if err != nil {
			l.noPark = true
			return 0, nil, false
		}
		l.pk = pk
	}
	pk := l.pk
	if timeout >= 0 {
		_ = pk.f.SetReadDeadline(time.Now().Add(time.Duration(timeout - parkEarly)))
	} else {
		_ = pk.f.SetReadDeadline(time.Time{})
	}
	if pk.arm(l.epfd, true) != nil { // before the first poll: an event after it wakes the poller
		l.noPark = true
		return 0, nil, false
	}
	l.parks++
	if l.parkHook != nil {
		l.parkHook()
	}
	rerr := pk.rc.Read(pk.poll)
	_ = pk.arm(l.epfd, false)
	if rerr != nil { // the deadline: nothing came
		return 0, nil, true
	}
	n, err = l.waitResult(pk.r, pk.errno)
	return n, err, true
}

func (p *parker) close() { p.f.Close() }
