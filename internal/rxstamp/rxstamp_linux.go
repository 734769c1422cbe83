//go:build linux

package rxstamp

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Supported reports whether this platform has receive timestamps.
const Supported = true

// OOBSize is enough control-message space for one SCM_TIMESTAMPNS.
const OOBSize = 64

// Control turns on receive timestamps on a socket before it is used, for
// net.ListenConfig.Control (accepted connections inherit it) or
// net.Dialer.Control.
func Control(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = Enable(int(fd))
	}); err != nil {
		return err
	}
	return serr
}

// Enable turns on receive timestamps on fd.
func Enable(fd int) error {
	one := int32(1)
	_, _, errno := unix.RawSyscall6(unix.SYS_SETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS,
		uintptr(unsafe.Pointer(&one)), 4, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// Recvmsg reads into the buffer iov describes, with oob for control
// messages, through msg: the caller keeps msg and iov (in a struct that
// lives as long as the connection), so a read allocates nothing. It never
// blocks on a non-blocking socket.
func Recvmsg(fd int, msg *unix.Msghdr, iov *unix.Iovec, oob []byte) (n, oobn int, errno unix.Errno) {
	msg.Iov = iov
	msg.SetIovlen(1)
	msg.Control = &oob[0]
	msg.SetControllen(len(oob))
	r, _, errno := unix.RawSyscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(msg)), 0)
	if errno != 0 {
		return 0, 0, errno
	}
	return int(r), min(int(msg.Controllen), len(oob)), 0
}

// Parse finds SCM_TIMESTAMPNS in a control-message buffer and returns it
// in wall-clock nanoseconds, or 0 if there is none. The kernel sends none
// for data that arrived before timestamps were enabled: it turns them on
// for the whole stack asynchronously when the first socket asks.
func Parse(b []byte) int64 {
	for len(b) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
		l := int(h.Len)
		if l < unix.SizeofCmsghdr || l > len(b) {
			return 0
		}
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SCM_TIMESTAMPNS && l >= unix.SizeofCmsghdr+16 {
			d := b[unix.SizeofCmsghdr:]
			sec := int64(binary.NativeEndian.Uint64(d[0:8]))
			nsec := int64(binary.NativeEndian.Uint64(d[8:16]))
			return sec*1e9 + nsec
		}
		l = (l + 7) &^ 7 // CMSG_ALIGN
		if l >= len(b) {
			return 0
		}
		b = b[l:]
	}
	return 0
}

// Reader reads a net.Conn whose socket has timestamps on (Control) with
// recvmsg through its RawConn, deadlines included, and keeps when the last
// read's data arrived. It costs nothing per read beyond the recvmsg that
// replaces read: the method value, the buffers and the results live in
// the struct.
type Reader struct {
	raw     syscall.RawConn
	fn      func(fd uintptr) bool
	msg     unix.Msghdr
	iov     unix.Iovec
	oob     [OOBSize]byte
	n       int
	err     error
	epoch   time.Time
	arrival time.Duration // when the last read's data arrived, since epoch
	stamped bool          // the last read came with a stamp
}

// New returns a Reader for nc with arrivals measured from epoch, or nil
// when nc is not a socket (the caller reads nc as usual).
func New(nc net.Conn, epoch time.Time) *Reader {
	raw := Raw(nc)
	if raw == nil {
		return nil
	}
	return NewRaw(raw, epoch)
}

// NewRaw is New for a connection's RawConn.
func NewRaw(raw syscall.RawConn, epoch time.Time) *Reader {
	r := &Reader{}
	r.Reset(raw, epoch)
	return r
}

// Reset makes r read raw, with arrivals measured from epoch, so one
// Reader serves one connection after another without allocating.
func (r *Reader) Reset(raw syscall.RawConn, epoch time.Time) {
	if r.fn == nil {
		r.fn = r.recv
	}
	r.raw, r.epoch, r.stamped = raw, epoch, false
}

func (r *Reader) recv(fd uintptr) bool {
	n, oobn, err := Recvmsg(int(fd), &r.msg, &r.iov, r.oob[:])
	if err == unix.EAGAIN {
		return false // not ready: the poller waits and calls again
	}
	r.n, r.err = n, nil
	if err != 0 {
		r.err = os.NewSyscallError("recvmsg", err)
	}
	r.stamped = false
	if err == 0 && n > 0 {
		if st := Parse(r.oob[:oobn]); st != 0 {
			r.arrival = Since(r.epoch, st)
			r.stamped = true
		}
	}
	return true
}

// Read reads into p like net.Conn.Read and records the data's arrival.
func (r *Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r.iov.Base, r.n, r.err = &p[0], 0, nil
	r.iov.SetLen(len(p))
	err := r.raw.Read(r.fn)
	r.iov.Base = nil
	if err != nil {
		return 0, err
	}
	if r.err != nil {
		return 0, r.err
	}
	if r.n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return r.n, nil
}

// Arrived returns when the last read's data arrived, as time since the
// epoch given to New, or false if the kernel gave no stamp.
func (r *Reader) Arrived() (time.Duration, bool) { return r.arrival, r.stamped }

// Warm turns receive timestamps on and waits, up to timeout, until the
// kernel stamps packets. The kernel enables stamping for the whole stack
// asynchronously when the first socket asks (a deferred work item), and
// until then TCP data arrives unstamped: the first replies of a run would
// be timed when read instead. Warm sends itself a byte over a loopback TCP
// connection until one comes back stamped. (Not a datagram: for UDP the
// kernel fills in the time of the recvmsg when the packet has no stamp,
// so an unstamped datagram looks stamped.) Close the result when done:
// while it is open, stamping stays on whatever other sockets do. It
// reports whether stamps came within the timeout.
func Warm(timeout time.Duration) (io.Closer, bool) {
	lc := net.ListenConfig{Control: Control}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return io.NopCloser(nil), false
	}
	defer ln.Close()
	d := net.Dialer{Timeout: timeout}
	cli, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		return io.NopCloser(nil), false
	}
	_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(timeout))
	srv, err := ln.Accept()
	w := warmPair{cli, srv}
	if err != nil {
		return w, false
	}
	rd := New(srv, time.Now())
	if rd == nil {
		return w, false
	}
	var buf [1]byte
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if _, err := cli.Write(buf[:]); err != nil {
			break
		}
		_ = srv.SetReadDeadline(deadline)
		if _, err := rd.Read(buf[:]); err != nil {
			break
		}
		if _, ok := rd.Arrived(); ok {
			return w, true
		}
		time.Sleep(time.Millisecond)
	}
	return w, false
}

// warmPair is what Warm keeps open: a connection whose socket has stamps
// on, and its peer.
type warmPair [2]net.Conn

func (w warmPair) Close() error {
	for _, c := range w {
		if c != nil {
			c.Close()
		}
	}
	return nil
}
