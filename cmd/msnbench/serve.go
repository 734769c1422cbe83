package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/msnbench/msnbench/internal/metrics"
	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/server"
)

const serveExamples = `
Examples:
  # dispatch on :1863 refers to the notification server on :1864; 50,000 accounts
  msnbench serve --ds 127.0.0.1:1863 --ns 127.0.0.1:1864 --accounts 50000 --password secret

  # notification server only, 20 contacts per account, CHL/QRY, 2 ms before every reply
  msnbench serve --ns 127.0.0.1:1863 --accounts 5000 --contacts 20 --chl --delay 2ms

  # fail 5% of logins with 600 at the challenge step, and slow down SYN
  msnbench serve --error-code 600 --error-rate 0.05 --error-phases ns.usr.i --phase-delay ns.syn=20ms

  # presence among 10 neighbours by index, and a switchboard for chat on :1865
  msnbench serve --ds 127.0.0.1:1863 --ns 127.0.0.1:1864 --sb 127.0.0.1:1865 --contacts 10

  # stop answering for 2 s every 30 s, starting 10 s in (coordinated-omission demos)
  msnbench serve --stall-after 10s --stall-for 2s --stall-every 30s

Phases (for --phase-delay, --error-phases, --close-phases):
  ds.ver ds.inf ds.usr ns.ver ns.inf ns.usr.i ns.usr.s ns.syn ns.chg ping qry other
  sb.xfr sb.usr sb.cal sb.ans sb.msg

A listener that is not on loopback gets a warning on stderr.
Exit codes: 0 stopped by Ctrl-C or SIGTERM, 2 usage or setup error.
`

func init() {
	register("serve", "run the reference MSNP2-7 server (loopback by default)", runServe)
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: msnbench serve [flags]\n\nFlags:")
		printDefaults(fs)
		fmt.Fprint(fs.Output(), serveExamples)
	}
	var cfg server.Config
	fs.StringVar(&cfg.DSAddr, "ds", "", "dispatch listener `address` (omit for no dispatch tier)")
	fs.StringVar(&cfg.NSAddr, "ns", "127.0.0.1:1863", "notification listener `address`")
	fs.StringVar(&cfg.NSPublicAddr, "ns-public", "", "`address` to send in XFR NS referrals (default: the --ns listener)")
	fs.StringVar(&cfg.SBAddr, "sb", "127.0.0.1:0", "switchboard listener `address` for XFR SB, CAL, ANS, MSG (\"off\": none, XFR SB gets 502)")
	fs.StringVar(&cfg.SBPublicAddr, "sb-public", "", "`address` to send in XFR SB and RNG (default: the --sb listener)")
	fs.DurationVar(&cfg.SBCookieTTL, "sb-cookie-ttl", server.DefaultSBCookieTTL, "how long a switchboard cookie (XFR SB, RNG) is valid")
	fs.StringVar(&cfg.DSPublicAddr, "ds-public", "", "`address` for the current-server field of MSNP7 referrals")
	fs.IntVar(&cfg.Accounts, "accounts", server.DefaultAccounts, "number of generated accounts (as many as msnbench run uses at most by default)")
	fs.StringVar(&cfg.UserPattern, "user-pattern", server.DefaultUserPattern, "generated account names (one %d)")
	password := fs.String("password", "", "password of generated accounts (default $MSNBENCH_PASSWORD, else \"password\")")
	fs.StringVar(&cfg.UsersFile, "users", "", "`file` of email,password[,friendly name] lines (instead of --accounts)")
	fs.IntVar(&cfg.Contacts, "contacts", 0, "contacts per account, its neighbours by index, on each other's forward, allow and reverse lists (presence fans out among them)")
	dialects := fs.String("dialects", "MSNP2-MSNP7", "accepted dialects, e.g. MSNP7 or MSNP2,MSNP5-MSNP7")
	fs.BoolVar(&cfg.CHL, "chl", false, "send CHL after the first CHG (MSNP6+) and require a correct QRY")
	fs.DurationVar(&cfg.CHLTimeout, "chl-timeout", server.DefaultCHLTimeout, "time allowed to answer CHL")
	fs.DurationVar(&cfg.CHLEvery, "chl-every", 0, "with --chl, challenge again this long after each correct QRY (0: once)")
	fs.BoolVar(&cfg.FullProfile, "full-profile", false, "send the long MSNP3-7 profile message instead of the minimal one")
	fs.BoolVar(&cfg.IgnoreUnknown, "ignore-unknown", false, "ignore unknown commands after login instead of closing")
	fs.DurationVar(&cfg.Delay, "delay", 0, "delay before every reply")
	fs.DurationVar(&cfg.Jitter, "jitter", 0, "extra random delay in [0, jitter) before every reply")
	phaseDelay := fs.String("phase-delay", "", "per-phase delays overriding --delay, e.g. ns.usr.s=5ms,ns.syn=20ms")
	fs.IntVar(&cfg.ErrorCode, "error-code", 600, "error code to inject")
	fs.Float64Var(&cfg.ErrorRate, "error-rate", 0, "share (0..1) of commands in --error-phases answered with --error-code")
	errorPhases := fs.String("error-phases", "ns.usr.s", "phases where errors are injected (comma-separated, or all)")
	fs.BoolVar(&cfg.ErrorKeepOpen, "error-keep-open", false, "keep the connection open after an injected error")
	fs.Float64Var(&cfg.CloseRate, "close-rate", 0, "share (0..1) of commands in --close-phases answered by a close")
	closePhases := fs.String("close-phases", "ns.usr.s", "phases where closes are injected")
	fs.IntVar(&cfg.MaxConns, "max-conns", 0, "open connections above which clients get 600 (0: 50000, or what the open-file limit allows)")
	fs.IntVar(&cfg.MaxLine, "max-line", server.DefaultMaxLine, "longest accepted command line in bytes")
	fs.DurationVar(&cfg.ReadTimeout, "read-timeout", server.DefaultReadTimeout, "time allowed from a command's first byte to its last")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", server.DefaultIdleTimeout, "close connections idle this long")
	fs.DurationVar(&cfg.WriteTimeout, "write-timeout", server.DefaultWriteTimeout, "drop clients that do not read their replies for this long")
	stallAfter := fs.Duration("stall-after", 0, "hold every reply for --stall-for, starting this long after start (0: never)")
	stallFor := fs.Duration("stall-for", 5*time.Second, "length of a stall")
	stallEvery := fs.Duration("stall-every", 0, "repeat the stall this often (0: once)")
	every := fs.Duration("stats-every", 5*time.Second, "print a line of counters this often (0: only at the end)")
	metricsAddr := fs.String("metrics", "", "serve the counters for Prometheus at http://`addr`/metrics, e.g. 127.0.0.1:9465")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "msnbench serve: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	cfg.Password = *password
	if cfg.Password == "" {
		cfg.Password = os.Getenv("MSNBENCH_PASSWORD")
	}
	if cfg.Password == "" {
		cfg.Password = "password"
	}
	var err error
	if _, cfg.Dialects, err = msnp.ParseDialectList(*dialects); err != nil {
		fmt.Fprintf(stderr, "msnbench serve: --dialects: %v\n", err)
		return exitUsage
	}
	if cfg.PhaseDelay, err = parsePhaseDelays(*phaseDelay); err != nil {
		fmt.Fprintf(stderr, "msnbench serve: --phase-delay: %v\n", err)
		return exitUsage
	}
	if cfg.ErrorPhases, err = server.ParsePhaseSet(*errorPhases); err != nil {
		fmt.Fprintf(stderr, "msnbench serve: --error-phases: %v\n", err)
		return exitUsage
	}
	if cfg.ClosePhases, err = server.ParsePhaseSet(*closePhases); err != nil {
		fmt.Fprintf(stderr, "msnbench serve: --close-phases: %v\n", err)
		return exitUsage
	}
	if cfg.UsersFile != "" {
		cfg.Accounts = 0
	}
	if cfg.SBAddr == "off" {
		cfg.SBAddr = ""
	}
	cfg.Logf = func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	srv, err := server.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "msnbench serve: %v\n", err)
		return exitUsage
	}
	ds := srv.DSAddr()
	if ds == "" {
		ds = "-"
	}
	sb := srv.SBAddr()
	if sb == "" {
		sb = "-"
	}
	fmt.Fprintf(stdout, "listening ds=%s ns=%s sb=%s accounts=%d contacts=%d dialects=%s chl=%t max_conns=%d\n",
		ds, srv.NSAddr(), sb, srv.Accounts(), cfg.Contacts, *dialects, cfg.CHL, srv.MaxConns())
	for _, l := range []struct{ flag, addr string }{{"--ds", srv.DSAddr()}, {"--ns", srv.NSAddr()}, {"--sb", srv.SBAddr()}} {
		if l.addr != "" && !isLoopback(l.addr) {
			fmt.Fprintf(stderr, "warning: the %s listener %s is not on loopback: anyone who can reach this "+
				"machine can log in with the test accounts' password\n", l.flag, l.addr)
		}
	}

	if *metricsAddr != "" {
		ms, err := metrics.Serve(*metricsAddr, metrics.NewServerCollector(srv.Stats))
		if err != nil {
			srv.Close()
			fmt.Fprintf(stderr, "msnbench serve: %v\n", err)
			return exitUsage
		}
		defer ms.Close()
		if !metrics.IsLoopback(*metricsAddr) {
			fmt.Fprintf(stderr, "warning: --metrics %s is reachable from other machines\n", *metricsAddr)
		}
		fmt.Fprintf(stderr, "metrics: http://%s/metrics\n", ms.Addr())
	}

	var tick, stall <-chan time.Time
	if *every > 0 {
		t := time.NewTicker(*every)
		defer t.Stop()
		tick = t.C
	}
	stallTimer := time.NewTimer(*stallAfter)
	defer stallTimer.Stop()
	if *stallAfter > 0 {
		stall = stallTimer.C
	} else {
		stallTimer.Stop()
	}
	for {
		select {
		case <-tick:
			fmt.Fprintf(stdout, "stats %s\n", srv.Stats())
		case <-stall:
			fmt.Fprintf(stdout, "stall %v\n", *stallFor)
			srv.Stall(*stallFor)
			if *stallEvery > 0 {
				stallTimer.Reset(*stallEvery)
			} else {
				stall = nil
			}
		case <-ctx.Done():
			srv.Close()
			st := srv.Stats()
			fmt.Fprintf(stdout, "stopped %s\n", st)
			// The server's share of each delayed phase, for reading a
			// client's figures against it (scripts/accuracy.sh).
			for _, l := range st.DelayLate {
				fmt.Fprintf(stdout, "late %s replies=%d p50_us=%d p99_us=%d max_us=%d\n",
					l.Phase, l.Replies, l.P50Micros, l.P99Micros, l.MaxMicros)
			}
			return exitOK
		}
	}
}

// isLoopback reports whether a listener's address (host:port) is on a
// loopback address only; an unspecified address (0.0.0.0, ::) or a name is
// not.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// parsePhaseDelays parses "ns.usr.s=5ms,ns.syn=20ms".
func parsePhaseDelays(s string) (map[server.Phase]time.Duration, error) {
	if s == "" {
		return nil, nil
	}
	out := make(map[server.Phase]time.Duration)
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return nil, fmt.Errorf("%q: want phase=duration", kv)
		}
		p, err := server.ParsePhase(k)
		if err != nil {
			return nil, err
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("%q: bad duration", kv)
		}
		out[p] = d
	}
	return out, nil
}
