package report

import (
	"strconv"

	"github.com/msnbench/msnbench/report/internal/viz"
)

// Verdict texts: one per verdict of Health, the same in every report.
const (
	verdictSaturated   = "msnbench itself was the bottleneck: the load generator may have limited this result; the server was not necessarily the bottleneck"
	verdictMachineBusy = "other processes kept the machine busy: msnbench waited for a CPU and that shows in this result; the server was not necessarily the bottleneck"
	verdictNone        = "not limited: msnbench's CPU, sched.lag and read.lag are below the thresholds of both verdicts"
)

// Verdict says in words what the generator's health means for the result:
// one sentence per verdict, or that neither applies.
func (h *Health) Verdict() []string {
	var v []string
	if h.Saturated {
		v = append(v, verdictSaturated)
	}
	if h.MachineBusy {
		v = append(v, verdictMachineBusy)
	}
	if len(v) == 0 {
		v = append(v, verdictNone)
	}
	return v
}

// RunQueueShare is the share of the time msnbench's threads were ready to
// run that they spent waiting for a CPU: RunQueueSec / (RunQueueSec + CPU).
func (h *Health) RunQueueShare() float64 {
	if w := h.RunQueueSec + h.CPUUserSec + h.CPUSysSec; w > 0 {
		return h.RunQueueSec / w
	}
	return 0
}

// healthEvidence lists the figures the verdicts rest on beyond the CPU
// line: replies left waiting, the run-queue wait and how busy the machine
// was. Figures a run did not measure are left out.
func healthEvidence(h *Health) []string {
	var ev []string
	if h.ReadLagMeanUs > 0 {
		ev = append(ev, "read.lag "+fmtMicros(float64(h.ReadLagMeanUs))+" per session ("+viz.FmtPercent(h.ReadLagShare)+
			" of the session time)")
	}
	if h.RunQueueKnown {
		ev = append(ev, "run-queue wait "+fmtMicros(h.RunQueueSec*1e6)+" ("+
			viz.FmtPercent(h.RunQueueShare())+" of the time msnbench was ready to run)")
		ev = append(ev, "machine "+viz.FmtPercent(h.MachineCPU)+" busy (other processes "+viz.FmtPercent(h.OtherCPU)+
			", steal "+viz.FmtPercent(h.Steal)+")")
	}
	return ev
}

// cpusOf says which CPUs CPUUtil is over.
func cpusOf(run *Run) string {
	if run.Health.Cores > 0 {
		return strconv.Itoa(run.Health.Cores) + " CPUs it may use"
	}
	return strconv.Itoa(run.Machine.GOMAXPROCS) + " CPUs"
}
