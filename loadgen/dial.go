package loadgen

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/msnbench/msnbench/internal/rxstamp"
)

// MaxSourceAddrs bounds a --source range.
const MaxSourceAddrs = 4096

// ParseSource parses a list of local addresses: "127.0.0.2-127.0.0.40"
// (an inclusive range), "10.0.0.1,10.0.0.2", or a mix.
func ParseSource(s string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := netip.ParseAddr(strings.TrimSpace(lo))
		if err != nil {
			return nil, fmt.Errorf("source %q: %v", part, err)
		}
		if !isRange {
			out = append(out, a)
			continue
		}
		b, err := netip.ParseAddr(strings.TrimSpace(hi))
		if err != nil {
			return nil, fmt.Errorf("source %q: %v", part, err)
		}
		if a.Is4() != b.Is4() || b.Less(a) {
			return nil, fmt.Errorf("source %q: range must go up within one address family", part)
		}
		for x := a; ; x = x.Next() {
			out = append(out, x)
			if len(out) > MaxSourceAddrs {
				return nil, fmt.Errorf("source %q: more than %d addresses", part, MaxSourceAddrs)
			}
			if x == b {
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("source %q: no addresses", s)
	}
	return out, nil
}

// dialer dials the target, spreading connections round robin over the
// source addresses. With a source address, IP_BIND_ADDRESS_NO_PORT lets
// the kernel pick the local port at connect time, per destination, instead
// of at bind time for all destinations: that is what makes more than ~28k
// connections per target possible. TCP keep-alive is off: MSNP has its own
// (PNG), and turning it on costs four setsockopt calls per connection,
// which showed up in the client's CPU per login against floor.c.
type dialer struct {
	ctx     context.Context
	dialers []net.Dialer
	srcs    []netip.Addr // the event loops dial from these themselves
	next    atomic.Uint64
	stamps  bool
}

func newDialer(ctx context.Context, timeout time.Duration, src []netip.Addr, stamps bool) *dialer {
	d := &dialer{ctx: ctx, srcs: src, stamps: stamps}
	var control func(network, address string, c syscall.RawConn) error
	if stamps {
		// Receive timestamps for the goroutine engine (the loops turn
		// them on in their own dial).
		control = rxstamp.Control
	}
	if len(src) == 0 {
		d.dialers = []net.Dialer{{Timeout: timeout, KeepAlive: -1, Control: control}}
		return d
	}
	d.dialers = make([]net.Dialer, len(src))
	for i, a := range src {
		d.dialers[i] = net.Dialer{
			Timeout:   timeout,
			KeepAlive: -1,
			LocalAddr: &net.TCPAddr{IP: a.AsSlice()},
			Control:   bindNoPort,
		}
		if stamps {
			d.dialers[i].Control = bindNoPortStamped
		}
	}
	return d
}

func (d *dialer) dial(addr string) (net.Conn, error) {
	i := 0
	if len(d.dialers) > 1 {
		i = int(d.next.Add(1) % uint64(len(d.dialers)))
	}
	c, err := d.dialers[i].DialContext(d.ctx, "tcp", addr)
	if err != nil || !d.stamps {
		return c, err
	}
	return withStamps(c), nil
}

// stampedConn is a Go net connection whose socket has receive timestamps
// on, with its RawConn, got once while dialing, for connReader to read it
// with recvmsg.
type stampedConn struct {
	net.Conn
	raw syscall.RawConn
}

// withStamps wraps c, a connection dialed with rxstamp.Control, for
// connReader; a connection without a socket is returned as it is.
func withStamps(c net.Conn) net.Conn {
	raw := rxstamp.Raw(c)
	if raw == nil {
		return c
	}
	return &stampedConn{Conn: c, raw: raw}
}

func bindNoPortStamped(network, address string, c syscall.RawConn) error {
	if err := bindNoPort(network, address, c); err != nil {
		return err
	}
	return rxstamp.Control(network, address, c)
}

// checkSources binds each source address once, so that an address that is
// not configured on this machine is a setup error, not a run of failures.
func checkSources(src []netip.Addr) error {
	for _, a := range src {
		l, err := net.ListenTCP("tcp", &net.TCPAddr{IP: a.AsSlice()})
		if err != nil {
			return fmt.Errorf("source address %s is not usable here: %w", a, err)
		}
		l.Close()
	}
	return nil
}
