// Package loadgen is msnbench's load engine: it schedules sessions (closed,
// open or staged load), runs each one as a full MSNP2–7 login over the wire,
// times every phase into a fixed-size report.Sample, and returns a
// report.Run (DESIGN.md §2, §3).
//
// A failed login is a result, never a reason to stop: every session ends in
// exactly one Recorder.Record call, successful or not. Setup problems
// (bad configuration, too few file descriptors or local ports, unusable
// source addresses) are returned by New before anything is sent.
package loadgen

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/msnbench/msnbench/internal/rxstamp"
	"github.com/msnbench/msnbench/msnp"
)

// Arrival is the distribution of start times in the open model.
type Arrival uint8

// Arrival processes.
const (
	Uniform Arrival = iota // evenly spaced starts
	Poisson                // exponentially distributed gaps with the same mean
)

// String returns the arrival's flag name.
func (a Arrival) String() string {
	if a == Poisson {
		return "poisson"
	}
	return "uniform"
}

// ParseArrival parses "uniform" or "poisson".
func ParseArrival(s string) (Arrival, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "uniform":
		return Uniform, nil
	case "poisson":
		return Poisson, nil
	}
	return 0, fmt.Errorf("unknown arrival %q (want uniform or poisson)", s)
}

// Account is one login identity. Password may be nil, meaning the
// Config's shared Password.
type Account struct {
	Handle   string
	Password string
}

// Config is everything a run needs. The zero value is not valid: set Target
// and one load model (Concurrency, Rate or Stages) and call Validate (New
// does). The CLI maps its flags to these fields one to one.
type Config struct {
	// Target is the first server's host:port (a dispatch server, or a
	// notification server when there is no dispatch tier); a host without
	// a port means port 1863, as in an XFR referral (Validate adds it).
	Target string
	// TargetRole says what the first server is, which names its phases:
	// RoleDS (a dispatch server: ds.*), RoleNS (a notification server
	// without a dispatch tier: ns.*), or RoleAuto (the default): the role
	// the probe login (Engine.Probe) saw, from the first server's answer
	// to USR I (a referral or a challenge), fixed for the whole run; with
	// no probe, or a probe that ended before that answer, each session's
	// first server is a dispatch server unless it answers that session's
	// USR I with a challenge (so a 911 to USR I is always ds.usr).
	TargetRole string
	// TargetLabel is what reports show as the target ("embedded" for the
	// in-process server); Target when empty.
	TargetLabel string

	// Closed model: Concurrency sessions in flight, each worker starting its
	// next login when the last one ends.
	Concurrency int
	// Open model: Rate session starts per second, independent of how fast
	// the server answers, with Arrival spacing and at most MaxInflight
	// sessions in flight (default 10000, or the number of accounts if less;
	// New lowers the default further to what the open-file limit and the
	// local ports leave room for, and says so in the report, but refuses an
	// explicit MaxInflight that does not fit).
	Rate        float64
	Arrival     Arrival
	MaxInflight int
	// MaxLag is how late a start may become while it waits for one of the
	// MaxInflight sessions to end before it is dropped (default Timeout).
	MaxLag time.Duration
	// Seed makes Poisson arrivals reproducible; 0 picks one from the clock.
	Seed uint64
	// Stages is a ramp profile of concurrency (closed, the default) or of
	// rate (when StagesRate is set), e.g. "30s:0->500,2m:500,30s:500->0".
	Stages     []Stage
	StagesRate bool

	// Stop conditions, measured after Warmup: Logins sessions started,
	// Duration elapsed, or the end of Stages; whichever comes first.
	Logins   int64
	Duration time.Duration
	// Warmup is run first; its sessions are counted apart and kept out of
	// the histograms.
	Warmup time.Duration

	// Steps after login; nil for login + OUT only.
	Steps []Step
	// Status is the CHG status (default NLN).
	Status string
	// Hold keeps each session open after its steps, sending PNG every Ping
	// and answering CHL, before OUT. Ping 0 sends no PNG at all (some
	// servers close the connection on PNG); the CLI's default is
	// DefaultPing.
	Hold time.Duration
	Ping time.Duration
	// StatusEvery, with Hold, makes each held session change its status
	// every StatusEvery (jittered: uniform in [½, 1½) of it), cycling
	// NLN → BSY → AWY → BRB → PHN → LUN → IDL → NLN, and times the
	// presence phase at its contacts held by this run (presence.go). It
	// needs the chg step; without the syn step no contact lists are known,
	// so nothing is expected or timed.
	StatusEvery time.Duration
	// ChatEvery makes each held user send a message every ChatEvery
	// (jittered ±10%) to another user held by this process, chosen from
	// Seed, over a switchboard it opens with the first message and reuses
	// (MSNP.md §4.9); 0: no chat. Needs Hold.
	ChatEvery time.Duration
	// Dialects is the VER list in order of preference, e.g.
	// "MSNP7 MSNP6 MSNP5 MSNP4 CVR0" (commas or spaces).
	Dialects string
	// QRYClientID is the client ID sent in QRY; its key must be known
	// (msnp.QRYKeys). Default msnp.DefaultQRYClientID.
	QRYClientID string

	// Accounts: either a generated table (UserPattern with one %d verb,
	// Accounts entries numbered from AccountStart) or an explicit list
	// (Users). Password is the shared password for generated accounts and
	// for Users entries without one. Never printed or reported.
	UserPattern  string
	Accounts     int
	AccountStart int
	Users        []Account
	UsersFile    string // only for the report
	Password     string
	// AllowSharedAccounts lets two sessions use one account at once (the
	// server will normally kick the older one with OUT OTH).
	AllowSharedAccounts bool

	// Source is a list of local addresses to dial from, round robin:
	// "127.0.0.2-127.0.0.40" or "10.0.0.1,10.0.0.2".
	Source string
	// Timeout bounds every phase (and the connect); default 10s.
	Timeout time.Duration
	// Grace is how long sessions in flight may still take after the context
	// is canceled before their connections are closed; 0 means Timeout.
	// Negative means close them at once.
	Grace time.Duration
	// Interval is the length of one series interval (default 1s).
	Interval time.Duration

	// Shard splits accounts and load among ShardCount generators
	// (DESIGN.md §7); ShardCount 0 or 1 means unsharded.
	ShardIndex int
	ShardCount int
	ShardGroup string
	// StartAt delays the start of the run until that wall-clock time.
	StartAt time.Time

	// Label and Tool go into the report; Tool defaults to "msnbench".
	Label string
	Tool  string
	// SharedProcess notes that the target runs in this process (the
	// embedded server), so CPU figures include the server's.
	SharedProcess bool

	// IO is how sessions do their network I/O: IOLoop (the default where
	// it exists, Linux) runs them as coroutines on one epoll event loop per
	// core; IONet gives each session a goroutine and Go's net package.
	IO string
	// Loops is the number of event loops with IOLoop (default: GOMAXPROCS
	// minus one, at least one, and no more than sessions in flight).
	Loops int
	// Spin is how long an idle event loop polls before it sleeps (IOLoop
	// only): a reply that comes within it is seen without a wake-up's
	// delay, which makes latencies at light load closer to the server's
	// own, for the CPU the polling costs.
	Spin time.Duration
	// Timestamps says when a reply counts as received: TimestampsKernel
	// (the default) when the kernel received it, from its receive
	// timestamp (SO_TIMESTAMPNS), so the generator's own wake-up and
	// parsing are not counted as the server's latency; TimestampsUser when
	// the generator had read and parsed it. Kernel stamps need Linux; where
	// they are missing a reply is timed as with TimestampsUser.
	Timestamps string

	// inflightDefault records that Validate chose MaxInflight, so New may
	// lower it to fit the machine.
	inflightDefault bool
	// stampsDowngraded records that TimestampsKernel was asked for where
	// there are no kernel stamps, and Validate chose TimestampsUser.
	stampsDowngraded bool
}

// stampsSupported is rxstamp.Supported; tests change it to play a platform
// without kernel receive timestamps.
var stampsSupported = rxstamp.Supported

// Defaults used when the Config leaves a field zero.
const (
	DefaultTimeout = 10 * time.Second
	// DefaultPing is the CLI's PNG interval while holding (Gaim's, MSNP.md
	// §4.6). A Config's zero Ping means no PNG.
	DefaultPing        = 60 * time.Second
	DefaultMaxInflight = 10000
	DefaultDialects    = "MSNP7 MSNP6 MSNP5 MSNP4 MSNP3 MSNP2 CVR0"
	DefaultStatus      = "NLN"
	DefaultInterval    = time.Second
	// MaxReferrals caps the XFR NS chain (MSNP.md §2.5).
	MaxReferrals = 3
)

// Roles of the first server (Config.TargetRole).
const (
	RoleAuto = "auto"
	RoleDS   = "ds"
	RoleNS   = "ns"
)

// Network I/O engines (Config.IO).
const (
	IOLoop = "loop"
	IONet  = "net"
)

// When a reply counts as received (Config.Timestamps).
const (
	TimestampsKernel = "kernel"
	TimestampsUser   = "user"
)

// Model returns "closed", "open" or "stages".
func (c *Config) Model() string {
	switch {
	case len(c.Stages) > 0:
		return "stages"
	case c.Rate > 0:
		return "open"
	}
	return "closed"
}

// open reports whether sessions are started by a clock (open model, or
// rate stages) rather than by workers finishing.
func (c *Config) open() bool { return c.Rate > 0 || (len(c.Stages) > 0 && c.StagesRate) }

// end is when the run's time is up, counted from its start: the end of
// the Stages or Warmup+Duration, whichever comes first; 0 when neither is
// set (the run then ends by Logins or by cancellation). It is the one
// place that says so: the stop timer, the open model's pacer and Live's
// estimate all use it.
func (c *Config) end() time.Duration {
	end := time.Duration(0)
	if len(c.Stages) > 0 {
		end = stagesDuration(c.Stages)
	}
	if c.Duration > 0 && (end == 0 || c.Warmup+c.Duration < end) {
		end = c.Warmup + c.Duration
	}
	return end
}

// Validate fills defaults and checks the configuration. It does not touch
// the system; New does the preflight checks that do.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.Target == "" {
		bad("no target address")
	} else {
		// "host" means host:1863, as in an XFR referral.
		c.Target = string(appendDefaultPort(nil, []byte(c.Target)))
		if _, port, err := net.SplitHostPort(c.Target); err != nil || port == "" {
			bad("target %q: want host:port, or a host alone for port %d ([::1]:1863 for an IPv6 address)",
				c.Target, DefaultPort)
		}
	}
	if err := checkSteps(c.Steps); err != nil {
		errs = append(errs, err)
	}
	models := 0
	if c.Concurrency > 0 {
		models++
	}
	if c.Rate > 0 {
		models++
	}
	if len(c.Stages) > 0 {
		models++
	}
	switch {
	case c.Concurrency < 0 || c.Rate < 0:
		bad("concurrency and rate must not be negative")
	case models == 0:
		bad("no load model: set a concurrency, a rate or stages")
	case models > 1:
		bad("choose one load model: concurrency, rate or stages")
	}
	if c.StatusEvery != 0 {
		switch {
		case c.StatusEvery < 0:
			bad("--status-every must not be negative")
		case c.Hold <= 0:
			bad("--status-every changes the status of held sessions: it needs --hold")
		case !anyStep(c.Steps, goesOnline):
			bad("--status-every needs the %s step (a session changes its status once it is online)",
				stepsWith(goesOnline))
		case c.AllowSharedAccounts:
			bad("--status-every needs each account held by one session at a time (not --allow-shared-accounts)")
		}
	}
	if c.Logins < 0 || c.Duration < 0 || c.Warmup < 0 || c.Hold < 0 || c.Ping < 0 || c.Timeout < 0 ||
		c.ChatEvery < 0 {
		bad("counts and durations must not be negative")
	}
	if c.ChatEvery > 0 {
		switch {
		case c.Hold <= 0:
			bad("--chat-every makes held users chat: it needs --hold")
		case !anyStep(c.Steps, goesOnline):
			bad("--chat-every needs the %s step (a user must be online to be called)", stepsWith(goesOnline))
		case c.AllowSharedAccounts:
			bad("--chat-every needs each account held by one session at a time (not --allow-shared-accounts)")
		}
	}
	if len(c.Stages) == 0 && c.Logins == 0 && c.Duration == 0 {
		bad("no stop condition: set a number of logins, a duration or stages")
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxLag <= 0 {
		c.MaxLag = c.Timeout
	}
	if c.Grace == 0 {
		c.Grace = c.Timeout
	}
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	if c.Status == "" {
		c.Status = DefaultStatus
	}
	switch c.TargetRole {
	case "":
		c.TargetRole = RoleAuto
	case RoleAuto, RoleDS, RoleNS:
	default:
		bad("unknown target role %q (want auto, ds or ns)", c.TargetRole)
	}
	switch c.IO {
	case "":
		c.IO = IONet
		if loopsSupported {
			c.IO = IOLoop
		}
	case IONet:
	case IOLoop:
		if !loopsSupported {
			bad("--io loop needs Linux (epoll); use --io net")
		}
	default:
		bad("unknown I/O engine %q (want loop or net)", c.IO)
	}
	if c.Loops < 0 || c.Loops > 1024 {
		bad("--loops %d: want 1 to 1024", c.Loops)
	}
	if c.Spin < 0 || c.Spin > time.Second {
		bad("--spin %v: want 0 to 1s", c.Spin)
	}
	if c.IO == IONet && (c.Loops != 0 || c.Spin != 0) {
		bad("--loops and --spin are for --io loop")
	}
	switch c.Timestamps {
	case "":
		c.Timestamps = TimestampsUser
		if stampsSupported {
			c.Timestamps = TimestampsKernel
		}
	case TimestampsUser:
	case TimestampsKernel:
		if !stampsSupported {
			// Asked for by name where there are none: run, and say so
			// (Engine.Notes) rather than refuse a run that works.
			c.Timestamps = TimestampsUser
			c.stampsDowngraded = true
		}
	default:
		bad("unknown --timestamps %q (want kernel or user)", c.Timestamps)
	}
	if !validStatus(c.Status) {
		bad("status %q is not an MSNP2-7 status (NLN BSY IDL BRB AWY PHN LUN HDN)", c.Status)
	}
	if c.Dialects == "" {
		c.Dialects = DefaultDialects
	}
	if _, _, err := msnp.ParseDialectList(c.Dialects); err != nil {
		errs = append(errs, err)
	}
	if c.QRYClientID == "" {
		c.QRYClientID = msnp.DefaultQRYClientID
	}
	if _, ok := msnp.QRYKeys[c.QRYClientID]; !ok {
		bad("QRY client ID %q has no known key", c.QRYClientID)
	}
	if c.Tool == "" {
		c.Tool = "msnbench"
	}
	if c.ShardCount < 0 || (c.ShardCount > 1 && (c.ShardIndex < 0 || c.ShardIndex >= c.ShardCount)) {
		bad("shard %d/%d out of range", c.ShardIndex, c.ShardCount)
	}
	for i, st := range c.Stages {
		if st.Duration <= 0 || st.From < 0 || st.To < 0 {
			bad("stage %d: duration must be positive and levels not negative", i+1)
		}
	}
	switch {
	case len(c.Users) > 0 && c.UserPattern != "":
		bad("give either a users file or a user pattern, not both")
	case len(c.Users) == 0 && c.UserPattern == "":
		bad("no accounts: give a user pattern or a users file")
	case len(c.Users) == 0:
		if err := checkPattern(c.UserPattern); err != nil {
			errs = append(errs, err)
		}
		if c.Accounts <= 0 {
			bad("the number of accounts must be positive")
		}
	}
	if c.MaxInflight < 0 {
		bad("max in-flight must not be negative")
	}
	if c.open() && c.MaxInflight == 0 {
		c.inflightDefault = true
		c.MaxInflight = DefaultMaxInflight
		if n := c.accountCount(); n > 0 && n < c.MaxInflight && !c.AllowSharedAccounts {
			c.MaxInflight = n
		}
	}
	if c.Source != "" {
		if _, err := ParseSource(c.Source); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (c *Config) accountCount() int {
	if len(c.Users) > 0 {
		return len(c.Users)
	}
	return c.Accounts
}

// PeakInflight is the most sessions the configuration can have in flight at
// once (held sessions included), for the whole run before sharding.
func (c *Config) PeakInflight() int {
	if c.open() {
		return c.MaxInflight
	}
	if len(c.Stages) > 0 {
		return int(maxLevel(c.Stages) + 0.5)
	}
	return c.Concurrency
}

func validStatus(s string) bool {
	switch s {
	case "NLN", "BSY", "IDL", "BRB", "AWY", "PHN", "LUN", "HDN":
		return true
	}
	return false
}

func checkPattern(p string) error {
	verbs := 0
	for i := 0; i < len(p); i++ {
		if p[i] != '%' {
			continue
		}
		if i+1 < len(p) && p[i+1] == '%' {
			i++
			continue
		}
		j := i + 1
		for j < len(p) && (p[j] >= '0' && p[j] <= '9' || p[j] == '-') {
			j++
		}
		if j >= len(p) || p[j] != 'd' {
			return fmt.Errorf("user pattern %q: only %%d (with optional width) is allowed", p)
		}
		verbs++
		i = j
	}
	if verbs != 1 {
		return fmt.Errorf("user pattern %q must contain exactly one %%d", p)
	}
	return nil
}
