package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/msnbench/msnbench/loadgen"
	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/server"
)

const runExamples = `
Examples:
  # 10 s of full logins by 50 concurrent clients against the built-in server
  msnbench run

  # a real server: 200 concurrent clients for 2 minutes, report as JSON and HTML
  MSNBENCH_PASSWORD=secret msnbench run --target msn.example.net:1863 -c 200 -d 2m \
      --accounts 5000 --user-pattern 'load%d@example.net' -o run.json --html run.html

  # open model: 500 logins/s (Poisson), no matter how fast the server answers
  msnbench run --target 10.0.0.5:1863 --accounts 5000 --rate 500 --arrival poisson -d 1m --warmup 10s

  # ramp the concurrency up, hold it, ramp down; fail (exit 1) if the SLO is missed
  msnbench run --stages '30s:0->500,2m:500,30s:500->0' --slo 'login:p99<200ms,errors<0.1%'

  # in CI and on a dashboard: JUnit per threshold, a JSON line per second, Prometheus metrics
  msnbench run -d 1m --slo 'login:p99<200ms' --junit slo.xml --jsonl live.jsonl --metrics 127.0.0.1:9464

  # 5,000 users that stay online for 10 minutes, pinging every 60 s
  msnbench run -c 5000 --hold 10m --ping 60s

  # 200 users online for 15 s, each changing status every 3 s: presence fan-out to their contacts
  msnbench run -c 200 --hold 15s --ping 5s --status-every 3s --slo 'presence:p99<50ms,presence:lost<1'

  # 200 users online for 15 s, each chatting with a contact every second
  msnbench run -c 200 --hold 15s --ping 5s --chat-every 1s --slo 'msg.deliver:p99<50ms'

  # login + OUT only, MSNP5 only, from 39 local addresses
  msnbench run --target 127.0.0.1:1863 --steps none --dialects MSNP5,CVR0 --source 127.0.0.2-127.0.0.40

  # one part of a 4-generator run (Kubernetes Indexed Job sets JOB_COMPLETION_INDEX)
  msnbench run --target ns:1863 --rate 2000 -d 5m --shard /4 --start-at 2026-01-02T15:04:05Z -o part.json

Without --target, the reference server runs inside this process on loopback
(dispatch and notification tiers, enough accounts), so client and server share
the CPUs.

Before the load, one probe login (first account, the configured steps, then
OUT; never held) checks the target: when it fails in a way every session
would (nothing listens, no answer, wrong password, no common dialect, a
reply msnbench cannot follow), msnbench says so on one line and exits 2
without starting the load. --no-probe skips it. In the closed model a worker
whose session could not reach the server waits before its next one (10ms,
doubling up to 1s; the report shows the total); the open model keeps its rate.

`

// runFlags are the run command's flags, before they become a Config.
type runFlags struct {
	cfg          loadgen.Config
	stages       string
	stagesRate   bool
	arrival      string
	steps        string
	usersFile    string
	password     string
	passwordFile string
	shard        string
	startAt      string
	out          string
	html, hlog   string
	hgrm, csv    string
	slo          string
	junit        string
	jsonl        string
	metrics      string
	quiet        bool
	noProbe      bool
	every        time.Duration
	cpuProfile   string
	memProfile   string

	serverDelay    time.Duration
	serverCHL      bool
	serverContacts int
}

func init() {
	register("run", "run a load test (no --target: against the built-in server)", runRun)
}

func newRunFlags(fs *flag.FlagSet) *runFlags {
	f := &runFlags{}
	c := &f.cfg
	fs.StringVar(&c.Target, "target", "", "first server `host:port` (dispatch or notification); none: built-in server")
	fs.StringVar(&c.TargetRole, "target-role", loadgen.RoleAuto, "what the first server is, which names its phases: ds (dispatch: ds.*), ns (notification server without a dispatch tier: ns.*), or auto (what the probe login saw, for the whole run; with no probe, per session: ds.* unless it answers USR I with a challenge)")
	fs.IntVar(&c.Concurrency, "c", 0, "closed model: sessions in flight (default 50 when no --rate or --stages)")
	fs.Float64Var(&c.Rate, "rate", 0, "open model: session starts per second")
	fs.StringVar(&f.arrival, "arrival", "uniform", "open model arrivals: uniform or poisson")
	fs.IntVar(&c.MaxInflight, "max-inflight", 0, "open model: most sessions in flight; a start finding them all busy waits up to --max-lag, then is dropped and counted (default 10000, at most --accounts, lowered to what the open-file limit and local ports allow)")
	fs.DurationVar(&c.MaxLag, "max-lag", 0, "open model: how late a start may get waiting for a free session before it is dropped (default --timeout)")
	fs.Uint64Var(&c.Seed, "seed", 0, "seed for Poisson arrivals and --chat-every partners (0: from the clock)")
	fs.StringVar(&f.stages, "stages", "", "ramp `profile` of concurrency, e.g. '30s:0->500,2m:500,30s:500->0'")
	fs.BoolVar(&f.stagesRate, "stages-rate", false, "--stages levels are rates (open model), not concurrency")
	fs.Int64Var(&c.Logins, "n", 0, "stop after this many logins (after warm-up; default with --hold and -c: one per worker)")
	fs.DurationVar(&c.Duration, "d", 0, "stop after this long (after warm-up; default 10s when no -n or --stages); ends holds too")
	fs.DurationVar(&c.Warmup, "warmup", 0, "run this long first without recording")
	fs.StringVar(&f.steps, "steps", "syn,chg", "steps after login, comma-separated, in order: "+loadgen.StepWords()+" (both is syn,chg)")
	fs.StringVar(&c.Status, "status", loadgen.DefaultStatus, "status for CHG")
	fs.DurationVar(&c.Hold, "hold", 0, "keep each session logged in this long (PNG, CHL/QRY), then OUT")
	fs.DurationVar(&c.Ping, "ping", loadgen.DefaultPing, "PNG interval while holding; 0: no PNG at all (some servers close on PNG)")
	fs.DurationVar(&c.StatusEvery, "status-every", 0, "with --hold: each held session changes its status this often (jittered), NLN→BSY→AWY→…→NLN; its contacts held by this run time the presence phase and count lost notifications (needs the syn and chg steps; the built-in server then has 10 contacts per account unless --server-contacts says otherwise)")
	fs.DurationVar(&c.ChatEvery, "chat-every", 0, "with --hold: each held user sends a message this often (jittered) to an online contact held by this run, over a switchboard it opens with the first one (sb.* phases) and reuses; msg.ack and msg.deliver time each message, lost/duplicated/reordered ones are counted (needs the chg step; the built-in server then runs its switchboard and has 10 contacts per account unless --server-contacts says otherwise)")
	fs.StringVar(&c.Dialects, "dialects", loadgen.DefaultDialects, "VER list in order of preference")
	fs.StringVar(&c.UserPattern, "user-pattern", server.DefaultUserPattern, "generated account names (one %d)")
	fs.IntVar(&c.Accounts, "accounts", 0, "number of generated accounts (default: as many as sessions in flight; msnbench serve has "+strconv.Itoa(server.DefaultAccounts)+" by default)")
	fs.IntVar(&c.AccountStart, "account-start", 0, "number of the first generated account")
	fs.StringVar(&f.usersFile, "users", "", "`file` of email,password lines (instead of --user-pattern)")
	fs.StringVar(&f.password, "password", "", "password of generated accounts (prefer --password-file or $MSNBENCH_PASSWORD)")
	fs.StringVar(&f.passwordFile, "password-file", "", "`file` whose first line is the password")
	fs.BoolVar(&c.AllowSharedAccounts, "allow-shared-accounts", false, "let two sessions use one account at once")
	fs.StringVar(&c.Source, "source", "", "local `addresses` to dial from, e.g. 127.0.0.2-127.0.0.40 or 10.0.0.1,10.0.0.2")
	fs.DurationVar(&c.Timeout, "timeout", loadgen.DefaultTimeout, "timeout of the connect and of every phase; also how long the server has to close the connection after OUT")
	fs.DurationVar(&c.Interval, "interval", loadgen.DefaultInterval, "length of one interval of the time series")
	fs.IntVar(&c.Loops, "loops", 0, "--io loop: number of event loops (default: one per core but one, at least 1)")
	fs.DurationVar(&c.Spin, "spin", 0, "--io loop: poll this long before sleeping when idle (lower latency at light load, for CPU; needs a spare core)")
	fs.StringVar(&c.Timestamps, "timestamps", "", "when a reply counts as received: kernel (its receive timestamp, so the generator's own wake-up is not counted; the default on Linux) or user (when msnbench has parsed it)")
	fs.StringVar(&c.IO, "io", "", "network I/O: loop (epoll event loops running sessions as coroutines; the default on Linux) or net (a goroutine per session, Go's net package)")
	fs.StringVar(&f.shard, "shard", "", "`i/N`: this generator's part of a sharded run (i defaults to $JOB_COMPLETION_INDEX)")
	fs.StringVar(&c.ShardGroup, "shard-group", "", "common name of the parts of a sharded run")
	fs.StringVar(&f.startAt, "start-at", "", "wait until this RFC 3339 `time` before starting")
	fs.StringVar(&c.Label, "label", "", "label for the report")
	fs.StringVar(&f.out, "o", "", "write the JSON report to `file` (- for standard output; the text summary then goes to standard error)")
	fs.StringVar(&f.html, "html", "", "write the HTML report to `file`")
	fs.StringVar(&f.hlog, "hlog", "", "write the HdrHistogram interval log to `file`")
	fs.StringVar(&f.hgrm, "hgrm", "", "write HdrHistogram percentile output to `file`")
	fs.StringVar(&f.csv, "csv", "", "write the per-interval series as CSV to `file`")
	fs.StringVar(&f.slo, "slo", "", "thresholds, e.g. 'login:p99<200ms,errors<0.1%' (exit 1 if missed)")
	fs.StringVar(&f.jsonl, "jsonl", "", "while the run goes, write one JSON line per interval (counts, failures by class, phase percentiles) to `file` (- for standard output)")
	fs.StringVar(&f.metrics, "metrics", "", "serve Prometheus metrics at http://`addr`/metrics while the run goes, e.g. 127.0.0.1:9464")
	fs.StringVar(&f.junit, "junit", "", "write the --slo results as JUnit XML to `file`, one test case per threshold")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress output")
	fs.BoolVar(&f.noProbe, "no-probe", false, "do not check the target with one login before the load (for a server expected to fail at first)")
	fs.DurationVar(&f.every, "progress", 0, "progress interval (default: 250ms on a terminal, 2s otherwise)")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the run (go tool pprof) to `file`")
	fs.StringVar(&f.memProfile, "memprofile", "", "write an allocation profile taken at the end of the run to `file`")
	fs.DurationVar(&f.serverDelay, "server-delay", 0, "built-in server only: delay before every reply")
	fs.BoolVar(&f.serverCHL, "server-chl", false, "built-in server only: send CHL after CHG (MSNP6+)")
	fs.IntVar(&f.serverContacts, "server-contacts", 0, "built-in server only: contacts per account (default 10 with --status-every or --chat-every)")
	return f
}

func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: msnbench run [flags] [target]\n\nFlags:")
		printDefaults(fs)
		io.WriteString(fs.Output(), runExamples+runExitCodes+"\n")
	}
	f := newRunFlags(fs)
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	setupErr := func(err error) int {
		fmt.Fprintf(stderr, "msnbench run: %v\n", err)
		return exitUsage
	}
	switch fs.NArg() {
	case 0:
	case 1:
		if f.cfg.Target != "" {
			return setupErr(errors.New("target given twice (--target and an argument)"))
		}
		f.cfg.Target = fs.Arg(0)
	default:
		return setupErr(fmt.Errorf("unexpected arguments %q", fs.Args()[1:]))
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if err := f.resolve(set); err != nil {
		return setupErr(err)
	}
	var slo report.SLO
	if f.slo != "" {
		var err error
		if slo, err = report.ParseSLO(f.slo); err != nil {
			return setupErr(err)
		}
	}
	// Open every output now: a bad path is a start-up error, not a lost run.
	outs, err := openOutputs(f, stdout)
	if err != nil {
		return setupErr(err)
	}
	defer outs.abort()
	jsonl, err := openJSONL(f.jsonl, outs, stdout)
	if err != nil {
		return setupErr(err)
	}
	defer func() {
		if err := jsonl.close(); err != nil {
			fmt.Fprintf(stderr, "msnbench run: --jsonl: %v\n", err)
		}
	}()

	cfg := f.cfg
	if cfg.Target == "" {
		srv, err := startEmbedded(f, &cfg)
		if err != nil {
			return setupErr(err)
		}
		defer srv.Close()
		if !f.quiet {
			fmt.Fprintf(stderr, "built-in server: dispatch %s, notification %s, %d accounts\n",
				srv.DSAddr(), srv.NSAddr(), srv.Accounts())
		}
	}
	eng, err := loadgen.New(cfg)
	if err != nil {
		return setupErr(err)
	}
	ms, msSink, err := startMetrics(f.metrics, eng, stderr)
	if err != nil {
		return setupErr(err)
	}
	defer ms.close()
	onIntervals(eng, jsonl.sink(stderr), msSink)
	if !f.noProbe {
		if code, ok := probe(ctx, eng, "msnbench run", stderr); !ok {
			return code
		}
	}
	if !f.quiet {
		fmt.Fprintf(stderr, "%s\n", describe(eng.Config(), eng.TargetRole()))
	}
	for _, note := range eng.Notes() {
		// Also in the report's warnings; on stderr even with --quiet,
		// because the run is not the one asked for.
		fmt.Fprintf(stderr, "note: %s\n", note)
	}
	var prog *progress
	if !f.quiet {
		prog = startProgress(stderr, eng, f.every)
	}
	stopProfile, err := startProfiles(f.cpuProfile, f.memProfile, stdout)
	if err != nil {
		return setupErr(err)
	}
	run, err := eng.Run(ctx)
	if perr := stopProfile(); perr != nil {
		fmt.Fprintf(stderr, "msnbench run: %v\n", perr)
	}
	if prog != nil {
		prog.stop()
	}
	if err != nil {
		if ctx.Err() != nil { // interrupted while waiting for --start-at
			fmt.Fprintf(stderr, "msnbench run: %v\n", err)
			return exitInterrupted
		}
		return setupErr(err)
	}
	if run.Interrupted {
		fmt.Fprintln(stderr, "interrupted: the reports cover the run up to now")
	}
	code := exitOK
	textOut := stdout
	if outs.toStdout() || jsonl.toStdout() {
		textOut = stderr // -o - or --jsonl -: standard output carries the report file alone
	}
	if err := report.WriteText(textOut, run); err != nil {
		fmt.Fprintf(stderr, "msnbench run: writing the text report: %v\n", err)
		code = exitUsage
	}
	if err := outs.write(run); err != nil {
		fmt.Fprintf(stderr, "msnbench run: %v\n", err)
		code = exitUsage
	}
	if slo != nil {
		res := slo.Check(run)
		fmt.Fprintln(textOut)
		if _, err := res.WriteTo(textOut); err != nil {
			return exitUsage
		}
		if !res.Passed() && code == exitOK {
			code = exitFail
		}
	}
	if noneSucceeded(run, "msnbench run", stderr) && code == exitOK {
		code = exitFail
	}
	if run.Interrupted {
		code = exitInterrupted
	}
	return code
}

// resolve turns the flags into a complete Config: defaults for a bare
// run, the password from its sources, stages, steps, shard, start time.
func (f *runFlags) resolve(set map[string]bool) error {
	c := &f.cfg
	c.Tool = "msnbench " + version
	if err := refuseZeros(c, set); err != nil {
		return err
	}
	var err error
	if c.Stages, err = loadgen.ParseStages(f.stages); err != nil {
		return err
	}
	c.StagesRate = f.stagesRate
	if c.Concurrency == 0 && c.Rate == 0 && len(c.Stages) == 0 {
		c.Concurrency = 50
	}
	if c.Logins == 0 && c.Duration == 0 && len(c.Stages) == 0 {
		if c.Hold > 0 && c.Concurrency > 0 {
			// "N users online for D": every worker logs in once and holds.
			c.Logins = int64(c.Concurrency)
		} else {
			c.Duration = 10 * time.Second
		}
	}
	if c.Arrival, err = loadgen.ParseArrival(f.arrival); err != nil {
		return err
	}
	if c.Steps, err = loadgen.ParseSteps(f.steps); err != nil {
		return err
	}
	if (c.StatusEvery > 0 || c.ChatEvery > 0) && !set["server-contacts"] {
		// Status changes of users without contacts notify nobody, and
		// chat goes to contacts.
		f.serverContacts = defaultStatusContacts
	}
	if f.usersFile != "" {
		if set["user-pattern"] || set["accounts"] {
			return errors.New("--users replaces --user-pattern and --accounts; give one or the other")
		}
		if c.Users, err = loadgen.ReadUsersFile(f.usersFile); err != nil {
			return err
		}
		c.UsersFile = f.usersFile
		c.UserPattern = ""
	}
	if c.Password, err = f.resolvePassword(set); err != nil {
		return err
	}
	if c.Accounts == 0 && len(c.Users) == 0 {
		c.Accounts = peak(c)
	}
	if f.shard != "" {
		if c.ShardIndex, c.ShardCount, err = parseShard(f.shard, os.Getenv("JOB_COMPLETION_INDEX")); err != nil {
			return err
		}
	}
	if f.startAt != "" {
		if c.StartAt, err = time.Parse(time.RFC3339, f.startAt); err != nil {
			return fmt.Errorf("--start-at: %v", err)
		}
	}
	return nil
}

// refuseZeros refuses an explicit 0 for the flags whose 0 would otherwise
// silently mean "the default": -c 0 would run 50 sessions, -d 0s 10 s.
func refuseZeros(c *loadgen.Config, set map[string]bool) error {
	for _, z := range []struct {
		flag string
		zero bool
		want string
	}{
		{"c", c.Concurrency == 0, "at least 1 session in flight (or --rate for the open model)"},
		{"rate", c.Rate == 0, "a positive number of logins per second (or -c for the closed model)"},
		{"d", c.Duration == 0, "a positive duration (or -n for a number of logins)"},
		{"n", c.Logins == 0, "at least 1 login (or -d for a duration)"},
		{"timeout", c.Timeout == 0, "a positive timeout, e.g. 10s"},
		{"interval", c.Interval == 0, "a positive interval length, e.g. 1s"},
		{"max-inflight", c.MaxInflight == 0, "at least 1 session in flight"},
		{"max-lag", c.MaxLag == 0, "a positive lag, e.g. 1s"},
		{"accounts", c.Accounts == 0, "at least 1 account"},
	} {
		if set[z.flag] && z.zero {
			dash := "--"
			if len(z.flag) == 1 {
				dash = "-"
			}
			return fmt.Errorf("%s%s 0: want %s; leave the flag out for the default", dash, z.flag, z.want)
		}
	}
	return nil
}

// peak is the most sessions the flags can have in flight, for the default
// number of accounts.
func peak(c *loadgen.Config) int {
	cc := *c
	cc.Target = "x"
	if cc.UserPattern == "" {
		cc.UserPattern = "u%d"
	}
	cc.Accounts = 1
	if c.Rate > 0 || c.StagesRate {
		if cc.MaxInflight == 0 {
			cc.MaxInflight = loadgen.DefaultMaxInflight
		}
	}
	_ = cc.Validate()
	return max(cc.PeakInflight(), 1)
}

// resolvePassword takes the password from --password, --password-file or
// $MSNBENCH_PASSWORD; the built-in server's default is "password".
func (f *runFlags) resolvePassword(set map[string]bool) (string, error) {
	n := 0
	for _, s := range []string{"password", "password-file"} {
		if set[s] {
			n++
		}
	}
	if n > 1 {
		return "", errors.New("give either --password or --password-file")
	}
	switch {
	case set["password"]:
		return f.password, nil
	case f.passwordFile != "":
		b, err := os.ReadFile(f.passwordFile)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		line = strings.TrimRight(line, "\r")
		if line == "" {
			return "", errors.New("--password-file: the first line is empty")
		}
		return line, nil
	}
	if p, ok := os.LookupEnv("MSNBENCH_PASSWORD"); ok {
		return p, nil
	}
	if f.cfg.Target == "" {
		return "password", nil
	}
	if len(f.cfg.Users) > 0 {
		for _, u := range f.cfg.Users {
			if u.Password == "" {
				return "", errors.New("some users in --users have no password: add one, or give --password-file " +
					"or $MSNBENCH_PASSWORD")
			}
		}
		return "", nil
	}
	return "", errors.New("no password: give --password-file, $MSNBENCH_PASSWORD or --password")
}

// parseShard parses "i/N" or "/N" (index from env, the Kubernetes Indexed
// Job's JOB_COMPLETION_INDEX).
func parseShard(s, env string) (int, int, error) {
	is, ns, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, fmt.Errorf("--shard %q: want i/N", s)
	}
	n, err := strconv.Atoi(ns)
	if err != nil || n < 1 {
		return 0, 0, fmt.Errorf("--shard %q: bad count", s)
	}
	if is == "" {
		if env == "" {
			return 0, 0, fmt.Errorf("--shard %q: no index and no $JOB_COMPLETION_INDEX", s)
		}
		is = env
	}
	i, err := strconv.Atoi(is)
	if err != nil || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("--shard %q: index must be 0..%d", s, n-1)
	}
	return i, n, nil
}

// defaultStatusContacts is the built-in server's contacts per account with
// --status-every and no --server-contacts.
const defaultStatusContacts = 10

// startEmbedded starts the reference server on loopback with a dispatch
// tier and enough accounts, and points cfg at it.
func startEmbedded(f *runFlags, cfg *loadgen.Config) (*server.Server, error) {
	sc := server.Config{
		DSAddr:   "127.0.0.1:0",
		NSAddr:   "127.0.0.1:0",
		Password: cfg.Password,
		Contacts: f.serverContacts,
		CHL:      f.serverCHL,
		Delay:    f.serverDelay,
	}
	if cfg.ChatEvery > 0 {
		sc.SBAddr = "127.0.0.1:0" // chat needs the switchboard
	}
	if len(cfg.Users) > 0 {
		sc.UsersFile = cfg.UsersFile
	} else {
		sc.UserPattern = cfg.UserPattern
		sc.Accounts = cfg.AccountStart + cfg.Accounts
	}
	if cfg.Hold > 0 {
		sc.IdleTimeout = max(3*cfg.Ping, server.DefaultIdleTimeout)
	}
	srv, err := server.New(sc)
	if err != nil {
		return nil, fmt.Errorf("starting the built-in server: %w", err)
	}
	cfg.Target = srv.Addr()
	if cfg.TargetRole == loadgen.RoleAuto {
		cfg.TargetRole = loadgen.RoleDS // it has a dispatch tier
	}
	cfg.TargetLabel = "embedded"
	cfg.SharedProcess = true
	return srv, nil
}

// describe says in one line what is about to run; role is the first
// server's (Engine.TargetRole).
func describe(c loadgen.Config, role string) string {
	var b strings.Builder
	b.WriteString("running ")
	switch {
	case len(c.Stages) > 0 && c.StagesRate:
		fmt.Fprintf(&b, "rate stages %s", loadgen.FormatStages(c.Stages))
	case len(c.Stages) > 0:
		fmt.Fprintf(&b, "concurrency stages %s", loadgen.FormatStages(c.Stages))
	case c.Rate > 0:
		fmt.Fprintf(&b, "%g logins/s (%s, at most %d in flight)", c.Rate, c.Arrival, c.MaxInflight)
	default:
		fmt.Fprintf(&b, "%d concurrent sessions", c.Concurrency)
	}
	target := c.Target
	if c.TargetLabel != "" {
		target = c.TargetLabel + " " + c.Target
	}
	fmt.Fprintf(&b, " against %s", target)
	switch role {
	case loadgen.RoleDS:
		b.WriteString(" (a dispatch server: ds.* phases)")
	case loadgen.RoleNS:
		b.WriteString(" (no dispatch tier: ns.* phases)")
	default:
		b.WriteString(" (first server's role per session; --target-role ds or ns fixes it)")
	}
	var stops []string
	if c.Logins > 0 {
		stops = append(stops, fmt.Sprintf("%d logins", c.Logins))
	}
	if c.Duration > 0 {
		stops = append(stops, c.Duration.String())
	}
	if len(stops) > 0 {
		fmt.Fprintf(&b, " for %s", strings.Join(stops, " or "))
	}
	if c.Warmup > 0 {
		fmt.Fprintf(&b, " after %v warm-up", c.Warmup)
	}
	if c.Hold > 0 {
		fmt.Fprintf(&b, ", holding each %v", c.Hold)
		if c.StatusEvery > 0 {
			fmt.Fprintf(&b, " and changing its status every %v", c.StatusEvery)
		}
	}
	b.WriteString(" (Ctrl-C stops early and still reports)")
	return b.String()
}
