package loadgen

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// fdHeadroom is what the process needs besides session sockets: stdio,
// report files, listeners, the runtime's own descriptors.
const fdHeadroom = 64

// Limits is what the preflight found out about this machine.
type Limits struct {
	NoFile     uint64 // RLIMIT_NOFILE after raising the soft limit to the hard one
	NeedFiles  uint64 // file descriptors the run may need
	PortLo     int    // ip_local_port_range
	PortHi     int
	LocalPorts int // ports per target: the range size × number of source addresses
}

// preflight raises RLIMIT_NOFILE to its hard maximum and checks that the
// peak number of sessions fits in the file descriptors and local ports
// available. sidesPerSession is 2 when the server runs in this process
// (both ends of every connection are ours).
func preflight(peak int, sources int, sidesPerSession int) (Limits, error) {
	var l Limits
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return l, fmt.Errorf("reading the open-files limit: %w", err)
	}
	if rl.Cur < rl.Max {
		want := rl
		want.Cur = rl.Max
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &want); err == nil {
			rl = want
		}
	}
	l.NoFile = rl.Cur
	// A login briefly holds the dispatch and the notification connection
	// (only in sequence, but the DS close may lag), hence 2 per session.
	l.NeedFiles = uint64(peak)*uint64(2*sidesPerSession) + fdHeadroom
	if held := uint64(peak)*uint64(sidesPerSession) + fdHeadroom; l.NeedFiles > l.NoFile && held <= l.NoFile {
		// Enough for one connection per session: the DS/NS overlap is
		// short, so allow it but let the report say so if dials fail.
		l.NeedFiles = held
	}
	if l.NeedFiles > l.NoFile {
		return l, fmt.Errorf("%d sessions in flight need about %d file descriptors, but the limit is %d "+
			"(raise the hard limit: ulimit -Hn, or LimitNOFILE= in systemd; or lower the concurrency)",
			peak, l.NeedFiles, l.NoFile)
	}
	lo, hi, err := portRange()
	if err != nil {
		return l, nil // not Linux, or no procfs: nothing to check against
	}
	l.PortLo, l.PortHi = lo, hi
	if sources < 1 {
		sources = 1
	}
	l.LocalPorts = (hi - lo + 1) * sources
	if peak > l.LocalPorts {
		return l, fmt.Errorf("%d sessions in flight to one target need as many local ports, but only %d are "+
			"available (ip_local_port_range %d-%d × %d source address(es)); add source addresses with --source "+
			"or widen net.ipv4.ip_local_port_range", peak, l.LocalPorts, lo, hi, sources)
	}
	return l, nil
}

func portRange() (int, int, error) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("ip_local_port_range: unexpected %q", b)
	}
	lo, err1 := strconv.Atoi(f[0])
	hi, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || hi < lo {
		return 0, 0, fmt.Errorf("ip_local_port_range: unexpected %q", b)
	}
	return lo, hi, nil
}
