package loadgen

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// fdHeadroom is what the process needs besides session sockets: stdio,
// report files, listeners, the runtime's own descriptors.
const fdHeadroom = 64

// Limits is what the preflight found out about this machine.
type Limits struct {
	NoFile    uint64 // RLIMIT_NOFILE after raising the soft limit to the hard one
	NeedFiles uint64 // file descriptors the run may need
	PortLo    int    // ip_local_port_range; 0 when unknown
	PortHi    int
	// LocalPorts is the number of local ports per target: the range size
	// × the number of source addresses; 0 when unknown.
	LocalPorts int
	// FilesPerSession is the descriptors one session may hold at once: 2
	// (the dispatch connection stays open until the notification server
	// answers), twice that when the server runs in this process.
	FilesPerSession int
	// Fit is the most sessions in flight these limits leave room for,
	// counting FilesPerSession each.
	Fit int
	// LoweredFrom is the default MaxInflight when New lowered it to Fit
	// because the default did not fit; 0 when nothing was lowered.
	LoweredFrom int
}

// probe is probeLimits; tests replace it to play a machine with other
// limits.
var probe = probeLimits

// probeLimits raises RLIMIT_NOFILE to its hard maximum and reads the local
// port range. sidesPerSession is 2 when the server runs in this process
// (both ends of every connection are ours).
func probeLimits(sources int, sidesPerSession int) (Limits, error) {
	var l Limits
	n, err := raiseNoFile()
	if err != nil {
		return l, fmt.Errorf("reading the open-files limit: %w", err)
	}
	l.NoFile = n
	if lo, hi, err := portRange(); err == nil { // else not Linux, or no procfs: nothing to check against
		l.PortLo, l.PortHi = lo, hi
		l.LocalPorts = (hi - lo + 1) * max(sources, 1)
	}
	l.setFit(sidesPerSession)
	return l, nil
}

// setFit computes FilesPerSession and Fit.
func (l *Limits) setFit(sidesPerSession int) {
	sides := max(sidesPerSession, 1)
	l.FilesPerSession = 2 * sides
	fit := uint64(0)
	if l.NoFile > fdHeadroom {
		fit = (l.NoFile - fdHeadroom) / uint64(l.FilesPerSession)
	}
	if l.LocalPorts > 0 {
		fit = min(fit, uint64(l.LocalPorts))
	}
	l.Fit = int(min(fit, 1<<31-1))
}

// check reports whether peak sessions in flight fit the limits and sets
// NeedFiles. Two descriptors per session side are what a login can hold
// at once, but only briefly (the dispatch connection closes as soon as the
// notification server answers), so a peak that fits one per side is
// allowed; the report shows connect failures if the overlap did not fit.
// The error quotes the figure it compared.
func (l *Limits) check(peak int) error {
	per := uint64(max(l.FilesPerSession, 2))
	l.NeedFiles = uint64(peak)*per + fdHeadroom
	if l.NeedFiles > l.NoFile {
		least := uint64(peak)*(per/2) + fdHeadroom
		if least > l.NoFile {
			fit := ""
			if l.Fit > 0 {
				fit = fmt.Sprintf("; at most %d sessions fit comfortably", l.Fit)
			}
			return fmt.Errorf("%d sessions in flight need at least %d file descriptors (%d each, plus %d), "+
				"but the limit is %d%s (raise the hard limit: ulimit -Hn, or LimitNOFILE= in systemd; or "+
				"lower -c, --max-inflight or the stage levels)", peak, least, per/2, fdHeadroom, l.NoFile, fit)
		}
		l.NeedFiles = least
	}
	if l.LocalPorts > 0 && peak > l.LocalPorts {
		return fmt.Errorf("%d sessions in flight to one target need as many local ports, but only %d are "+
			"available (ip_local_port_range %d-%d × %d source address(es)); add source addresses with --source "+
			"or widen net.ipv4.ip_local_port_range", peak, l.LocalPorts, l.PortLo, l.PortHi,
			l.LocalPorts/(l.PortHi-l.PortLo+1))
	}
	return nil
}

// preflight probes the limits and checks that peak sessions in flight fit.
func preflight(peak int, sources int, sidesPerSession int) (Limits, error) {
	l, err := probeLimits(sources, sidesPerSession)
	if err != nil {
		return l, err
	}
	return l, l.check(peak)
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
