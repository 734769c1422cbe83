package report

import (
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/msnbench/msnbench/report/internal/viz"
)

// WriteText writes the human summary of a run: what ran, counts and rate,
// the phase table, errors by phase/class/code, and generator health. Every
// figure comes from the Run, so a saved run re-renders identically.
func WriteText(w io.Writer, run *Run) error {
	ew := &errWriter{w: w}
	writeTextHeader(ew, run)
	writeTextCounts(ew, run)
	writeTextPhases(ew, run)
	writeTextErrors(ew, run)
	writeTextErrorTexts(ew, run)
	for _, h := range Hints(run) {
		for i, line := range wrapText("hint: "+h, 114) {
			if i > 0 {
				line = "      " + line
			}
			ew.printf("%s\n", line)
		}
		ew.printf("\n")
	}
	writeTextHealth(ew, run)
	return ew.err
}

func writeTextHeader(ew *errWriter, run *Run) {
	title := run.Tool
	if title == "" {
		title = "msnbench"
	}
	if run.Label != "" {
		title += "  \"" + run.Label + "\""
	}
	ew.printf("%s\n", title)
	if run.Interrupted {
		ew.printf("%s\n", interruptedNote)
	}
	c := &run.Config
	target := c.Target
	if target == "" {
		target = "?"
	}
	ew.printf("target    %s", target)
	if r := describeRole(c); r != "" {
		ew.printf(" (%s)", r)
	}
	if c.Dialects != "" {
		ew.printf("  dialects %s", c.Dialects)
	}
	steps := "login"
	if len(c.Steps) > 0 {
		steps += "," + strings.Join(c.Steps, ",")
	}
	ew.printf("  steps %s\n", steps)
	ew.printf("load      %s\n", c.DescribeLoad())
	if !run.Start.IsZero() {
		ew.printf("start     %s  elapsed %s  interval %s\n", run.Start.UTC().Format(time.RFC3339),
			fmtDuration(run.Elapsed().Round(time.Millisecond)), fmtDuration(run.Interval()))
	}
	if s := describeShard(&run.Shard); s != "" {
		ew.printf("shards    %s\n", s)
	}
	m := &run.Machine
	if m.OS != "" || m.NumCPU != 0 {
		ew.printf("machine   %s/%s, %d CPUs, GOMAXPROCS %d, %s", m.OS, m.Arch, m.NumCPU, m.GOMAXPROCS, m.GoVersion)
		if m.Hostname != "" {
			ew.printf(", %s", m.Hostname)
		}
		ew.printf("\n")
	}
	ew.printf("\n")
}

// describeRole says what the first server's phases were named for, or ""
// for a run that does not say.
func describeRole(c *Config) string {
	var s string
	switch c.TargetRole {
	case "ds":
		s = "dispatch server: ds.* phases"
	case "ns":
		s = "notification server, no dispatch tier: ns.* phases"
	case "auto":
		s = "role per session: ds.* unless it answered USR I with a challenge"
	default:
		return ""
	}
	if c.TargetRoleBy != "" {
		s += ", learned by the " + c.TargetRoleBy + " login"
	}
	return s
}

// DescribeLoad summarises the load model in one line: "open, rate 200/s
// poisson, -d 30s", what a report and a comparison say of a run's load.
func (c *Config) DescribeLoad() string {
	var b strings.Builder
	model := c.Model
	if model == "" {
		model = "?"
	}
	b.WriteString(model)
	switch c.Model {
	case "closed":
		if c.Concurrency > 0 {
			b.WriteString(", concurrency " + strconv.Itoa(c.Concurrency))
		}
	case "open":
		b.WriteString(", rate " + strconv.FormatFloat(c.Rate, 'g', -1, 64) + "/s")
		if c.Arrival != "" {
			b.WriteString(" " + c.Arrival)
		}
	case "stages":
		b.WriteString(" " + c.Stages)
	}
	if c.MaxInflight > 0 {
		b.WriteString(", max in flight " + strconv.Itoa(c.MaxInflight))
	}
	if c.Logins > 0 {
		b.WriteString(", -n " + strconv.FormatInt(c.Logins, 10))
	}
	if c.Duration > 0 {
		b.WriteString(", -d " + c.Duration.String())
	}
	if c.Warmup > 0 {
		b.WriteString(", warm-up " + c.Warmup.String())
	}
	if c.Hold > 0 {
		b.WriteString(", hold " + c.Hold.String())
		if c.Ping > 0 {
			b.WriteString(" ping " + c.Ping.String())
		} else {
			b.WriteString(" no ping")
		}
		if c.StatusEvery > 0 {
			b.WriteString(" status every " + c.StatusEvery.String())
		}
		if c.ChatEvery > 0 {
			b.WriteString(" chat every " + c.ChatEvery.String())
		}
	}
	if c.Timeout > 0 {
		b.WriteString(", timeout " + c.Timeout.String())
	}
	if c.IO != "" {
		b.WriteString(", io " + c.IO)
	}
	if c.Timestamps != "" {
		b.WriteString(", " + c.Timestamps + " timestamps")
	}
	return b.String()
}

// describeShard says which part of a sharded run this is, or "" if unsharded.
func describeShard(s *Shard) string {
	if s.Count <= 1 && len(s.Parts) == 0 {
		return ""
	}
	var b strings.Builder
	if len(s.Parts) > 0 {
		b.WriteString("merged ")
		for i, p := range s.Parts {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(p))
		}
		if s.Count > 1 {
			b.WriteString(" of " + strconv.Itoa(s.Count))
		}
	} else {
		b.WriteString(strconv.Itoa(s.Index) + " of " + strconv.Itoa(s.Count))
	}
	if s.Group != "" {
		b.WriteString(", group " + s.Group)
	}
	if !s.At.IsZero() {
		b.WriteString(", start at " + s.At.UTC().Format(time.RFC3339Nano))
	}
	return b.String()
}

func writeTextCounts(ew *errWriter, run *Run) {
	c := &run.Counts
	ew.printf("sessions  %d attempted, %d ok (%s), %d failed (%s)", c.Attempted, c.OK,
		viz.FmtPercent(ratio(c.OK, c.Attempted)), c.Failed, viz.FmtPercent(ratio(c.Failed, c.Attempted)))
	if c.Cut > 0 {
		ew.printf(", %d cut by the end of the run (not failures)", c.Cut)
	}
	if c.Dropped > 0 {
		ew.printf(", %d dropped starts", c.Dropped)
	}
	if c.Warmup > 0 {
		ew.printf(", %d in warm-up (excluded)", c.Warmup)
	}
	ew.printf("\n")
	if why := run.NoRate(); why != "" {
		ew.printf("rate      - (%s)\n", why)
	} else if w := run.RateWindow(); w > 0 {
		// Say which window: the measured sessions' (no warm-up, hold or
		// wind-down in it), or the whole run for runs saved before.
		over := "of the whole run"
		if run.Measured.Seconds() > 0 {
			over = "from the first measured start to the last measured end"
		}
		ew.printf("rate      %.1f logins/s (%d ok in the %s %s)\n", run.LoginRate(), run.Counts.OK,
			fmtDuration(w.Round(time.Millisecond)), over)
	}
	ew.printf("\n")
}

// textPhases returns the phases the table shows: all of them, except the
// intended-start twins of login and session in the closed model, where
// there is no schedule to fall behind and they only repeat the actual-start
// rows (other reports keep them).
func textPhases(run *Run) []*PhaseResult {
	twins := map[string]string{"login.intended": "login", "session.intended": "session"}
	var out []*PhaseResult
	for i := range run.Phases {
		p := &run.Phases[i]
		if twin, ok := twins[p.Name]; ok {
			if q := run.Phase(twin); q != nil && (run.Config.Model == "closed" || q.Summary == p.Summary) {
				continue
			}
		}
		out = append(out, p)
	}
	return out
}

func writeTextPhases(ew *errWriter, run *Run) {
	phases := textPhases(run)
	if len(phases) == 0 {
		ew.printf("no latency values recorded\n\n")
		return
	}
	ew.printf("%-17s %9s %9s %9s %9s %9s %9s %9s\n", "phase", "count", "mean", "p50", "p90", "p99", "p99.9", "max")
	for _, p := range phases {
		s := &p.Summary
		ew.printf("%-17s %9d %9s %9s %9s %9s %9s %9s\n", p.Name, s.Count, fmtMicros(s.Mean),
			fmtMicros(float64(s.P50)), fmtMicros(float64(s.P90)), fmtMicros(float64(s.P99)),
			fmtMicros(float64(s.P999)), fmtMicros(float64(s.Max)))
	}
	for _, p := range phases {
		if p.Name != "login.intended" {
			continue
		}
		ew.printf("(login: from actual start; login.intended: from intended start, corrected for coordinated omission)\n")
	}
	for _, l := range deliveryLines(run) {
		ew.printf("%s\n", l)
	}
	ew.printf("\n")
}

func writeTextErrors(ew *errWriter, run *Run) {
	writeTextErrorTable(ew, "errors by phase / class / code", run.Errors, run.Counts.Attempted)
	writeTextErrorTable(ew, "held sessions ended early, by phase / class / code (their logins are in ok)",
		run.HoldErrors, run.Counts.OK)
	writeTextErrorTable(ew, "sessions cut by the end of the run, by the phase they were in (not failures; share of "+
		"sessions started)", run.Cuts, run.Counts.Attempted+run.Counts.Cut)
	if c := run.Chat; c != nil {
		ew.printf("%s\n\n", c.Line())
	}
	writeTextErrorTable(ew, "chat failures by phase / class / code (the held sessions went on; share of held sessions)",
		run.ChatErrors, run.Counts.OK)
}

// writeTextErrorTable prints one error table; shares are of total.
func writeTextErrorTable(ew *errWriter, title string, errs []ErrorCount, total int64) {
	if len(errs) == 0 {
		return
	}
	ew.printf("%s\n", title)
	for _, e := range errs {
		code := ""
		if e.Code != 0 {
			code = strconv.Itoa(e.Code)
		}
		ew.printf("  %-17s %-16s %5s %9d  %6s", e.Phase, e.Class, code, e.Count, viz.FmtPercent(ratio(e.Count, total)))
		if m := e.Meaning(); m != "" {
			ew.printf("  %s", m) // the server's words, or the code's meaning
		}
		ew.printf("\n")
	}
	ew.printf("\n")
}

func writeTextHealth(ew *errWriter, run *Run) {
	h := &run.Health
	ew.printf("generator cpu %.2fs user %.2fs sys (%s of %s), gc %d (pause max %s, total %s)",
		h.CPUUserSec, h.CPUSysSec, viz.FmtPercent(h.CPUUtil), cpusOf(run), h.NumGC,
		fmtMicros(float64(h.GCPauseMax)/1e3), fmtMicros(float64(h.GCPauseTotal)/1e3))
	if h.SchedLagP99Us > 0 || h.SchedLagMaxUs > 0 {
		ew.printf(", sched lag ")
		if h.SchedLagP50Us > 0 {
			ew.printf("p50 %s ", fmtMicros(float64(h.SchedLagP50Us)))
		}
		ew.printf("p99 %s max %s", fmtMicros(float64(h.SchedLagP99Us)), fmtMicros(float64(h.SchedLagMaxUs)))
	}
	if h.PeakInflight > 0 {
		ew.printf(", peak in flight %d", h.PeakInflight)
	}
	ew.printf("\n")
	if n := backoffNote(h); n != "" {
		ew.printf("backoff   %s\n", n)
	}
	if ev := healthEvidence(h); len(ev) > 0 {
		ew.printf("generator evidence: %s\n", strings.Join(ev, ", "))
	}
	if h.Limited || h.Saturated {
		for _, v := range h.Verdict() {
			ew.printf("WARNING: %s.\n", v)
		}
	} else if h.RunQueueKnown || h.ReadLagMeanUs > 0 {
		ew.printf("generator verdict: %s.\n", verdictNone)
	}
	if run.Counts.Dropped > 0 {
		ew.printf("WARNING: %d starts were due but not issued (max in flight reached): the offered rate was not achieved.\n",
			run.Counts.Dropped)
	}
	for _, m := range h.Warnings {
		ew.printf("WARNING: %s\n", m)
	}
}

func ratio(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// fmtMicros formats a latency in µs with three significant digits and a
// unit that suits it: "87µs", "1.23ms", "45.6s".
func fmtMicros(us float64) string {
	switch {
	case math.IsNaN(us) || math.IsInf(us, 0) || us < 0:
		return "-"
	case us < 999.5:
		return sig3(us) + "µs"
	case us < 999_500:
		return sig3(us/1e3) + "ms"
	case us < 59_950_000:
		return sig3(us/1e6) + "s"
	default:
		return fmtDuration(time.Duration(us * 1e3).Round(time.Second))
	}
}

// sig3 formats x >= 0 with three significant digits (no exponent).
func sig3(x float64) string {
	switch {
	case x < 9.995:
		return strconv.FormatFloat(x, 'f', 2, 64)
	case x < 99.95:
		return strconv.FormatFloat(x, 'f', 1, 64)
	default:
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
}

// fmtDuration is time.Duration's String with trailing zero units dropped
// ("2m0s" -> "2m").
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
