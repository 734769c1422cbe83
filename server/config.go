package server

import (
	"errors"
	"strings"
	"time"

	"github.com/msnbench/msnbench/msnp"
)

// Config configures a Server. The zero value is a usable notification-only
// server on 127.0.0.1:<random port> with no accounts; set Accounts (or
// UsersFile) to let clients log in.
type Config struct {
	// DSAddr is the dispatch listener's address; "" means no dispatch tier
	// (clients then get USR … S straight from the first server).
	// "127.0.0.1:0" picks a random port.
	DSAddr string
	// NSAddr is the notification listener's address; "" means "127.0.0.1:0".
	NSAddr string
	// NSPublicAddr is the address put into XFR … NS referrals; "" means the
	// notification listener's own address. Set it when the listener is bound
	// to a wildcard address or sits behind NAT.
	NSPublicAddr string
	// SBAddr is the switchboard listener's address; "" means no
	// switchboard (XFR SB is then answered with 502, command disabled).
	// "127.0.0.1:0" picks a random port.
	SBAddr string
	// SBPublicAddr is the address put into XFR … SB and RNG; "" means the
	// switchboard listener's own address.
	SBPublicAddr string
	// SBCookieTTL is how long a switchboard cookie (from XFR SB or RNG) may
	// be used; 0 means 120 s, Escargot's figure (MSNP.md §4.9). A later or
	// unknown cookie gets 911 and a close. Time is Now's.
	SBCookieTTL time.Duration
	// SBCookie appends a fresh switchboard cookie to dst; nil means
	// "<counter>.<unix seconds>.<5 random digits>", the official form
	// (MSNP.md §4.9). Tests inject a fixed sequence.
	SBCookie func(dst []byte) []byte
	// DSPublicAddr is the "current server" field of an MSNP7 referral; ""
	// means the dispatch listener's own address.
	DSPublicAddr string

	// Accounts is the number of generated accounts, named by UserPattern
	// with the index 0..Accounts-1, all with Password.
	Accounts int
	// UserPattern names generated accounts; it must hold exactly one "%d".
	// "" means "user%d@example.com".
	UserPattern string
	// Password is the password of every generated account.
	Password string
	// UsersFile, when set, is a file of "email,password[,friendly name]"
	// lines used instead of generated accounts. Blank lines and lines
	// starting with '#' are skipped.
	UsersFile string
	// Contacts is the number of contacts each account has on its forward,
	// allow and (by symmetry) reverse lists, drawn from the neighbouring
	// accounts so SYN has a realistic size and presence fans out.
	Contacts int

	// Dialects is the set of dialects the server accepts; the zero value
	// means MSNP2..MSNP7.
	Dialects msnp.DialectSet
	// CHL sends "CHL 0 <challenge>" after the first CHG (MSNP6 and later,
	// where the command exists) and expects a correct QRY within
	// CHLTimeout; a wrong answer gets 540 and a close.
	CHL bool
	// CHLTimeout is how long a client has to answer CHL; 0 means 50 s
	// (MSNP.md §4.5). A client that misses it gets OUT and a close.
	CHLTimeout time.Duration
	// CHLEvery, if positive, sends a new CHL this long after each correct
	// QRY, as the official server challenged "at irregular intervals"
	// (MSNP.md §4.5), so held sessions keep answering challenges.
	CHLEvery time.Duration
	// FullProfile sends the long MSNP3–7 style profile message after USR OK
	// instead of the minimal 95-byte MSNP2 form (MSNP.md §3.3).
	FullProfile bool
	// IgnoreUnknown makes the server ignore unknown commands after login
	// instead of closing the connection (the default, as the official
	// server did: MSNP.md §6.3).
	IgnoreUnknown bool

	// Delay is waited before every reply the server sends to a client's
	// command, counted from the command's arrival in the kernel (on Linux,
	// from its receive timestamp; elsewhere from when it is read), and for
	// pipelined commands from the previous reply's due time, as a server
	// handling them one at a time would. PhaseDelay overrides it for single
	// phases; Jitter adds a uniformly random extra delay in [0, Jitter) to
	// every delayed reply.
	Delay      time.Duration
	PhaseDelay map[Phase]time.Duration
	Jitter     time.Duration
	// DelaySpin is the least of the last part of every delay that is
	// busy-waited rather than slept, so a reply leaves within a few
	// microseconds of its delay (a sleep on a VM overshoots by 40-150 µs).
	// The waker raises it, up to 1 ms, to what its sleeps have lately
	// overshot. It costs up to that much CPU per delayed reply batch on one
	// thread. 0 means 100 µs; a negative value turns busy-waiting off.
	DelaySpin time.Duration

	// ErrorCode is sent instead of the normal reply, with the command's
	// TrID, at ErrorRate (0..1) in the phases of ErrorPhases (empty means
	// PhaseNSUSRS, so the rate is the share of logins that fail). The
	// connection is closed afterwards unless ErrorKeepOpen is set.
	ErrorCode     int
	ErrorRate     float64
	ErrorPhases   PhaseSet
	ErrorKeepOpen bool
	// CloseRate is the share of commands in ClosePhases (empty means
	// PhaseNSUSRS) after which the connection is closed without a reply.
	CloseRate   float64
	ClosePhases PhaseSet

	// MaxConns caps the open connections over both listeners; a client
	// above it gets "600 <TrID>" to its first command and a close. 0 means
	// 50000, or less if the process may not open that many files (the
	// limit less fdHeadroom).
	MaxConns int
	// MaxLine is the longest accepted command line; longer ones close the
	// connection. 0 means 1024 bytes, well above the longest
	// client line of MSNP2–7 (MSNP.md §1.2); the read buffer is MaxLine+128.
	MaxLine int
	// MaxPayload is the largest accepted payload (QRY and the like). 0
	// means 1024 bytes.
	MaxPayload int
	// ReadTimeout bounds the time from the first byte of a command to its
	// last (against slow-drip clients). 0 means 30 s.
	ReadTimeout time.Duration
	// IdleTimeout closes a connection that sends no complete command for
	// that long. 0 means 180 s (3 × the usual ping interval, MSNP.md §8).
	IdleTimeout time.Duration
	// WriteTimeout bounds every write; a client that does not read its
	// replies or presence notifications is dropped after it. 0 means 10 s.
	WriteTimeout time.Duration

	// Challenge appends a fresh login challenge to dst. nil means
	// "<unix seconds>.<9 random digits>". Tests inject a fixed one.
	Challenge func(dst []byte) []byte
	// CHLChallenge appends a CHL challenge to dst; nil means 20 random
	// digits.
	CHLChallenge func(dst []byte) []byte
	// Now gives the time for the profile's LoginTime and the switchboard
	// cookies' expiry; nil means time.Now.
	Now func() time.Time
	// Logf, if set, receives rare events (listener errors, shutdown); it is
	// never called per command.
	Logf func(format string, args ...any)
}

// fdHeadroom is what the default MaxConns leaves of the open-file limit for
// listeners, standard files and the goroutines that answer refused
// connections (maxRefusing).
const fdHeadroom = 64 + maxRefusing

// DefaultAccounts is the number of accounts msnbench serve generates
// unless told otherwise: as many as a run uses by default at most (an
// open-model run's default --max-inflight, loadgen.DefaultMaxInflight), so
// the two defaults together never produce 911 for unknown accounts. A zero
// Config.Accounts still means none.
const DefaultAccounts = 10000

// Defaults used for zero Config fields.
const (
	DefaultUserPattern  = "user%d@example.com"
	DefaultMaxConns     = 50000
	DefaultMaxLine      = 1024
	DefaultMaxPayload   = 1024
	DefaultReadTimeout  = 30 * time.Second
	DefaultIdleTimeout  = 180 * time.Second
	DefaultWriteTimeout = 10 * time.Second
	DefaultCHLTimeout   = 50 * time.Second
	DefaultDelaySpin    = 100 * time.Microsecond
	DefaultSBCookieTTL  = 120 * time.Second
)

// withDefaults returns cfg with zero fields replaced by their defaults, or an
// error for settings that cannot work.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.NSAddr == "" {
		cfg.NSAddr = "127.0.0.1:0"
	}
	if cfg.UserPattern == "" {
		cfg.UserPattern = DefaultUserPattern
	}
	if strings.Count(cfg.UserPattern, "%d") != 1 || strings.Count(cfg.UserPattern, "%") != 1 {
		return cfg, errors.New("server: UserPattern must contain exactly one %d and no other %")
	}
	if cfg.Dialects.Bits == 0 {
		cfg.Dialects = msnp.DialectSetRange(msnp.MinDialect, msnp.MaxDialect)
	}
	if cfg.Dialects.Bits&^msnp.DialectSetRange(msnp.MinDialect, msnp.MaxDialect).Bits != 0 {
		return cfg, errors.New("server: only MSNP2..MSNP7 are supported")
	}
	if cfg.Accounts < 0 || cfg.Contacts < 0 {
		return cfg, errors.New("server: Accounts and Contacts must not be negative")
	}
	if cfg.ErrorRate < 0 || cfg.ErrorRate > 1 || cfg.CloseRate < 0 || cfg.CloseRate > 1 {
		return cfg, errors.New("server: ErrorRate and CloseRate must be within 0..1")
	}
	if cfg.ErrorRate > 0 && (cfg.ErrorCode < 100 || cfg.ErrorCode > 999) {
		return cfg, errors.New("server: ErrorCode must be a three-digit code when ErrorRate > 0")
	}
	if cfg.ErrorPhases == 0 {
		cfg.ErrorPhases = PhaseSetOf(PhaseNSUSRS)
	}
	if cfg.ClosePhases == 0 {
		cfg.ClosePhases = PhaseSetOf(PhaseNSUSRS)
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
		// Above the open-file limit a client would sit in the kernel's
		// backlog until it timed out; below it, it gets a clear 600.
		if lim := openFileLimit() - fdHeadroom; lim > 0 && lim < cfg.MaxConns {
			cfg.MaxConns = lim
		}
	}
	if cfg.MaxLine <= 0 {
		cfg.MaxLine = DefaultMaxLine
	}
	if cfg.MaxLine < 64 {
		return cfg, errors.New("server: MaxLine below 64 bytes cannot hold a login line")
	}
	if cfg.MaxPayload <= 0 {
		cfg.MaxPayload = DefaultMaxPayload
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.CHLTimeout <= 0 {
		cfg.CHLTimeout = DefaultCHLTimeout
	}
	if cfg.Delay < 0 || cfg.Jitter < 0 {
		return cfg, errors.New("server: Delay and Jitter must not be negative")
	}
	for p, d := range cfg.PhaseDelay {
		if p >= NumPhases || d < 0 {
			return cfg, errors.New("server: bad PhaseDelay entry")
		}
	}
	if cfg.SBCookieTTL <= 0 {
		cfg.SBCookieTTL = DefaultSBCookieTTL
	}
	if cfg.DelaySpin == 0 {
		cfg.DelaySpin = DefaultDelaySpin
	}
	if cfg.Challenge == nil {
		cfg.Challenge = randomLoginChallenge
	}
	if cfg.CHLChallenge == nil {
		cfg.CHLChallenge = randomCHLChallenge
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg, nil
}
