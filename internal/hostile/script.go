package hostile

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/msnbench/msnbench/msnp"
)

// Phase names the point of a login where a Script misbehaves. The names are
// the phase names of msnbench's reports (report.Phase.String()), so a test
// can compare the phase a failure was counted in with the one it scripted.
type Phase string

// Phases a Script can target: each is entered when the server reads the
// client request that starts it (VER on the dispatch listener is DSVer, on
// the notification listener NSVer, and so on).
const (
	DSVer  Phase = "ds.ver"   // VER on the dispatch listener
	DSInf  Phase = "ds.inf"   // INF on the dispatch listener
	DSUsr  Phase = "ds.usr"   // USR MD5 I on the dispatch listener (normally answered with XFR NS)
	NSVer  Phase = "ns.ver"   // VER on the notification listener
	NSInf  Phase = "ns.inf"   // INF on the notification listener
	NSUsrI Phase = "ns.usr.i" // USR MD5 I on the notification listener (normally a challenge)
	NSUsrS Phase = "ns.usr.s" // USR MD5 S (normally USR OK and the profile MSG)
	NSSyn  Phase = "ns.syn"   // SYN (normally a small list ending with RL i==n)
	NSChg  Phase = "ns.chg"   // CHG (normally the echo and one ILN)
	Ping   Phase = "ping"     // PNG while the session is held (normally QNG)
	Qry    Phase = "qry"      // QRY, the answer to a CHL the server sends after the CHG echo (only when the Script's Phase is Qry)
)

// Phases lists every Phase in login order.
var Phases = []Phase{DSVer, DSInf, DSUsr, NSVer, NSInf, NSUsrI, NSUsrS, NSSyn, NSChg, Ping, Qry}

// Action is what the server does instead of (or before) its normal reply
// when the Script's phase is reached.
type Action uint8

// Actions. Arg is the Script's Arg; "then stall" means the server sends
// nothing more on that connection but keeps reading it until the client
// closes it or the Server is closed.
const (
	// None behaves correctly: a well-behaved server.
	None Action = iota
	// Close closes the connection instead of replying.
	Close
	// Reset aborts the connection (SO_LINGER 0, then close: the client gets
	// a TCP RST) instead of replying.
	Reset
	// Stall never replies.
	Stall
	// Garbage sends Arg (default: binary junk ending in CRLF), then stalls.
	Garbage
	// LongLine sends a line of Arg bytes (default 65536), longer than any
	// sane client cap, terminated by CRLF, then stalls.
	LongLine
	// Unterminated sends the normal reply without its CRLF, then stalls.
	Unterminated
	// Endless sends bytes without a line end until the client goes away.
	Endless
	// Drip sends the normal reply one byte at a time, Arg apart (a Go
	// duration, default 100ms), then goes on normally.
	Drip
	// BadLength sends a payload command with a wrong length before the
	// normal reply. Arg is "<CMD> <kind>": CMD is MSG, NOT or IPG (default
	// MSG); kind is "long" (declares more bytes than are sent, so the real
	// reply is swallowed as payload), "short" (declares fewer, so the rest
	// of the payload is read as commands), "negative", "huge", "nan", or a
	// literal length token.
	BadLength
	// WrongTrID sends the normal reply with a TrID the client did not use,
	// then goes on normally.
	WrongTrID
	// Unknown sends unknown commands (one with a TrID, one without) before
	// the normal reply.
	Unknown
	// Inject sends an asynchronous command before the normal reply. Arg
	// names it: NLN, ILN, FLN, BPR, CHG0, ADD, MSG, NOT, IPG, CHL, XFR (an
	// asynchronous XFR 0 NS), OTH (OUT OTH), SSD (OUT SSD), OUT; anything
	// else is sent as a raw line.
	Inject
	// Error sends the numeric error Arg (e.g. "911") with the request's
	// TrID instead of the reply, then stalls.
	Error
	// Replace sends Arg instead of the normal reply, with every "{t}" in it
	// replaced by the request's TrID and CRLF added, then goes on normally:
	// a reply of the right type with the wrong content ("VER {t} 0",
	// "USR {t} MD5 S", "XFR {t} SB ...").
	Replace
	// Flood sends asynchronous NLN lines, as fast as the client reads
	// them, without ever sending the reply: a client that bounds only each
	// read, not the phase, never times out.
	Flood
	// Chatter sends the normal reply, then keeps sending asynchronous NLN
	// lines every Arg (a Go duration, default 1ms) while still answering
	// every request: a busy presence stream under a held session.
	Chatter
	// XFR answers with "XFR t NS <addr> 0" and closes, like a dispatch
	// server. Arg is the address: "self" (the listener the client is on: a
	// referral loop), "refused" (a port nothing listens on), "noport"
	// (127.0.0.1 without a port), "zero" (the literal 0, meaning the same
	// server), "ns" (the notification listener) or a literal address.
	XFR
	numActions
)

var actionNames = [numActions]string{
	"none", "close", "reset", "stall", "garbage", "long-line", "unterminated", "endless", "drip", "bad-length",
	"wrong-trid", "unknown", "inject", "error", "replace", "flood", "chatter", "xfr",
}

// String returns the action's name, used in test names.
func (a Action) String() string {
	if a < numActions {
		return actionNames[a]
	}
	return "action(" + strconv.Itoa(int(a)) + ")"
}

// Script says where and how the server misbehaves. The zero Script is a
// correct MSNP7 server.
type Script struct {
	// Phase is where the server misbehaves: the request that starts it.
	Phase Phase
	// Action is what it does there; None serves the phase correctly.
	Action Action
	// Arg parameterizes Action (see each Action); "" picks its default.
	Arg string
	// Times limits the misbehaviour to the first Times connections that
	// reach Phase; later ones are served correctly. 0 means every time.
	Times int
	// Dialect is the highest dialect the server speaks (default MSNP7).
	Dialect msnp.Dialect
}

// String describes the script for test names, e.g. "ns.syn/inject/NLN".
func (s Script) String() string {
	if s.Action == None {
		return "none"
	}
	out := string(s.Phase) + "/" + s.Action.String()
	if s.Arg != "" {
		out += "/" + s.Arg
	}
	return out
}

// compiled is a Script checked and turned into what the connections need.
type compiled struct {
	Script
	drip    time.Duration // Drip and Chatter interval
	code    int
	payload []byte // the bad payload command line and body (BadLength)
	inject  []byte // the injected line(s) (Inject)
}

// asyncLines are the canned asynchronous commands for Inject. The ones a
// client must tolerate (MSNP.md §4.8) come first; XFR and OUT end a session.
var asyncLines = map[string]string{
	"NLN":  "NLN NLN bob@example.com Bob\r\n",
	"ILN":  "ILN 0 NLN bob@example.com Bob\r\n",
	"FLN":  "FLN bob@example.com\r\n",
	"BPR":  "BPR 1 bob@example.com PHH 555%200100\r\n",
	"CHG0": "CHG 0 NLN\r\n",
	"ADD":  "ADD 0 RL 2 carol@example.com Carol\r\n",
	"MSG":  "MSG Hotmail Hotmail 53\r\nMIME-Version: 1.0\r\nContent-Type: text/x-msmsgsdemo\r\n\r\n",
	"NOT":  "NOT 29\r\n<NOTIFICATION></NOTIFICATION>",
	"IPG":  "IPG 29\r\n<NOTIFICATION></NOTIFICATION>",
	"CHL":  "CHL 0 15570131571988941333\r\n",
	"XFR":  "XFR 0 NS 127.0.0.1:1 0\r\n",
	"OTH":  "OUT OTH\r\n",
	"SSD":  "OUT SSD\r\n",
	"OUT":  "OUT\r\n",
}

// badPayloadBody is what BadLength sends as the payload. Its second line
// does not start with a three-letter command, so a client that reads too
// few bytes sees a malformed line rather than something it could mistake
// for a reply.
const badPayloadBody = "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsprofile\r\n\r\n"

func compile(s Script) (*compiled, error) {
	c := &compiled{Script: s}
	if c.Dialect == 0 {
		c.Dialect = msnp.MaxDialect
	}
	if c.Dialect < msnp.MinDialect || c.Dialect > msnp.MaxDialect {
		return nil, fmt.Errorf("hostile: dialect MSNP%d is not MSNP2..MSNP7", c.Dialect)
	}
	if s.Action >= numActions {
		return nil, fmt.Errorf("hostile: unknown action %d", s.Action)
	}
	if s.Times < 0 {
		return nil, errors.New("hostile: Times must not be negative")
	}
	if s.Action == None {
		return c, nil
	}
	known := false
	for _, p := range Phases {
		known = known || p == s.Phase
	}
	if !known {
		return nil, fmt.Errorf("hostile: unknown phase %q", s.Phase)
	}
	switch s.Action {
	case Drip, Chatter:
		c.drip = 100 * time.Millisecond
		if s.Action == Chatter {
			c.drip = time.Millisecond
		}
		if s.Arg != "" {
			d, err := time.ParseDuration(s.Arg)
			if err != nil || d < 0 {
				return nil, fmt.Errorf("hostile: interval %q: want a duration", s.Arg)
			}
			c.drip = d
		}
	case Error:
		code, err := strconv.Atoi(s.Arg)
		if err != nil || code < 100 || code > 999 {
			return nil, fmt.Errorf("hostile: error code %q: want three digits", s.Arg)
		}
		c.code = code
	case LongLine:
		if s.Arg != "" {
			if n, err := strconv.Atoi(s.Arg); err != nil || n < 1 {
				return nil, fmt.Errorf("hostile: line length %q: want a positive number", s.Arg)
			}
		}
	case BadLength:
		p, err := badPayload(s.Arg)
		if err != nil {
			return nil, err
		}
		c.payload = p
	case Replace:
		if s.Arg == "" {
			return nil, errors.New("hostile: Replace needs an Arg")
		}
	case Inject:
		line, ok := asyncLines[s.Arg]
		if !ok {
			if s.Arg == "" {
				return nil, errors.New("hostile: Inject needs an Arg")
			}
			line = s.Arg + "\r\n"
		}
		c.inject = []byte(line)
	}
	return c, nil
}

// badPayload builds the BadLength command from its Arg.
func badPayload(arg string) ([]byte, error) {
	cmd, kind := "MSG", "long"
	if f := strings.Fields(arg); len(f) == 2 {
		cmd, kind = f[0], f[1]
	} else if len(f) == 1 {
		kind = f[0]
	} else if len(f) > 2 {
		return nil, fmt.Errorf("hostile: bad-length arg %q: want \"<CMD> <kind>\"", arg)
	}
	n := len(badPayloadBody)
	var length string
	switch kind {
	case "long":
		length = strconv.Itoa(n + 4096) // more than any reply that follows
	case "short":
		length = "5"
	case "negative":
		length = "-5"
	case "huge":
		length = "999999999"
	case "nan":
		length = "abc"
	default:
		length = kind
	}
	var line string
	switch cmd {
	case "MSG":
		line = "MSG Hotmail Hotmail " + length
	case "NOT", "IPG":
		line = cmd + " " + length
	default:
		return nil, fmt.Errorf("hostile: bad-length command %q: want MSG, NOT or IPG", cmd)
	}
	return []byte(line + "\r\n" + badPayloadBody), nil
}
