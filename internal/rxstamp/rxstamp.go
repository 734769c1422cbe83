// Package rxstamp reads the kernel's receive timestamps (SO_TIMESTAMPNS):
// when the data of a read arrived at the socket, as opposed to when the
// program got round to reading it.
//
// Both ends of a measurement use them. The reference server counts an
// injected delay from the request's arrival, so its own wake-up is inside
// the delay rather than added to it; the load generator ends a phase when
// the reply arrived, so its own wake-up (on this project's virtual
// machines 40–150 µs for a thread asleep in epoll_wait or read) is not
// counted as the server's latency (docs/benchmarks.md, measurement
// accuracy).
//
// A stamp is on the wall clock (CLOCK_REALTIME); Since converts it to a
// monotonic offset.
package rxstamp

import (
	"net"
	"syscall"
	"time"
)

// Raw returns nc's RawConn, or nil when nc is not a socket (a net.Pipe in a
// test). A Go net connection makes a new one on every call: call it once
// per connection.
func Raw(nc net.Conn) syscall.RawConn {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}

// Since converts stamp, a receive time in wall-clock nanoseconds since the
// Unix epoch, into time since epoch on epoch's monotonic clock. The
// conversion goes through one wall and monotonic reading taken together
// now, so neither a stepped nor a slewed wall clock moves the result by
// more than the slew over the time since the data arrived; callers clamp
// it to what they know (after the request was sent, not after now).
func Since(epoch time.Time, stamp int64) time.Duration {
	now := time.Now()
	return now.Sub(epoch) - time.Duration(now.UnixNano()-stamp)
}
