package server

import (
	"encoding/binary"
	"io"
	"net"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Arrival timestamps. A delay measured from when the server's goroutine got
// round to the request would add the server's own wake-up to every delayed
// reply: on an idle virtual machine that is 50–100 µs of a Go process waking
// from its poller, which a client then measures as if it were its own error
// (docs/benchmarks.md, measurement accuracy). With SO_TIMESTAMPNS the kernel
// stamps each read with the time the data arrived, and a delayed reply is
// due D after that.

// arrivalReader reads a TCP connection with recvmsg and keeps the kernel's
// receive time of the last read. It costs nothing per read beyond the
// recvmsg that replaces read: the method value, the buffers and the results
// live in the struct.
type arrivalReader struct {
	raw     syscall.RawConn
	fn      func(fd uintptr) bool
	p       []byte
	oob     [64]byte
	n       int
	err     error
	epoch   time.Time
	arrival time.Duration // when the last read's data arrived, since epoch
	stamped bool          // the last read came with a stamp
}

// stampControl turns on receive timestamps on a listening socket; the
// connections it accepts inherit them (net.ListenConfig.Control).
func stampControl(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	}); err != nil {
		return err
	}
	return serr
}

// newArrivalReader returns a reader for nc, a connection accepted from a
// listener with stampControl, or nil when nc is not a socket (the caller
// reads as usual). A read without a stamp (the kernel had not enabled them
// yet) is simply not used to time a delay.
func newArrivalReader(nc net.Conn, epoch time.Time) *arrivalReader {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	a := &arrivalReader{raw: raw, epoch: epoch}
	a.fn = a.recv
	return a
}

func (a *arrivalReader) recv(fd uintptr) bool {
	n, oobn, _, _, err := unix.Recvmsg(int(fd), a.p, a.oob[:], 0)
	if err == unix.EAGAIN {
		return false // not ready: the poller waits and calls again
	}
	a.n, a.err = n, err
	a.stamped = false
	if err == nil && n > 0 {
		if st := parseStamp(a.oob[:oobn]); st != 0 {
			// The stamp is on the wall clock: convert it through a wall and
			// monotonic reading taken together now, so that neither a
			// stepped nor a slewed wall clock moves it by more than the
			// slew over the few microseconds since arrival.
			now := time.Now()
			a.arrival = now.Sub(a.epoch) - time.Duration(now.UnixNano()-st)
			a.stamped = true
		}
	}
	return true
}

// read reads into p like net.Conn.Read (deadlines included) and records the
// data's arrival.
func (a *arrivalReader) read(p []byte) (int, error) {
	a.p, a.n, a.err = p, 0, nil
	if err := a.raw.Read(a.fn); err != nil {
		a.p = nil
		return 0, err
	}
	a.p = nil
	if a.err != nil {
		return 0, a.err
	}
	if a.n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return a.n, nil
}

// arrived returns when the last read's data arrived, as time since the
// server's epoch, or false if the kernel gave no stamp.
func (a *arrivalReader) arrived() (time.Duration, bool) { return a.arrival, a.stamped }

// parseStamp finds SCM_TIMESTAMPNS in a control message buffer.
func parseStamp(b []byte) int64 {
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
