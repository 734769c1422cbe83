package report

import (
	"time"

	"github.com/msnbench/msnbench/msnp"
)

// SchemaVersion is the version of the JSON form of Run. Readers refuse a
// newer major version than they know.
const SchemaVersion = 1

// Run is the complete result of one run and the single source of truth for
// every report format (DESIGN.md §4). It is plain data: everything a writer
// needs is in it, nothing in it is secret, and it round-trips through JSON.
type Run struct {
	Schema int    `json:"schema"`
	Tool   string `json:"tool"` // "msnbench <version>"
	// ID identifies the run: 128 random bits in hex (NewRunID), drawn when
	// it starts, so Merge can refuse a part given twice. A merged run's ID
	// is derived from its parts', which PartIDs lists. Runs saved before
	// IDs existed have none; Merge then tells them apart by start, end,
	// configuration, shard and counts.
	ID      string    `json:"id,omitempty"`
	PartIDs []string  `json:"part_ids,omitempty"`
	Label   string    `json:"label,omitempty"` // user's label for the run
	Config  Config    `json:"config"`
	Machine Machine   `json:"machine"`
	Start   time.Time `json:"start"` // wall-clock start of the measured run
	End     time.Time `json:"end"`
	Shard   Shard     `json:"shard"`
	// Interrupted is set when the run was stopped before its end (Ctrl-C, a
	// signal): it covers the time up to then.
	Interrupted bool `json:"interrupted,omitempty"`

	// Measured is when the measured sessions ran: from the first one's
	// start to the last one's end, in seconds since Start (a held
	// session ends, for this, when its steps are done). The warm-up, the
	// holds and the wind-down after the last session are outside it;
	// LoginRate is over it. Zero in runs written before it existed.
	Measured Span `json:"measured,omitzero"`

	Counts Counts       `json:"counts"`
	Errors []ErrorCount `json:"errors"`
	// Cuts counts the sessions cut by the end of the run (its time was
	// up, or it was interrupted, while they were in flight), by the phase
	// they were in, with class "cut". They are Counts.Cut, not failures.
	Cuts []ErrorCount `json:"cuts,omitempty"`
	// HoldErrors counts held sessions that ended before their hold time, by
	// the phase (ping, qry) × class × code that ended them. Their logins
	// succeeded, so they are in Counts.OK and not in Errors.
	HoldErrors []ErrorCount `json:"hold_errors,omitempty"`
	// Deliveries counts, per phase (presence), the notifications one
	// session of the run expected another of it to receive, and how many
	// never came within the timeout.
	Deliveries []Delivery `json:"deliveries,omitempty"`
	// Chat counts the messages held users sent each other (--chat-every);
	// nil when they did not chat.
	Chat *Chat `json:"chat,omitempty"`
	// ChatErrors counts failures of the switchboard and message phases
	// (sb.*, msg.*) by phase × class × code × detail. The held sessions
	// they happened in went on: they are neither in Errors nor in
	// HoldErrors.
	ChatErrors []ErrorCount  `json:"chat_errors,omitempty"`
	Phases     []PhaseResult `json:"phases"` // only phases with at least one value, in Phase order
	Series     []Point       `json:"series"` // one point per interval
	Health     Health        `json:"health"`

	// ErrorTexts are the messages of failures of class "other", the first
	// MaxErrorTexts distinct ones with their counts.
	ErrorTexts []ErrorText `json:"error_texts,omitempty"`
}

// Span is a stretch of a run, in seconds since Run.Start.
type Span struct {
	From float64 `json:"from"`
	To   float64 `json:"to"`
}

// Seconds returns the span's length, or 0 when it is empty or unset.
func (s Span) Seconds() float64 {
	if s.To > s.From {
		return s.To - s.From
	}
	return 0
}

// Config describes what was run, for people reading the report and for
// merge to check that parts belong together. No passwords, ever.
type Config struct {
	Target string `json:"target"` // host:port, or "embedded"
	// TargetRole is what the first server's phases were named for: "ds"
	// (a dispatch server), "ns" (a notification server without a dispatch
	// tier) or "auto" (per session: ds.* unless the session got a
	// challenge there). TargetRoleBy says how an auto role was fixed
	// ("probe": by the probe login's answer to USR I).
	TargetRole   string   `json:"target_role,omitempty"`
	TargetRoleBy string   `json:"target_role_by,omitempty"`
	Model        string   `json:"model"` // "closed", "open" or "stages"
	Concurrency  int      `json:"concurrency,omitempty"`
	Rate         float64  `json:"rate,omitempty"`    // logins per second (open model)
	Arrival      string   `json:"arrival,omitempty"` // "uniform" or "poisson"
	Stages       string   `json:"stages,omitempty"`
	MaxInflight  int      `json:"max_inflight,omitempty"`
	Logins       int64    `json:"logins,omitempty"` // -n
	Duration     Duration `json:"duration,omitempty"`
	Warmup       Duration `json:"warmup,omitempty"`
	Steps        []string `json:"steps"` // e.g. ["syn","chg"]; empty: login + OUT
	Status       string   `json:"status,omitempty"`
	Hold         Duration `json:"hold,omitempty"`
	Ping         Duration `json:"ping,omitempty"`
	StatusEvery  Duration `json:"status_every,omitempty"` // held sessions change their status this often
	ChatEvery    Duration `json:"chat_every,omitempty"`
	Dialects     string   `json:"dialects"`
	Accounts     int      `json:"accounts,omitempty"`
	UserPattern  string   `json:"user_pattern,omitempty"`
	UsersFile    string   `json:"users_file,omitempty"`
	Source       string   `json:"source,omitempty"`
	Timeout      Duration `json:"timeout"`
	Interval     Duration `json:"interval"`     // length of one series interval (normally 1s)
	IO           string   `json:"io,omitempty"` // the generator's I/O engine: "loop" or "net"
	// Timestamps says when a reply counted as received: "kernel" (its
	// receive timestamp) or "user" (when the generator had parsed it).
	Timestamps string `json:"timestamps,omitempty"`
}

// Machine describes the load generator's machine.
type Machine struct {
	Hostname   string `json:"hostname,omitempty"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	Kernel     string `json:"kernel,omitempty"`
	CPU        string `json:"cpu,omitempty"`
	NumCPU     int    `json:"num_cpu"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	GoVersion  string `json:"go_version"`
}

// Shard says which part of a sharded run this is (DESIGN.md §7); Count 0 or
// 1 means unsharded.
type Shard struct {
	Index int       `json:"index"`
	Count int       `json:"count"`
	Group string    `json:"group,omitempty"` // common identifier of the parts
	At    time.Time `json:"at,omitzero"`     // common start time
	Parts []int     `json:"parts,omitempty"` // shard indexes a merged run holds (set by Merge)
}

// Counts are the session counts. Attempted = OK + Failed; Dropped starts were
// due (open model) but could not be issued because of --max-inflight, and
// are not part of Attempted. Warmup sessions are counted apart and excluded
// from everything else. Cut sessions were still in flight when the run
// ended or was interrupted and were closed by it: neither ok nor failed
// (the server did not fail them), so they are not part of Attempted and
// no failure rate counts them.
type Counts struct {
	Attempted int64 `json:"attempted"`
	OK        int64 `json:"ok"`
	Failed    int64 `json:"failed"`
	Dropped   int64 `json:"dropped"`
	Warmup    int64 `json:"warmup"`
	Cut       int64 `json:"cut,omitempty"`
	// HoldLost is the number of held sessions that ended before their hold
	// time (kicked, ping or QRY failed, closed by the server): the sum of
	// Run.HoldErrors.
	HoldLost int64 `json:"hold_lost,omitempty"`
}

// Chat counts the messages of a run whose held users chatted (MSNP.md §4.9).
// A message is sent as MSG A; the server acknowledges it (ACK) once it has
// relayed it, or refuses it (NAK, e.g. the receiver had just left).
// Delivered, Lost, Duplicated and Reordered count only messages whose
// receiver was held by the same process (the only ones whose arrival it
// sees): Lost are those acknowledged that did not arrive within the
// timeout; Reordered arrived after a later one of the same conversation.
type Chat struct {
	Switchboards int64 `json:"switchboards"` // conversations opened (CAL sent)
	Sent         int64 `json:"sent"`
	Acked        int64 `json:"acked"`
	Naked        int64 `json:"naked,omitempty"`
	// NakedLeft are the refusals that came after the receiver had left the
	// conversation (BYE before the NAK: its hold ended, or it signed out,
	// while the message was on its way): a race of the two clients, not the
	// server refusing a message it could deliver. Included in Naked.
	NakedLeft  int64 `json:"naked_after_bye,omitempty"`
	Delivered  int64 `json:"delivered"`
	Lost       int64 `json:"lost"`
	Duplicated int64 `json:"duplicated"`
	Reordered  int64 `json:"reordered"`
}

// ErrorCount is the number of failed sessions for one phase × class × code
// × detail. Detail keeps the server's words where the class does not:
// the reason of an OUT ("OUT OTH: the account signed in elsewhere"), the
// rule a reply broke ("no common dialect (server answered 0)"). A code's
// meaning is not stored: msnp.CodeText gives it.
type ErrorCount struct {
	Phase  string `json:"phase"`
	Class  string `json:"class"`
	Code   int    `json:"code,omitempty"`
	Detail string `json:"detail,omitempty"`
	Count  int64  `json:"count"`
}

// Meaning is what the failure was, in words: the detail, or the meaning of
// the server's error code (MSNP.md §7), or "".
func (e *ErrorCount) Meaning() string {
	if e.Detail != "" {
		return e.Detail
	}
	if e.Code != 0 {
		return msnp.CodeText(e.Code)
	}
	return ""
}

// PhaseResult is one phase's latency distribution: the whole run's
// histogram and one histogram per interval, in HdrHistogram's compressed
// encoding (base64), values in microseconds.
type PhaseResult struct {
	Name      string     `json:"name"`
	Summary   Summary    `json:"summary"`
	Hist      string     `json:"hist"`
	Intervals []Interval `json:"intervals,omitempty"`
}

// Summary is derived from Hist, stored for readers that do not decode it.
// Values in microseconds.
type Summary struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean"`
	Min   int64   `json:"min"`
	P50   int64   `json:"p50"`
	P90   int64   `json:"p90"`
	P99   int64   `json:"p99"`
	P999  int64   `json:"p99_9"`
	Max   int64   `json:"max"`
}

// Interval is one interval's histogram of a phase. Start is seconds since
// Run.Start.
type Interval struct {
	Start float64 `json:"start"`
	Hist  string  `json:"hist"`
}

// Point is one interval of the run's time series. T is seconds since
// Run.Start at the interval's beginning.
type Point struct {
	T        float64 `json:"t"`
	Started  int64   `json:"started"`
	OK       int64   `json:"ok"`
	Failed   int64   `json:"failed"`
	Cut      int64   `json:"cut,omitempty"` // sessions cut by the end of the run
	Inflight int64   `json:"inflight"`
	// Held is how many sessions were logged in and being held (--hold)
	// when the interval was closed: held sessions have finished their
	// login, so Inflight does not count them.
	Held    int64 `json:"held,omitempty"`
	Dropped int64 `json:"dropped,omitempty"`
	// FailedByClass splits Failed by error class ("timeout", "auth-fail",
	// ...). Runs written before it existed have none.
	FailedByClass map[string]int64 `json:"failed_by_class,omitempty"`
}

// Health is how the load generator itself fared, with the evidence for a
// verdict on whether the result is the server's alone. There are two
// verdicts, each stated with its figures in Warnings:
//
//   - Saturated: msnbench itself was the bottleneck (its CPU near the cores
//     it may use, dropped starts, or sessions started late and replies
//     left waiting while it had no competition for the CPUs).
//   - MachineBusy: other processes (or the hypervisor) kept msnbench from
//     running when it had work: its threads waited on run queues, and that
//     showed as sessions started late or replies left waiting.
//
// Limited is either: the result may be limited by the generator's side,
// not the server. Comparisons treat such a run as inconclusive.
type Health struct {
	CPUUserSec float64 `json:"cpu_user_s"`
	CPUSysSec  float64 `json:"cpu_sys_s"`
	// CPUUtil is CPU seconds / (wall seconds × Cores).
	CPUUtil float64 `json:"cpu_util"`
	// Cores is the number of CPUs the generator could use:
	// min(GOMAXPROCS, CPUs in its affinity mask). 0 in runs before it was
	// recorded, where CPUUtil is over GOMAXPROCS.
	Cores         int      `json:"cores,omitempty"`
	NumGC         uint32   `json:"num_gc"`
	GCPauseTotal  Duration `json:"gc_pause_total"`
	GCPauseMax    Duration `json:"gc_pause_max"`
	SchedLagP50Us int64    `json:"sched_lag_p50_us,omitempty"`
	SchedLagP99Us int64    `json:"sched_lag_p99_us"`
	SchedLagMaxUs int64    `json:"sched_lag_max_us"`
	// ReadLagMeanUs is the mean read.lag per session (replies waiting in
	// the kernel for msnbench to read them) and ReadLagShare that mean over
	// the mean session time, the span read.lag covers (login in runs
	// without a session phase).
	ReadLagMeanUs int64   `json:"read_lag_mean_us,omitempty"`
	ReadLagShare  float64 `json:"read_lag_share,omitempty"`
	// RunQueueKnown says RunQueueSec, MachineCPU and Steal were measured
	// (Linux: /proc/self/task/*/schedstat and /proc/stat).
	RunQueueKnown bool `json:"runq_known,omitempty"`
	// RunQueueSec is the time msnbench's threads were ready to run but
	// waited for a CPU, summed over its threads.
	RunQueueSec float64 `json:"runq_wait_s,omitempty"`
	// MachineCPU is the share of all the machine's CPU time that was busy
	// during the run, OtherCPU the part of it other processes used (not
	// msnbench, not the hypervisor), Steal the hypervisor's.
	MachineCPU   float64  `json:"machine_cpu,omitempty"`
	OtherCPU     float64  `json:"other_cpu,omitempty"`
	Steal        float64  `json:"steal,omitempty"`
	Dropped      int64    `json:"dropped"`
	PeakInflight int64    `json:"peak_inflight"`
	Saturated    bool     `json:"saturated"`
	MachineBusy  bool     `json:"machine_busy,omitempty"`
	Limited      bool     `json:"limited"`
	Warnings     []string `json:"warnings,omitempty"`

	// BackoffTotal is how long workers waited, summed over workers, before
	// their next session after a connection error (exponential, capped),
	// in Backoffs waits.
	BackoffTotal Duration `json:"backoff_total,omitempty"`
	Backoffs     int64    `json:"backoffs,omitempty"`
}

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string ("1.5s").
type Duration time.Duration

// Delivery counts what was expected to arrive at sessions of the run for
// one phase (presence: a contact's status change), measured after the
// warm-up. Expected counts notifications whose receiver was held until
// their time was up or that arrived; Lost those of them that did not
// arrive within the timeout; Duplicate the ones that arrived twice (not
// in Expected again).
type Delivery struct {
	Phase     string `json:"phase"`
	Expected  int64  `json:"expected"`
	Lost      int64  `json:"lost"`
	Duplicate int64  `json:"duplicate,omitempty"`
}

// LostShare is Lost as a share of Expected (0 when nothing was expected).
func (d *Delivery) LostShare() float64 { return ratio(d.Lost, d.Expected) }

// Delivery returns the delivery counts of phase, or nil.
func (r *Run) Delivery(phase string) *Delivery {
	for i := range r.Deliveries {
		if r.Deliveries[i].Phase == phase {
			return &r.Deliveries[i]
		}
	}
	return nil
}
