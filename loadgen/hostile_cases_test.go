package loadgen_test

// The table of TestHostileServer: which misbehaviour, in which phase, must
// end in which phase, class and code, or must be tolerated.

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/msnbench/msnbench/internal/hostile"
	"github.com/msnbench/msnbench/loadgen"
	"github.com/msnbench/msnbench/msnp"
)

// loginPhases are the phases of a login through a dispatch server.
var loginPhases = []hostile.Phase{hostile.DSVer, hostile.DSInf, hostile.DSUsr, hostile.NSVer, hostile.NSInf,
	hostile.NSUsrI, hostile.NSUsrS, hostile.NSSyn, hostile.NSChg}

// tolerated asynchronous commands: a login with one of them injected
// before a reply must succeed (MSNP.md §4.8).
var tolerated = []string{"NLN", "ILN", "FLN", "BPR", "CHG0", "ADD", "MSG", "NOT", "IPG", "CHL"}

// kicking asynchronous commands end the session (MSNP.md §2.5, §4.7).
var kicking = []string{"XFR", "OTH", "SSD", "OUT"}

// section7Codes are the error codes of MSNP.md §7 a login can meet.
var section7Codes = []int{200, 201, 205, 206, 207, 208, 209, 210, 212, 213, 215, 216, 217, 218, 219, 220, 223,
	224, 225, 228, 229, 230, 231, 280, 281, 300, 301, 302, 500, 501, 502, 503, 510, 520, 540, 600, 601, 602, 603,
	604, 605, 606, 700, 707, 710, 711, 712, 713, 714, 715, 717, 731, 800, 910, 911, 912, 913, 914, 915, 916, 917,
	918, 919, 920, 921, 922, 923, 924, 928, 931}

func hostileCases() []hcase {
	var cs []hcase
	add := func(c hcase) {
		if c.name == "" {
			c.name = c.sc.String()
		}
		cs = append(cs, c)
	}
	fail := func(ph hostile.Phase, a hostile.Action, arg string, class msnp.Class) {
		add(hcase{sc: hostile.Script{Phase: ph, Action: a, Arg: arg}, phase: string(ph), class: class})
	}
	succeed := func(ph hostile.Phase, a hostile.Action, arg string) {
		add(hcase{sc: hostile.Script{Phase: ph, Action: a, Arg: arg}, ok: true})
	}
	payloadCmds := []string{"MSG", "NOT", "IPG"}
	for i, ph := range loginPhases {
		pc := payloadCmds[i%len(payloadCmds)]
		fail(ph, hostile.Close, "", msnp.ClassEOF)
		fail(ph, hostile.Reset, "", msnp.ClassReset)
		fail(ph, hostile.Stall, "", msnp.ClassTimeout)
		fail(ph, hostile.Garbage, "", msnp.ClassProtocol)
		fail(ph, hostile.LongLine, "", msnp.ClassProtocol)
		fail(ph, hostile.Unterminated, "", msnp.ClassTimeout)
		fail(ph, hostile.Endless, "", msnp.ClassProtocol)
		succeed(ph, hostile.Drip, "1ms")
		// 500ms a byte: no reply is short enough (11 bytes at least) to
		// arrive within the 3s phase timeout, however fast the machine.
		fail(ph, hostile.Drip, "500ms", msnp.ClassTimeout)
		// A declared length longer than what is sent swallows the real
		// reply: the client waits for the rest of the payload (and the
		// dispatch server, which closes after its referral, gives EOF).
		if ph == hostile.DSUsr {
			fail(ph, hostile.BadLength, pc+" long", msnp.ClassEOF)
		} else {
			fail(ph, hostile.BadLength, pc+" long", msnp.ClassTimeout)
		}
		for _, kind := range []string{"short", "negative", "huge", "nan"} {
			fail(ph, hostile.BadLength, pc+" "+kind, msnp.ClassProtocol)
		}
		// A reply with another TrID is not the reply: the client keeps
		// waiting. An XFR NS with another TrID is an asynchronous referral
		// (MSNP.md §2.5): the session is over.
		if ph == hostile.DSUsr {
			fail(ph, hostile.WrongTrID, "", msnp.ClassKicked)
		} else {
			fail(ph, hostile.WrongTrID, "", msnp.ClassTimeout)
		}
		succeed(ph, hostile.Unknown, "")
		for _, a := range tolerated {
			succeed(ph, hostile.Inject, a)
		}
		for _, a := range kicking {
			fail(ph, hostile.Inject, a, msnp.ClassKicked)
		}
		for _, code := range []int{911, 600, 715} {
			add(hcase{sc: hostile.Script{Phase: ph, Action: hostile.Error, Arg: strconv.Itoa(code)},
				phase: string(ph), class: msnp.CodeClass(code), code: code})
		}
	}
	// A server that never stops talking must still cost only a timeout.
	for _, ph := range []hostile.Phase{hostile.DSVer, hostile.NSUsrS, hostile.NSSyn} {
		fail(ph, hostile.Flood, "", msnp.ClassTimeout)
	}
	// Payloads up to the reader's cap are skipped by length, larger ones
	// are refused (msnp.DefaultMaxPayload).
	for _, n := range []int{8191, 8192, 40000, msnp.DefaultMaxPayload} {
		add(hcase{name: "ns.syn/inject/NOT-" + strconv.Itoa(n), sc: hostile.Script{Phase: hostile.NSSyn,
			Action: hostile.Inject, Arg: "NOT " + strconv.Itoa(n) + "\r\n" + strings.Repeat("x", n)}, ok: true})
	}
	add(hcase{name: "ns.syn/inject/NOT-over-cap", sc: hostile.Script{Phase: hostile.NSSyn, Action: hostile.Inject,
		Arg: "NOT " + strconv.Itoa(msnp.DefaultMaxPayload+1) + "\r\n" + strings.Repeat("x", msnp.DefaultMaxPayload+1)},
		phase: "ns.syn", class: msnp.ClassProtocol})

	// An error the server sends on its own (no TrID) in the middle of a
	// phase ends the session with that error.
	for _, ph := range []hostile.Phase{hostile.DSVer, hostile.NSSyn} {
		add(hcase{sc: hostile.Script{Phase: ph, Action: hostile.Inject, Arg: "604"}, phase: string(ph),
			class: msnp.ClassUnavailable, code: 604})
	}
	// Replies of the right type with the wrong content (MSNP.md §2.2,
	// §2.5, §3, §4.1, §4.3, §11).
	for _, r := range []struct {
		ph    hostile.Phase
		line  string
		class msnp.Class // ClassNone: a variation the login must accept
	}{
		{hostile.DSVer, "VER {t} 0", msnp.ClassProtocol},
		{hostile.DSVer, "VER {t} CVR0", msnp.ClassProtocol},
		{hostile.DSVer, "VER {t} MSNP8 CVR0", msnp.ClassProtocol},
		{hostile.DSVer, "VER {t}", msnp.ClassProtocol},
		{hostile.DSVer, "VER {t} MSNP7 CVR0", msnp.ClassNone},
		{hostile.DSVer, "VER {t} CVR0 MSNP7 MSNP6", msnp.ClassNone},
		{hostile.DSVer, "VER {t} msnp7", msnp.ClassNone},
		{hostile.DSVer, "INF {t} MD5", msnp.ClassProtocol},
		{hostile.DSUsr, "XFR {t} SB 127.0.0.1:1 CKI 1.2.3", msnp.ClassProtocol},
		{hostile.DSUsr, "XFR {t} NS", msnp.ClassProtocol},
		{hostile.DSUsr, "USR {t} OK user0@example.com x 1", msnp.ClassProtocol},
		{hostile.NSUsrI, "USR {t} MD5 S", msnp.ClassProtocol},
		{hostile.NSUsrI, "USR {t} MD5 X 123", msnp.ClassProtocol},
		{hostile.NSUsrS, "USR {t} MD5 S 1013928519.693957190", msnp.ClassProtocol},
		{hostile.NSUsrS, "USR {t} OK user0@example.com", msnp.ClassNone},
		{hostile.NSSyn, "SYN {t} 0", msnp.ClassNone},
		{hostile.NSSyn, "LST {t} RL 1 1 1 bob@example.com Bob", msnp.ClassProtocol},
		// SYN variations of MSNP.md §11: GTC/BLP after the lists, empty
		// lists ("0 0"), index and count swapped, RL not last.
		{hostile.NSSyn, "SYN {t} 2\r\nLST {t} FL 2 1 1 bob@example.com Bob 0\r\nLST {t} RL 2 1 1 bob@example.com Bob" +
			"\r\nGTC {t} 2 A\r\nBLP {t} 2 AL", msnp.ClassNone},
		{hostile.NSSyn, "SYN {t} 1\r\nGTC {t} 1 A\r\nBLP {t} 1 AL\r\nLST {t} FL 1 0 0\r\nLST {t} AL 1 0 0\r\n" +
			"LST {t} BL 1 0 0\r\nLST {t} RL 1 0 0", msnp.ClassNone},
		{hostile.NSSyn, "SYN {t} 1\r\nLST {t} RL 1 2 1 a@example.com A\r\nLST {t} RL 1 2 2 b@example.com B",
			msnp.ClassNone},
		{hostile.NSSyn, "SYN {t} 1\r\nLST {t} RL 1 1 1 a@example.com A\r\nLST {t} FL 1 1 1 a@example.com A 0",
			msnp.ClassNone},
		{hostile.NSVer, "VER {t} MSNP2 CVR0", msnp.ClassNone},
		// Framing (MSNP.md §1.2): tabs and runs of blanks separate, a bare
		// LF ends a line, extra parameters are ignored; command names are
		// case-sensitive and a TrID is a 32-bit number.
		{hostile.NSVer, "VER\t{t}  \tMSNP7", msnp.ClassNone},
		{hostile.NSInf, "INF {t} MD5\n", msnp.ClassNone},
		{hostile.NSVer, "VER {t} MSNP7" + strings.Repeat(" x", 40), msnp.ClassNone},
		{hostile.NSVer, "ver {t} MSNP7", msnp.ClassProtocol},
		{hostile.NSVer, "VER 4294967297 MSNP7", msnp.ClassProtocol},
		{hostile.NSChg, "CHG {t} NLN 0", msnp.ClassNone},
		{hostile.NSChg, "ILN {t} NLN bob@example.com Bob", msnp.ClassProtocol},
	} {
		name := string(r.ph) + "/replace/" + r.line
		if lines := strings.Split(r.line, "\r\n"); len(lines) > 1 {
			name = string(r.ph) + "/replace/" + lines[0] + "+" + strings.Join(lines[1:], "+")
		}
		c := hcase{name: name, sc: hostile.Script{Phase: r.ph, Action: hostile.Replace, Arg: r.line},
			phase: string(r.ph), class: r.class}
		if r.class == msnp.ClassNone {
			c.ok, c.phase = true, ""
		}
		add(c)
	}

	// Every §7 code, where a wrong password would get its 911.
	for _, code := range section7Codes {
		add(hcase{sc: hostile.Script{Phase: hostile.NSUsrS, Action: hostile.Error, Arg: strconv.Itoa(code)},
			phase: string(hostile.NSUsrS), class: msnp.CodeClass(code), code: code})
	}

	// Referrals (MSNP.md §2.5).
	add(hcase{name: "ds.usr/xfr/loop", sc: hostile.Script{Phase: hostile.DSUsr, Action: hostile.XFR, Arg: "self"},
		phase: "ns.usr.i", class: msnp.ClassProtocol})
	add(hcase{name: "ns.usr.i/xfr/loop", sc: hostile.Script{Phase: hostile.NSUsrI, Action: hostile.XFR, Arg: "self"},
		phase: "ns.usr.i", class: msnp.ClassProtocol})
	add(hcase{name: "ds.usr/xfr/refused", sc: hostile.Script{Phase: hostile.DSUsr, Action: hostile.XFR,
		Arg: "refused"}, phase: "ns.connect", class: msnp.ClassRefused})
	add(hcase{name: "ds.usr/xfr/zero", sc: hostile.Script{Phase: hostile.DSUsr, Action: hostile.XFR, Arg: "zero",
		Times: 1}, ok: true})
	add(hcase{name: "ns.usr.i/xfr/ns-once", sc: hostile.Script{Phase: hostile.NSUsrI, Action: hostile.XFR,
		Arg: "ns", Times: 1}, ok: true})
	// Referral addresses that cannot be dialled are the server's fault,
	// like an XFR without an address: a protocol error of ds.usr, never
	// "other". (Literal IPs only: no name is ever looked up.)
	for _, bad := range []string{"127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:abc", "[::1", "127.0.0.1:-1",
		strings.Repeat("1", 300) + ":1"} {
		add(hcase{name: "ds.usr/xfr/bad-address/" + bad[:min(len(bad), 16)],
			sc:    hostile.Script{Phase: hostile.DSUsr, Action: hostile.XFR, Arg: bad},
			phase: "ds.usr", class: msnp.ClassProtocol})
	}
	if portFree(1863) {
		// "127.0.0.1" without a port means 127.0.0.1:1863, where nothing
		// listens on this machine right now.
		add(hcase{name: "ds.usr/xfr/noport", sc: hostile.Script{Phase: hostile.DSUsr, Action: hostile.XFR,
			Arg: "noport"}, phase: "ns.connect", class: msnp.ClassRefused})
	}

	// The open model: starts come from the clock, failures are counted
	// the same way.
	for _, c := range []hcase{
		{sc: hostile.Script{Phase: hostile.NSSyn, Action: hostile.Stall}, phase: "ns.syn", class: msnp.ClassTimeout},
		{sc: hostile.Script{Phase: hostile.NSUsrS, Action: hostile.Close}, phase: "ns.usr.s", class: msnp.ClassEOF},
		{sc: hostile.Script{Phase: hostile.DSUsr, Action: hostile.Error, Arg: "910"}, phase: "ds.usr",
			class: msnp.ClassBusy, code: 910},
		{sc: hostile.Script{Phase: hostile.NSChg, Action: hostile.Inject, Arg: "NOT"}, ok: true},
	} {
		c.open, c.name = true, "open/"+c.sc.String()
		add(c)
	}

	// No dispatch tier: the first server answers USR I with a challenge.
	add(hcase{name: "ns-only/none", nsOnly: true, ok: true})
	add(hcase{name: "ns-only/ns.syn/close", nsOnly: true, sc: hostile.Script{Phase: hostile.NSSyn,
		Action: hostile.Close}, phase: "ns.syn", class: msnp.ClassEOF})
	add(hcase{name: "ns-only/ns.usr.s/error/911", nsOnly: true, sc: hostile.Script{Phase: hostile.NSUsrS,
		Action: hostile.Error, Arg: "911"}, phase: "ns.usr.s", class: msnp.ClassAuthFail, code: 911})

	// Dialects other than MSNP7 (SYN forms differ, USR OK has no flag
	// before MSNP6).
	for _, d := range []msnp.Dialect{2, 4, 5, 6} {
		add(hcase{name: "dialect/MSNP" + strconv.Itoa(int(d)), sc: hostile.Script{Dialect: d}, ok: true})
		add(hcase{name: "dialect/MSNP" + strconv.Itoa(int(d)) + "/ns.syn/stall", sc: hostile.Script{Dialect: d,
			Phase: hostile.NSSyn, Action: hostile.Stall}, phase: "ns.syn", class: msnp.ClassTimeout})
	}

	// Steps: login only; CHG without SYN.
	add(hcase{name: "steps=none/ns.syn/stall", steps: []loadgen.Step{}, sc: hostile.Script{Phase: hostile.NSSyn,
		Action: hostile.Stall}, ok: true, unreached: true})
	add(hcase{name: "steps=chg/ns.chg/garbage", steps: []loadgen.Step{loadgen.StepChg},
		sc: hostile.Script{Phase: hostile.NSChg, Action: hostile.Garbage}, phase: "ns.chg", class: msnp.ClassProtocol})

	// The CHL the server sends after the CHG echo, answered with QRY: with
	// CHG before SYN, the CHL arrives while the SYN reply is awaited and is
	// answered after it (a failure is a qry failure of the session); with
	// a hold, it is answered while held (an early end is a warning).
	qry := func(a hostile.Action, arg string, class msnp.Class, code int, warn string) {
		sc := hostile.Script{Phase: hostile.Qry, Action: a, Arg: arg}
		name := "qry/" + a.String()
		if arg != "" {
			name += "/" + arg
		}
		c := hcase{name: name, sc: sc, steps: []loadgen.Step{loadgen.StepChg, loadgen.StepSyn}, phase: "qry",
			class: class, code: code}
		if class == msnp.ClassNone {
			c.ok, c.phase = true, ""
		}
		add(c)
		add(hcase{name: "hold/" + name, sc: sc, hold: true, ok: true, warn: warn})
	}
	qry(hostile.None, "", msnp.ClassNone, 0, "")
	qry(hostile.Close, "", msnp.ClassEOF, 0, "qry/eof")
	qry(hostile.Reset, "", msnp.ClassReset, 0, "qry/reset")
	qry(hostile.Stall, "", msnp.ClassTimeout, 0, "qry/timeout")
	qry(hostile.Garbage, "", msnp.ClassProtocol, 0, "qry/protocol")
	qry(hostile.Error, "540", msnp.ClassChallenge, 540, "qry/challenge/540")
	qry(hostile.Inject, "NLN", msnp.ClassNone, 0, "")
	qry(hostile.Inject, "OTH", msnp.ClassKicked, 0, "qry/kicked")
	qry(hostile.Drip, "1ms", msnp.ClassNone, 0, "")
	// The QRY acknowledgement dripped across the next ping time: the
	// held session must wait for the rest of it, not give up.
	qry(hostile.Drip, "50ms", msnp.ClassNone, 0, "")

	// Held sessions: the misbehaviour answers a PNG. The session itself
	// was already counted as a success; an early end of the hold is
	// reported among the warnings as phase/class[/code].
	ping := func(a hostile.Action, arg, warn string) {
		add(hcase{sc: hostile.Script{Phase: hostile.Ping, Action: a, Arg: arg}, hold: true, ok: true, warn: warn})
	}
	ping(hostile.Close, "", "ping/eof")
	ping(hostile.Reset, "", "ping/reset")
	ping(hostile.Stall, "", "ping/timeout")
	ping(hostile.Garbage, "", "ping/protocol")
	ping(hostile.Endless, "", "ping/protocol")
	ping(hostile.BadLength, "NOT nan", "ping/protocol")
	ping(hostile.Error, "600", "ping/busy/600")
	ping(hostile.Inject, "OTH", "ping/kicked")
	ping(hostile.Inject, "SSD", "ping/kicked")
	ping(hostile.Inject, "NLN", "")
	ping(hostile.Inject, "CHL", "")
	// A presence stream that never pauses: steps and hold go on, the
	// hold still pings and ends on time.
	succeed(hostile.NSUsrS, hostile.Chatter, "")
	add(hcase{name: "hold/ns.chg/chatter", sc: hostile.Script{Phase: hostile.NSChg, Action: hostile.Chatter},
		hold: true, ok: true, pinged: true})
	add(hcase{name: "hold/ns.usr.s/chatter/10ms", sc: hostile.Script{Phase: hostile.NSUsrS,
		Action: hostile.Chatter, Arg: "10ms"}, hold: true, ok: true, pinged: true})
	ping(hostile.Flood, "", "ping/timeout")
	ping(hostile.Unknown, "", "")
	ping(hostile.Drip, "1ms", "")
	return cs
}

// portFree reports whether nothing accepts connections on 127.0.0.1:port.
func portFree(port int) bool {
	c, err := (&net.Dialer{Timeout: time.Second}).Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return errors.Is(err, syscall.ECONNREFUSED)
	}
	c.Close()
	return false
}
