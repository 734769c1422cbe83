//go:build linux

package evloop

import (
	"io"
	"net"
	"net/netip"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/msnbench/msnbench/internal/rxstamp"
)

// Conn is a TCP connection owned by one loop. It implements net.Conn for
// code running in a task of that loop; Read and Write suspend the task
// (not the thread) until the socket is ready or the deadline passes.
type Conn struct {
	l    *Loop
	fd   int
	slot uint32
	gen  uint32

	readable bool // an edge said there is something to read; cleared when a read drains it
	writable bool
	rdhup    bool // the peer closed its side (or the connection failed)
	failed   bool // EPOLLERR
	closed   bool
	linger   bool  // CloseAfterPeer: close when the peer does
	lingerT  timer // its deadline

	// watch is told when a parked connection (Park) needs its owner
	// again; watchT is its read deadline in the timer heap.
	watch  Watcher
	watchT timer

	rdl, wdl int64 // deadlines on the loop clock; never if none

	// streak counts the reads in a row that found data without waiting;
	// late, those of them made after the read deadline had passed.
	streak, late int

	waiter  *Task // the task waiting on this connection
	waitDir uint8

	raddr netip.AddrPort

	// arrival is when the data of the last read arrived, in wall-clock
	// nanoseconds (Loop.SetStampReads), or 0 when unknown.
	arrival int64
}

const (
	dirRead uint8 = iota + 1
	dirWrite
)

// Dial connects to addr from the running task, optionally from the local
// address src (with IP_BIND_ADDRESS_NO_PORT, so the port is chosen at
// connect time per destination), giving up after timeout. It suspends the
// task while the handshake is under way. TCP_NODELAY is set, as Go's net
// package does.
func (l *Loop) Dial(addr netip.AddrPort, src netip.Addr, timeout time.Duration) (*Conn, error) {
	t := l.cur
	if t == nil {
		panic("evloop: Dial outside a task")
	}
	if l.abort {
		return nil, errDialCanceled
	}
	ip := addr.Addr().Unmap()
	family := unix.AF_INET
	if ip.Is6() {
		family = unix.AF_INET6
	}
	r, _, errno := unix.RawSyscall(unix.SYS_SOCKET, uintptr(family), unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if errno != 0 {
		return nil, dialErr(addr, "socket", errno)
	}
	fd := int(r)
	one := int32(1)
	_, _, _ = unix.RawSyscall6(unix.SYS_SETSOCKOPT, uintptr(fd), unix.IPPROTO_TCP, unix.TCP_NODELAY,
		uintptr(unsafe.Pointer(&one)), 4, 0)
	if l.stamp {
		// Without stamps the reads are still good, only less well timed
		// (Arrival says 0), so a failure here does not fail the dial.
		_ = rxstamp.Enable(fd)
	}
	if src.IsValid() {
		if err := bindNoPort(fd, src.Unmap(), family); err != 0 {
			unix.Close(fd)
			return nil, dialErr(addr, "bind", err)
		}
	}
	var sa sockaddr
	sl := sa.set(ip, addr.Port(), family)
	_, _, errno = unix.RawSyscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&sa)), uintptr(sl))
	if errno != 0 && errno != unix.EINPROGRESS && errno != unix.EINTR {
		unix.Close(fd)
		return nil, dialErr(addr, "connect", errno)
	}
	c, err := l.add(fd, addr)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	if errno == 0 {
		return c, nil
	}
	c.wdl = l.Now() + int64(timeout)
	for !c.writable {
		if l.abort {
			c.Close()
			return nil, errDialCanceled
		}
		if l.Now() >= c.wdl {
			c.Close()
			return nil, errDialTimeout
		}
		c.await(t, dirWrite)
	}
	c.wdl = never
	if c.failed {
		serr, gerr := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
		c.Close()
		if gerr != nil {
			return nil, dialErr(addr, "getsockopt", gerr.(unix.Errno))
		}
		if serr == 0 {
			serr = int(unix.ECONNRESET)
		}
		return nil, dialErr(addr, "connect", unix.Errno(serr))
	}
	return c, nil
}

// add registers fd with the loop.
func (l *Loop) add(fd int, raddr netip.AddrPort) (*Conn, error) {
	var slot uint32
	if n := len(l.free); n > 0 {
		slot = uint32(l.free[n-1])
		l.free = l.free[:n-1]
	} else {
		slot = uint32(len(l.slots))
		l.slots = append(l.slots, nil)
	}
	c := &Conn{l: l, fd: fd, slot: slot, rdl: never, wdl: never, raddr: raddr}
	c.lingerT = timer{hidx: -1, conn: c}
	c.watchT = timer{hidx: -1, conn: c}
	c.gen = l.nextGen()
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET}
	setData(&ev, slot, c.gen)
	_, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_CTL, uintptr(l.epfd), unix.EPOLL_CTL_ADD, uintptr(fd),
		uintptr(unsafe.Pointer(&ev)), 0, 0)
	if errno != 0 {
		l.free = append(l.free, int32(slot))
		return nil, dialErr(raddr, "epoll_ctl", errno)
	}
	l.slots[slot] = c
	return c, nil
}

func (l *Loop) nextGen() uint32 {
	l.gen++
	return l.gen
}

// event records what epoll reported and wakes the waiter if it can go on.
func (c *Conn) event(m uint32) {
	if m&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		c.readable = true
	}
	if m&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		c.rdhup = true
	}
	if m&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		c.writable = true
	}
	if m&unix.EPOLLERR != 0 {
		c.failed = true
	}
	if c.linger && c.rdhup {
		_ = c.Close()
		return
	}
	if c.watch != nil && c.readable {
		c.unpark()
		return
	}
	if w := c.waiter; w != nil && (c.waitDir == dirRead && c.readable || c.waitDir == dirWrite && c.writable) {
		c.l.Ready(w)
	}
}

// await suspends t until the connection is ready in direction dir or the
// direction's deadline passes.
func (c *Conn) await(t *Task, dir uint8) {
	when := c.rdl
	if dir == dirWrite {
		when = c.wdl
	}
	c.waiter, c.waitDir = t, dir
	t.conn = c
	c.streak = 0
	t.wait(when)
	c.waiter, c.waitDir = nil, 0
	t.conn = nil
}

// lateReads is how many reads a connection may still make once its read
// deadline has passed, with data waiting at each: enough for any reply that
// arrived in time (64 × the 8 KiB a session reads at once), and a bound for
// a peer that floods. readStreak is how many reads in a row a task makes
// before it lets the loop do its other work.
const (
	lateReads  = 64
	readStreak = 64
)

// Read reads what is there, waiting for it if nothing is.
func (c *Conn) Read(p []byte) (int, error) {
	if c.closed {
		return 0, errClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if c.l.abort {
			return 0, errReadTimeout
		}
		if c.readable {
			// A peer that never stops sending cannot keep the loop's
			// thread: every readStreak reads that found data without
			// waiting, the task lets the loop poll, fire its timers, run
			// what was posted and its other tasks.
			if c.streak++; c.streak >= readStreak {
				c.streak = 0
				c.l.yieldTurn()
				continue // Abort may have come meanwhile
			}
			// A reply that is already there when the deadline passes is
			// not thrown away for being late (the loop may simply have
			// been busy), but neither can such a peer keep a read going
			// past its deadline: after lateReads reads, it times out like
			// any other.
			if c.rdl != never && c.l.Now() >= c.rdl {
				if c.late >= lateReads {
					return 0, errReadTimeout
				}
				c.late++
			}
			var r uintptr
			var errno unix.Errno
			if c.l.stamp {
				r, errno = c.recvmsg(p)
			} else {
				r, _, errno = unix.RawSyscall(unix.SYS_READ, uintptr(c.fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
			}
			n := int(r)
			switch {
			case errno == 0 && n > 0:
				// A short read drained the socket: the next byte comes with
				// a new edge. A full one may have left more behind.
				if n < len(p) && !c.rdhup {
					c.readable = false
				}
				return n, nil
			case errno == 0:
				return 0, io.EOF
			case errno == unix.EAGAIN:
				c.readable = false
				continue
			case errno == unix.EINTR:
				continue
			}
			return 0, &net.OpError{Op: "read", Net: "tcp", Addr: net.TCPAddrFromAddrPort(c.raddr),
				Err: os.NewSyscallError("read", errno)}
		}
		// The deadline is looked at only when there is nothing to read: a
		// reply that is already there is not thrown away for being late.
		if c.rdl != never && c.l.Now() >= c.rdl {
			return 0, errReadTimeout
		}
		t := c.l.cur
		if t == nil {
			panic("evloop: Read outside a task")
		}
		c.await(t, dirRead)
	}
}

// recvmsg reads into p with the loop's control buffer and keeps the data's
// arrival stamp.
func (c *Conn) recvmsg(p []byte) (uintptr, unix.Errno) {
	l := c.l
	l.iov.Base = &p[0]
	l.iov.SetLen(len(p))
	n, oobn, errno := rxstamp.Recvmsg(c.fd, &l.msg, &l.iov, l.oob[:])
	l.iov.Base = nil
	c.arrival = 0
	if errno == 0 && n > 0 {
		c.arrival = rxstamp.Parse(l.oob[:oobn])
	}
	return uintptr(n), errno
}

// Arrival returns when the data of the last read arrived at the socket, in
// wall-clock nanoseconds since the Unix epoch (rxstamp.Since converts it),
// or 0 when unknown: the loop does not stamp reads (SetStampReads), the
// kernel sent no stamp, or the last read returned no data.
func (c *Conn) Arrival() int64 { return c.arrival }

// Write writes all of p, waiting for room when the socket buffer is full.
func (c *Conn) Write(p []byte) (int, error) {
	if c.closed {
		return 0, errClosed
	}
	done := 0
	for done < len(p) {
		if c.l.abort {
			return done, errWriteTimeout
		}
		r, _, errno := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(c.fd), uintptr(unsafe.Pointer(&p[done])),
			uintptr(len(p)-done), unix.MSG_NOSIGNAL, 0, 0)
		switch errno {
		case 0:
			done += int(r)
			continue
		case unix.EAGAIN:
			c.writable = false
			t := c.l.cur
			if t == nil {
				panic("evloop: Write outside a task")
			}
			for !c.writable {
				if c.l.abort || c.wdl != never && c.l.Now() >= c.wdl {
					return done, errWriteTimeout
				}
				c.await(t, dirWrite)
			}
			continue
		case unix.EINTR:
			continue
		}
		return done, &net.OpError{Op: "write", Net: "tcp", Addr: net.TCPAddrFromAddrPort(c.raddr),
			Err: os.NewSyscallError("write", errno)}
	}
	return done, nil
}

// Close closes the connection; a task waiting on it is woken and sees the
// connection closed.
func (c *Conn) Close() error {
	if c.closed {
		return errClosed
	}
	c.closed = true
	l := c.l
	if c.lingerT.hidx >= 0 {
		l.timers.remove(&c.lingerT)
	}
	if c.linger {
		l.linger--
	}
	l.slots[c.slot] = nil
	l.free = append(l.free, int32(c.slot))
	_, _, _ = unix.RawSyscall(unix.SYS_CLOSE, uintptr(c.fd), 0, 0)
	if w := c.waiter; w != nil {
		w.fired = true
		l.Ready(w)
	}
	c.unpark()
	return nil
}

// Watcher is the owner of a parked connection (Conn.Park).
type Watcher interface {
	// Unparked is called on the loop when the parked connection needs its
	// owner: the connection is then no longer parked. It is called from
	// what caused it (the loop's event or timer handling, or the
	// SetReadDeadline, Abort or Close of a task or posted function), so it
	// must not block and must not use the connection; it typically makes
	// a task ready that goes on with it.
	Unparked(c *Conn)
}

// Park leaves the connection without a task waiting on it: no goroutine
// (and no goroutine stack) is tied to it until it needs one. The loop calls
// w.Unparked once, when the connection becomes readable (data, the peer's
// close, an error), when its read deadline passes (also one set later with
// SetReadDeadline or SetDeadline), at Abort, or when it is closed. A parked
// connection keeps Run going like a task.
//
// It reports false, and does not park, when one of those holds already
// (the caller can go on reading at once). Call it from the loop.
func (c *Conn) Park(w Watcher) bool {
	l := c.l
	if c.closed || c.readable || l.abort || c.watch != nil || c.waiter != nil ||
		c.rdl != never && l.Now() >= c.rdl {
		return false
	}
	c.watch = w
	l.parked++
	if c.rdl != never {
		c.watchT.when = c.rdl
		l.timers.push(&c.watchT)
	}
	return true
}

// Parked reports whether the connection is parked.
func (c *Conn) Parked() bool { return c.watch != nil }

// unpark ends a park and tells the watcher (nothing if not parked).
func (c *Conn) unpark() {
	w := c.watch
	if w == nil {
		return
	}
	c.watch = nil
	c.l.parked--
	if c.watchT.hidx >= 0 {
		c.l.timers.remove(&c.watchT)
	}
	w.Unparked(c)
}

// CloseAfterPeer gives the connection back to the loop, which closes it
// when the peer has closed its side (or reset it), or after d at the
// latest (or at Abort); Run waits for it. The side that closes first keeps the connection in TIME_WAIT: a
// client that lets the server close first (after OUT, after an XFR
// referral) does not use up its local ports, and it need not read to the
// end itself. The caller must not use c again.
func (c *Conn) CloseAfterPeer(d time.Duration) {
	if c.closed {
		return
	}
	if c.rdhup || d <= 0 || c.l.abort {
		_ = c.Close()
		return
	}
	c.linger = true
	c.l.linger++
	c.lingerT.when = c.l.Now() + int64(d)
	c.l.timers.push(&c.lingerT)
}

// SetDeadline sets both deadlines. A deadline in the past ends a wait now.
func (c *Conn) SetDeadline(t time.Time) error {
	w := c.l.When(t)
	c.rdl, c.wdl, c.late = w, w, 0
	c.retime()
	return nil
}

// SetReadDeadline sets the read deadline.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.rdl, c.late = c.l.When(t), 0
	c.retime()
	return nil
}

// SetWriteDeadline sets the write deadline.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.wdl = c.l.When(t)
	c.retime()
	return nil
}

// retime moves the waiter's deadline after a Set*Deadline (from a posted
// function: the owner is not running, or it would not be waiting).
func (c *Conn) retime() {
	l := c.l
	if c.watch != nil {
		if c.watchT.hidx >= 0 {
			l.timers.remove(&c.watchT)
		}
		switch {
		case c.rdl <= l.Now():
			c.unpark()
		case c.rdl != never:
			c.watchT.when = c.rdl
			l.timers.push(&c.watchT)
		}
		return
	}
	w := c.waiter
	if w == nil {
		return
	}
	when := c.rdl
	if c.waitDir == dirWrite {
		when = c.wdl
	}
	if w.tm.hidx >= 0 {
		l.timers.remove(&w.tm)
	}
	w.tm.when = when
	if when <= l.Now() {
		w.fired = true
		l.Ready(w)
		return
	}
	if when != never {
		l.timers.push(&w.tm)
	}
}

// LocalAddr asks the kernel (it is not kept: nothing on the hot path needs it).
func (c *Conn) LocalAddr() net.Addr {
	if c.closed {
		return nil
	}
	sa, err := unix.Getsockname(c.fd)
	if err != nil {
		return nil
	}
	return sockaddrToTCP(sa)
}

// RemoteAddr is the address dialled.
func (c *Conn) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(c.raddr) }

func sockaddrToTCP(sa unix.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]).To16(), Port: a.Port}
	case *unix.SockaddrInet6:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]), Port: a.Port}
	}
	return nil
}

// sockaddr is room for a raw IPv4 or IPv6 socket address.
type sockaddr struct {
	raw unix.RawSockaddrInet6
}

func (s *sockaddr) set(ip netip.Addr, port uint16, family int) uint32 {
	if family == unix.AF_INET {
		a := (*unix.RawSockaddrInet4)(unsafe.Pointer(&s.raw))
		a.Family = unix.AF_INET
		p := (*[2]byte)(unsafe.Pointer(&a.Port))
		p[0], p[1] = byte(port>>8), byte(port)
		a.Addr = ip.As4()
		return unix.SizeofSockaddrInet4
	}
	a := &s.raw
	a.Family = unix.AF_INET6
	p := (*[2]byte)(unsafe.Pointer(&a.Port))
	p[0], p[1] = byte(port>>8), byte(port)
	a.Addr = ip.As16()
	if z := ip.Zone(); z != "" {
		if ifi, err := net.InterfaceByName(z); err == nil {
			a.Scope_id = uint32(ifi.Index)
		}
	}
	return unix.SizeofSockaddrInet6
}

func bindNoPort(fd int, src netip.Addr, family int) unix.Errno {
	if src.Is4() != (family == unix.AF_INET) {
		return unix.EAFNOSUPPORT
	}
	// IPPROTO_IP level for both families, as the kernel has it.
	one := int32(1)
	_, _, errno := unix.RawSyscall6(unix.SYS_SETSOCKOPT, uintptr(fd), unix.IPPROTO_IP,
		unix.IP_BIND_ADDRESS_NO_PORT, uintptr(unsafe.Pointer(&one)), 4, 0)
	if errno != 0 {
		return errno
	}
	var sa sockaddr
	sl := sa.set(src, 0, family)
	_, _, errno = unix.RawSyscall(unix.SYS_BIND, uintptr(fd), uintptr(unsafe.Pointer(&sa)), uintptr(sl))
	return errno
}

func dialErr(addr netip.AddrPort, op string, errno unix.Errno) error {
	return &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(addr), Err: os.NewSyscallError(op, errno)}
}
