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

// Thresholds of the verdicts (calibrated in docs/benchmarks.md, "When is
// the generator the bottleneck?").
const (
	// saturatedCPU of the cores msnbench may use: it is the bottleneck
	// whatever else the evidence says.
	saturatedCPU = 0.90
	// lateSchedLag: sessions started this late at the median (open model)
	// were held back by the generator, not by a few wake-ups.
	lateSchedLag = 2 * time.Millisecond
	// lateSchedLagP99: ... or this late for the slowest 1 %.
	lateSchedLagP99 = 150 * time.Millisecond
	// Replies waiting in the kernel for msnbench to read them (read.lag,
	// per session) limit the result when they are more than half of the
	// session time (waitingMostShare, and at least waitingMostMin), or when
	// they are both long (waitingLongMin) and a fair share of it
	// (waitingLongShare). Light runs measured 14–41 % on quiet and busy
	// machines; a generator confined to a core with a busy loop 58–83 % on
	// a quiet machine.
	waitingMostShare = 0.50
	waitingMostMin   = 250 * time.Microsecond
	waitingLongMin   = 4 * time.Millisecond
	waitingLongShare = 0.25
	// busyRunQueue: the share of the time msnbench's threads were ready to
	// run that they spent waiting for a CPU, above which other processes
	// are the cause of any lag ...
	busyRunQueue = 0.5
	// busyOthers: ... and other processes used this share of the machine's
	// CPU time (so the wait is not msnbench's threads queueing behind each
	// other).
	busyOthers = 0.25
	// busySteal: the share of the machine's CPU time the hypervisor took.
	busySteal   = 0.10
	gcPauseWarn = 50 * time.Millisecond // single pause
)

// usage is a snapshot of the process's (and the machine's) resource use.
type usage struct {
	wall      time.Time
	user, sys time.Duration
	numGC     uint32
	pauseNs   uint64
	runq      int64 // ns, summed over threads
	runqOK    bool
	mach      machTimes
	machOK    bool
}

// machTimes is the machine's CPU time in clock ticks, all CPUs together.
type machTimes struct {
	total, idle, steal int64
	cpus               int
}

func takeUsage() usage {
	u := usage{wall: time.Now()}
	u.user, u.sys = cpuTimes()
	u.runq, u.runqOK = runQueueWait()
	u.mach, u.machOK = machineTimes()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	u.numGC = ms.NumGC
	u.pauseNs = ms.PauseTotalNs
	return u
}

// usableCores is the number of CPUs msnbench can run on at once.
func usableCores() int {
	return max(1, min(runtime.GOMAXPROCS(0), runtime.NumCPU()))
}

// evidence is what the verdicts rest on.
type evidence struct {
	cpuUtil                  float64 // process CPU / (wall × cores)
	cores                    int
	schedLagP50, schedLagP99 time.Duration // 0 in the closed model
	readLag, span            time.Duration // means per session: read.lag (0 without kernel stamps) and the time it is part of
	dropped, peakInflight    int64
	runqKnown                bool
	runqShare                float64 // run-queue wait / (wait + CPU time)
	runq                     time.Duration
	others, steal            float64 // shares of the machine's CPU time
	shared                   bool    // the server ran in this process
}

// verdict is the outcome of judge: the two verdicts and their warnings,
// each with the figures it rests on.
type verdict struct {
	saturated, machineBusy bool
	warnings               []string
}

// judge decides from the evidence whether msnbench itself was the
// bottleneck, or other processes kept it from running, or neither. Lag on
// its own (a session started late, a reply read late) says the result was
// touched; the run-queue wait and steal say whether the machine, not
// msnbench, was the cause.
func judge(ev evidence) verdict {
	var v verdict
	who := "msnbench"
	if ev.shared {
		who = "msnbench (generator and embedded server together)"
	}
	if ev.cpuUtil > saturatedCPU {
		v.saturated = true
		v.warnings = append(v.warnings, fmt.Sprintf("%s used %.0f%% of the %d CPUs it may use", who, 100*ev.cpuUtil,
			ev.cores))
	}
	if ev.dropped > 0 {
		v.saturated = true
		v.warnings = append(v.warnings, fmt.Sprintf("%d starts were dropped because %d sessions were already in "+
			"flight (raise --max-inflight, or the server is too slow for this rate)", ev.dropped, ev.peakInflight))
	}

	// What the lag did to the result.
	var lag []string
	if ev.schedLagP50 > lateSchedLag || ev.schedLagP99 > lateSchedLagP99 {
		lag = append(lag, fmt.Sprintf("sessions started late (sched.lag p50 %v, p99 %v; login.intended includes "+
			"the delay, login does not)", roundLag(ev.schedLagP50), roundLag(ev.schedLagP99)))
	}
	if share := float64(ev.readLag) / float64(max(ev.span, 1)); ev.span > 0 &&
		(ev.readLag > waitingMostMin && share > waitingMostShare || ev.readLag > waitingLongMin && share > waitingLongShare) {
		lag = append(lag, fmt.Sprintf("replies waited %v per session (%.0f%% of the session time) in the kernel for "+
			"msnbench to read them (read.lag; login includes it, the reply phases do not)",
			roundLag(ev.readLag), 100*share))
	}
	if len(lag) == 0 {
		return v
	}
	what := strings.Join(lag, "; ")
	busy := ev.runqKnown && (ev.runqShare > busyRunQueue && ev.others > busyOthers || ev.steal > busySteal)
	switch {
	case busy:
		v.machineBusy = true
		v.warnings = append(v.warnings, fmt.Sprintf("other processes used %.0f%% of the machine's CPU time "+
			"(steal %.1f%%) and the threads of %s waited %v for a CPU (%.0f%% of the time they were ready to run; it "+
			"used %.0f%% of %d CPUs), so: %s", 100*ev.others, 100*ev.steal, who,
			ev.runq.Round(time.Millisecond), 100*ev.runqShare, 100*ev.cpuUtil, ev.cores, what))
	case ev.runqKnown:
		v.saturated = true
		v.warnings = append(v.warnings, fmt.Sprintf("%s, while the threads of %s seldom waited for a CPU (%.0f%% of "+
			"the time they were ready to run) and it used %.0f%% of %d CPUs", what, who, 100*ev.runqShare, 100*ev.cpuUtil, ev.cores))
	default:
		v.saturated = true
		v.warnings = append(v.warnings, fmt.Sprintf("%s (it used %.0f%% of %d CPUs; whether other processes "+
			"were the cause is not measured on this OS)",
			what, 100*ev.cpuUtil, ev.cores))
	}
	return v
}

// roundLag keeps three or four significant digits of a lag for a sentence.
func roundLag(d time.Duration) time.Duration {
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond)
	case d >= 10*time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// holdKey says how a held session ended before its hold time.
type holdKey struct {
	phase  report.Phase
	class  msnp.Class
	code   int
	detail msnp.Detail // e.g. the reason of an OUT
}

// fillHealth sets run.Health from the usage over the run and the run's own
// sched.lag and read.lag distributions, and gives the verdicts (judge).
func fillHealth(run *report.Run, a, b usage, peakInflight int64, shared bool, holdFailed map[holdKey]int64) {
	h := &run.Health
	h.CPUUserSec = (b.user - a.user).Seconds()
	h.CPUSysSec = (b.sys - a.sys).Seconds()
	wall := b.wall.Sub(a.wall).Seconds()
	h.Cores = usableCores()
	if wall > 0 {
		h.CPUUtil = (h.CPUUserSec + h.CPUSysSec) / (wall * float64(h.Cores))
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
	if lag := run.Phase(report.SchedLag.String()); lag != nil {
		h.SchedLagP50Us = lag.Summary.P50
		h.SchedLagP99Us = lag.Summary.P99
		h.SchedLagMaxUs = lag.Summary.Max
	}
	// The same rule as a merged run's (report.Run.ReadLag).
	h.ReadLagMeanUs, h.ReadLagShare = run.ReadLag()
	readLag := time.Duration(h.ReadLagMeanUs) * time.Microsecond
	var span time.Duration // the mean time read.lag is a share of
	if h.ReadLagShare > 0 {
		span = time.Duration(float64(readLag) / h.ReadLagShare)
	}
	cpu := b.user - a.user + b.sys - a.sys
	if a.runqOK && b.runqOK {
		h.RunQueueKnown = true
		h.RunQueueSec = time.Duration(max(0, b.runq-a.runq)).Seconds()
	}
	if a.machOK && b.machOK {
		if total := b.mach.total - a.mach.total; total > 0 {
			h.MachineCPU = 1 - float64(b.mach.idle-a.mach.idle)/float64(total)
			h.Steal = float64(b.mach.steal-a.mach.steal) / float64(total)
			if wall > 0 && b.mach.cpus > 0 {
				h.OtherCPU = max(0, h.MachineCPU-h.Steal-cpu.Seconds()/(wall*float64(b.mach.cpus)))
			}
		}
	}
	h.Dropped = run.Counts.Dropped
	h.PeakInflight = peakInflight

	ev := evidence{
		cpuUtil:      h.CPUUtil,
		cores:        h.Cores,
		schedLagP50:  time.Duration(h.SchedLagP50Us) * time.Microsecond,
		schedLagP99:  time.Duration(h.SchedLagP99Us) * time.Microsecond,
		readLag:      readLag,
		span:         span,
		dropped:      h.Dropped,
		peakInflight: peakInflight,
		runqKnown:    h.RunQueueKnown,
		runq:         time.Duration(h.RunQueueSec * float64(time.Second)),
		others:       h.OtherCPU,
		steal:        h.Steal,
		shared:       shared,
	}
	if w := h.RunQueueSec + cpu.Seconds(); w > 0 {
		ev.runqShare = h.RunQueueSec / w
	}
	v := judge(ev)
	h.Saturated, h.MachineBusy = v.saturated, v.machineBusy
	h.Limited = h.Saturated || h.MachineBusy
	h.Warnings = append(h.Warnings, v.warnings...)
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
			key += " " + strconv.FormatInt(e.Count, 10)
			if m := e.Meaning(); m != "" {
				key += " (" + m + ")"
			}
			parts = append(parts, key)
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
		case a.code != b.code:
			return cmp.Compare(a.code, b.code)
		}
		return cmp.Compare(a.detail, b.detail)
	})
	out := make([]report.ErrorCount, len(keys))
	for i, k := range keys {
		out[i] = report.ErrorCount{Phase: k.phase.String(), Class: k.class.String(), Code: k.code,
			Detail: k.detail.String(), Count: m[k]}
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
