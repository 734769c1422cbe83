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

	"golang.org/x/sys/unix"
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
}

func newDialer(ctx context.Context, timeout time.Duration, src []netip.Addr) *dialer {
	d := &dialer{ctx: ctx, srcs: src}
	if len(src) == 0 {
		d.dialers = []net.Dialer{{Timeout: timeout, KeepAlive: -1}}
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
	}
	return d
}

func (d *dialer) dial(addr string) (net.Conn, error) {
	i := 0
	if len(d.dialers) > 1 {
		i = int(d.next.Add(1) % uint64(len(d.dialers)))
	}
	return d.dialers[i].DialContext(d.ctx, "tcp", addr)
}

func bindNoPort(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
	})
	if err != nil {
		return err
	}
	return serr
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
