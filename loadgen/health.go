package loadgen

import (
	"bufio"
	"cmp"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

// Thresholds above which a run is marked as limited by the generator.
const (
	saturatedCPU      = 0.90                  // of GOMAXPROCS
	saturatedSchedLag = 5 * time.Millisecond  // p99 of sched.lag
	gcPauseWarn       = 50 * time.Millisecond // single pause
	// Replies that wait this share of the login time (and at least
	// saturatedReadLagMin per session) for the generator to read them.
	saturatedReadLagShare = 0.25
	saturatedReadLagMin   = time.Millisecond
)

// usage is a snapshot of the process's resource use.
type usage struct {
	wall      time.Time
	user, sys time.Duration
	numGC     uint32
	pauseNs   uint64
}

func takeUsage() usage {
	u := usage{wall: time.Now()}
	u.user, u.sys = cpuTimes()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	u.numGC = ms.NumGC
	u.pauseNs = ms.PauseTotalNs
	return u
}

// fillHealth sets run.Health from the usage over the run and the run's own
// sched.lag distribution, and decides whether the generator was saturated.
// holdKey says how a held session ended before its hold time.
type holdKey struct {
	phase report.Phase
	class msnp.Class
	code  int
}

func fillHealth(run *report.Run, a, b usage, peakInflight int64, shared bool, holdFailed map[holdKey]int64) {
	h := &run.Health
	h.CPUUserSec = (b.user - a.user).Seconds()
	h.CPUSysSec = (b.sys - a.sys).Seconds()
	wall := b.wall.Sub(a.wall).Seconds()
	procs := runtime.GOMAXPROCS(0)
	if wall > 0 {
		h.CPUUtil = (h.CPUUserSec + h.CPUSysSec) / (wall * float64(procs))
	}
	h.NumGC = b.numGC - a.numGC
	h.GCPauseTotal = report.Duration(b.pauseNs - a.pauseNs)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	// PauseNs is a ring of the last 256 pauses: the max over the run's
	// GCs that are still in it.
	n := min(h.NumGC, uint32(len(ms.PauseNs)))
	var maxPause uint64
	for i := uint32(0); i < n; i++ {
		maxPause = max(maxPause, ms.PauseNs[(ms.NumGC-1-i+256)%256])
	}
	h.GCPauseMax = report.Duration(maxPause)
	var readLag, login float64 // means, µs
	for _, ph := range run.Phases {
		switch ph.Name {
		case report.SchedLag.String():
			h.SchedLagP99Us = ph.Summary.P99
			h.SchedLagMaxUs = ph.Summary.Max
		case report.ReadLag.String():
			readLag = ph.Summary.Mean
		case report.Login.String():
			login = ph.Summary.Mean
		}
	}
	h.Dropped = run.Counts.Dropped
	h.PeakInflight = peakInflight

	if h.CPUUtil > saturatedCPU {
		h.Saturated = true
		who := "the generator"
		if shared {
			who = "this process (generator and embedded server together)"
		}
		h.Warnings = append(h.Warnings, fmt.Sprintf("%s used %.0f%% of %d CPUs: results may be limited by the "+
			"load generator, not the server", who, 100*h.CPUUtil, procs))
	}
	if lag := time.Duration(h.SchedLagP99Us) * time.Microsecond; lag > saturatedSchedLag {
		h.Saturated = true
		h.Warnings = append(h.Warnings, fmt.Sprintf("schedule lag p99 is %v (> %v): sessions started late; "+
			"login.intended includes the delay, login does not", lag, saturatedSchedLag))
	}
	if readLag > float64(saturatedReadLagMin/time.Microsecond) && readLag > saturatedReadLagShare*login {
		h.Saturated = true
		h.Warnings = append(h.Warnings, fmt.Sprintf("replies waited %v per login on average (%.0f%% of the login "+
			"time) for the generator to read them (read.lag): the reply phases leave that out, login includes it",
			time.Duration(readLag*float64(time.Microsecond)).Round(time.Microsecond), 100*readLag/login))
	}
	if h.Dropped > 0 {
		h.Saturated = true
		h.Warnings = append(h.Warnings, fmt.Sprintf("%d starts were dropped because %d sessions were already in "+
			"flight (raise --max-inflight, or the server is too slow for this rate)", h.Dropped, peakInflight))
	}
	if time.Duration(h.GCPauseMax) > gcPauseWarn {
		h.Warnings = append(h.Warnings, fmt.Sprintf("a GC pause of %v may show up as latency", time.Duration(h.GCPauseMax)))
	}
	if shared {
		h.Warnings = append(h.Warnings, "the server ran in the same process (embedded): client and server "+
			"share the CPUs, so absolute numbers understate what either can do alone")
	}
	if len(holdFailed) > 0 {
		run.HoldErrors, run.Counts.HoldLost = holdErrors(holdFailed)
		parts := make([]string, 0, len(run.HoldErrors))
		for _, e := range run.HoldErrors {
			key := e.Phase + "/" + e.Class
			if e.Code != 0 {
				key += "/" + strconv.Itoa(e.Code)
			}
			parts = append(parts, key+" "+strconv.FormatInt(e.Count, 10))
		}
		h.Warnings = append(h.Warnings, fmt.Sprintf("%d held sessions ended before their hold time: %s",
			run.Counts.HoldLost, strings.Join(parts, ", ")))
	}
}

// holdErrors turns the held-session failures into the report's table (most
// frequent first, then in phase order) and their total.
func holdErrors(m map[holdKey]int64) ([]report.ErrorCount, int64) {
	keys := make([]holdKey, 0, len(m))
	var total int64
	for k, n := range m {
		keys = append(keys, k)
		total += n
	}
	slices.SortFunc(keys, func(a, b holdKey) int {
		switch {
		case m[a] != m[b]:
			return cmp.Compare(m[b], m[a])
		case a.phase != b.phase:
			return cmp.Compare(a.phase, b.phase)
		case a.class != b.class:
			return cmp.Compare(a.class, b.class)
		}
		return cmp.Compare(a.code, b.code)
	})
	out := make([]report.ErrorCount, len(keys))
	for i, k := range keys {
		out[i] = report.ErrorCount{Phase: k.phase.String(), Class: k.class.String(), Code: k.code, Count: m[k]}
	}
	return out, total
}

// machine describes this machine for the report.
func machine() report.Machine {
	m := report.Machine{
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
		NumCPU:     runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion:  runtime.Version(),
	}
	m.Hostname, _ = os.Hostname()
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	return m
}
