package loadgen

import (
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

// testSession builds a session outside an Engine, dialing plain TCP.
func testSession(t testing.TB, target string, steps []Step, dialects string, timeout time.Duration) *session {
	t.Helper()
	cfg := Config{Target: target, Concurrency: 1, Logins: 1, UserPattern: "user%d@example.com", Accounts: 4,
		AccountStart: 1, Password: "password", Steps: steps, Dialects: dialects, Timeout: timeout}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	acc, err := newAccounts(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	verList, offered, _ := msnp.ParseDialectList(cfg.Dialects)
	p := &params{
		target: target, verList: verList, offered: offered, steps: steps, status: []byte("NLN"),
		qryID: []byte(msnp.DefaultQRYClientID), qryKey: []byte(msnp.DefaultQRYKey), timeout: cfg.Timeout,
		ping: time.Hour, start: time.Now(), accts: acc, rec: report.NewRecorder(1, time.Second),
	}
	p.dial = func(addr string) (net.Conn, error) { return net.DialTimeout("tcp", addr, cfg.Timeout) }
	return newSession(p, 0)
}

// lines returns an override that answers the command named on with the
// given raw text ("{t}" is replaced by the request's TrID), then closes if
// closeAfter.
func answer(on string, text string, closeAfter bool) func(st *fakeConn, cmd *msnp.Command) (bool, bool) {
	return func(st *fakeConn, cmd *msnp.Command) (bool, bool) {
		if !matches(cmd, on) {
			return false, false
		}
		st.out = append(st.out, strings.ReplaceAll(text, "{t}", strconv.FormatUint(uint64(cmd.TrID), 10))...)
		return true, closeAfter
	}
}

// matches reports whether cmd is "on": a command name, or "USR I"/"USR S".
func matches(cmd *msnp.Command, on string) bool {
	name, sub, _ := strings.Cut(on, " ")
	if !cmd.Is(name) {
		return false
	}
	return sub == "" || string(cmd.Arg(1)) == sub
}

func chain(fs ...func(st *fakeConn, cmd *msnp.Command) (bool, bool)) func(st *fakeConn, cmd *msnp.Command) (bool, bool) {
	return func(st *fakeConn, cmd *msnp.Command) (bool, bool) {
		for _, f := range fs {
			if h, c := f(st, cmd); h {
				return h, c
			}
		}
		return false, false
	}
}

// noise prefixes every reply with asynchronous traffic a client must skip.
func noise(st *fakeConn, cmd *msnp.Command) (bool, bool) {
	st.out = append(st.out, "NLN NLN bob@example.com Bob\r\nBPR 12 bob@example.com PHH\r\nFOO bar baz\r\n"+
		"ADD 0 RL 5 carol@example.com Carol\r\nNOT 12\r\n<NOTIFICATI>IPG 3\r\nabcCHG 0 NLN\r\n"+
		"MSG Hotmail Hotmail 5\r\nhello"...)
	return false, false
}

// chlBeforeEcho sends the challenge just before the CHG echo, so the
// session sees it while awaiting the echo and must answer it after.
func chlBeforeEcho(st *fakeConn, cmd *msnp.Command) (bool, bool) {
	if !cmd.Is("CHG") {
		return false, false
	}
	st.out = append(st.out, "CHL 0 15570131571988941333\r\n"...)
	st.out = msnp.AppendCHG(st.out, cmd.TrID, cmd.Arg(0))
	return true, false
}

// checkQRY verifies the QRY digest against MSNP.md §5's worked example.
func checkQRY(st *fakeConn, cmd *msnp.Command) (bool, bool) {
	if !cmd.Is("QRY") {
		return false, false
	}
	if string(cmd.Arg(0)) != "msmsgs@msnmsgr.com" || string(cmd.Payload) != "8f2f5a91b72102cd28355e9fc9000d6e" {
		st.out = msnp.AppendError(st.out, 540, cmd.TrID)
		return true, true
	}
	st.out = msnp.AppendEnd(msnp.AppendCmd(st.out, "QRY", cmd.TrID))
	return true, false
}

func TestSessionVariations(t *testing.T) {
	all := []Step{StepSyn, StepChg}
	type want struct {
		class msnp.Class
		phase report.Phase
		code  uint16
		have  []report.Phase
		lack  []report.Phase
	}
	ok := msnp.ClassNone
	tests := []struct {
		name     string
		ds       bool // login through a dispatch fake
		ns       fakeOpts
		steps    []Step
		dialects string
		want     want
	}{
		{name: "no dispatch tier", ns: fakeOpts{profile: true}, steps: all,
			want: want{class: ok, have: []report.Phase{report.NSConnect, report.NSVer, report.NSInf, report.NSUsrI,
				report.NSUsrS, report.NSSyn, report.NSChg, report.Login, report.Session},
				lack: []report.Phase{report.DSConnect, report.DSUsr}}},
		{name: "dispatch then NS", ds: true, ns: fakeOpts{profile: true}, steps: all,
			want: want{class: ok, have: []report.Phase{report.DSConnect, report.DSVer, report.DSInf, report.DSUsr,
				report.NSConnect, report.NSUsrS, report.NSSyn, report.NSChg}}},
		{name: "login only", ns: fakeOpts{}, want: want{class: ok, have: []report.Phase{report.Login},
			lack: []report.Phase{report.NSSyn, report.NSChg}}},
		{name: "VER echoes several dialects and CVR0", steps: all,
			ns:   fakeOpts{override: answer("VER", "VER {t} MSNP5 MSNP4 CVR0\r\n", false)},
			want: want{class: ok}},
		{name: "VER CVR0 first", dialects: "MSNP2 CVR0",
			ns:   fakeOpts{override: answer("VER", "VER {t} CVR0 MSNP2\r\n", false)},
			want: want{class: ok}},
		{name: "VER refused", ns: fakeOpts{override: answer("VER", "VER {t} 0\r\n", true)},
			want: want{class: msnp.ClassProtocol, phase: report.DSVer}},
		{name: "VER only CVR0", ns: fakeOpts{override: answer("VER", "VER {t} CVR0\r\n", true)},
			want: want{class: msnp.ClassProtocol, phase: report.DSVer}},
		{name: "async noise everywhere", steps: all, ns: fakeOpts{profile: true, override: noise},
			want: want{class: ok}},
		{name: "SYN bare reply", steps: all, ns: fakeOpts{override: answer("SYN", "SYN {t} 0\r\n", false)},
			want: want{class: ok, have: []report.Phase{report.NSSyn}}},
		{name: "SYN swapped index and count, GTC BLP after LST", steps: all, ns: fakeOpts{override: answer("SYN",
			"SYN {t} 7\r\nLST {t} FL 7 2 1 a@b A\r\nLST {t} FL 7 2 2 c@d C\r\nLST {t} RL 7 2 1 a@b A\r\n"+
				"LST {t} RL 7 2 2 c@d C\r\nGTC {t} 7 A\r\nBLP {t} 7 AL\r\n", false)},
			want: want{class: ok}},
		{name: "SYN many contacts", steps: all, ns: fakeOpts{contacts: 50}, want: want{class: ok}},
		{name: "CHG echo with extra fields", steps: all,
			ns:   fakeOpts{override: answer("CHG", "CHG {t} NLN 0\r\nILN {t} NLN bob@example.com Bob\r\n", false)},
			want: want{class: ok}},
		{name: "CHL answered", steps: all, ns: fakeOpts{override: chain(chlBeforeEcho, checkQRY)},
			want: want{class: ok}},
		{name: "CHL right after USR OK", steps: all, ns: fakeOpts{override: answer("USR S",
			"USR {t} OK user1@example.com u 1\r\nCHL 0 15570131571988941333\r\n", false)}, want: want{class: ok}},
		{name: "QRY rejected", steps: all, ns: fakeOpts{override: chain(chlBeforeEcho,
			answer("QRY", "540 {t}\r\n", true))},
			want: want{class: msnp.ClassChallenge, phase: report.Qry, code: 540}},
		{name: "911 and close", ns: fakeOpts{override: answer("USR S", "911 {t}\r\n", true)},
			want: want{class: msnp.ClassAuthFail, phase: report.NSUsrS, code: 911}},
		{name: "911 without close", ns: fakeOpts{override: answer("USR S", "911 {t}\r\n", false)},
			want: want{class: msnp.ClassAuthFail, phase: report.NSUsrS, code: 911}},
		{name: "911 at USR I (unknown account)", ns: fakeOpts{override: answer("USR I", "911 {t}\r\n", true)},
			want: want{class: msnp.ClassAuthFail, phase: report.DSUsr, code: 911}},
		{name: "600 at dispatch", ds: true, ns: fakeOpts{},
			want: want{class: msnp.ClassAuthFail, phase: report.NSUsrS, code: 911}},
		{name: "close without reply at INF", ns: fakeOpts{override: answer("INF", "", true)},
			want: want{class: msnp.ClassEOF, phase: report.DSInf}},
		{name: "stall at SYN", steps: all, ns: fakeOpts{override: answer("SYN", "", false)},
			want: want{class: msnp.ClassTimeout, phase: report.NSSyn}},
		{name: "garbage reply", ns: fakeOpts{override: answer("VER", "\x01\x02 what\r\n", false)},
			want: want{class: msnp.ClassProtocol, phase: report.DSVer}},
		{name: "wrong reply type", ns: fakeOpts{override: answer("INF", "VER {t} MSNP7\r\n", false)},
			want: want{class: msnp.ClassProtocol, phase: report.DSInf}},
		{name: "OUT OTH during SYN", steps: all, ns: fakeOpts{override: answer("SYN", "OUT OTH\r\n", true)},
			want: want{class: msnp.ClassKicked, phase: report.NSSyn}},
		{name: "OUT SSD during CHG", steps: all, ns: fakeOpts{override: answer("CHG", "OUT SSD\r\n", true)},
			want: want{class: msnp.ClassKicked, phase: report.NSChg}},
		{name: "line too long", ns: fakeOpts{override: answer("VER", "VER {t} "+strings.Repeat("x", 9000)+"\r\n",
			false)}, want: want{class: msnp.ClassProtocol, phase: report.DSVer}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "600 at dispatch" {
				// The dispatch answers USR I with 600 itself.
				ds := newFake(t, fakeOpts{override: answer("USR I", "600 {t}\r\n", true)})
				s := testSession(t, ds.addr(), nil, "", 2*time.Second)
				s.run(0, 0)
				if s.sm.Class != msnp.ClassBusy || s.sm.FailPhase != report.DSUsr || s.sm.Code != 600 {
					t.Fatalf("got class %v phase %v code %d, want busy ds.usr 600", s.sm.Class, s.sm.FailPhase,
						s.sm.Code)
				}
				return
			}
			ns := newFake(t, tc.ns)
			target := ns.addr()
			if tc.ds {
				target = newFake(t, fakeOpts{nsAddr: ns.addr()}).addr()
			}
			s := testSession(t, target, tc.steps, tc.dialects, 500*time.Millisecond)
			if held := s.run(0, 0); held != nil {
				t.Fatal("session held without hold configured")
			}
			sm := &s.sm
			if sm.Class != tc.want.class {
				t.Fatalf("class = %v, want %v (phase %v code %d)", sm.Class, tc.want.class, sm.FailPhase, sm.Code)
			}
			if tc.want.class != ok && (sm.FailPhase != tc.want.phase || sm.Code != tc.want.code) {
				t.Fatalf("phase %v code %d, want %v %d", sm.FailPhase, sm.Code, tc.want.phase, tc.want.code)
			}
			for _, p := range tc.want.have {
				if !sm.Has(p) {
					t.Errorf("phase %v not measured", p)
				}
			}
			for _, p := range tc.want.lack {
				if sm.Has(p) {
					t.Errorf("phase %v measured, should not be", p)
				}
			}
			if sm.End < sm.Start {
				t.Errorf("end %d before start %d", sm.End, sm.Start)
			}
		})
	}
}

func TestSessionReferrals(t *testing.T) {
	t.Run("XFR to 0 restarts on the same server", func(t *testing.T) {
		var conns atomic.Int32
		srv := newFake(t, fakeOpts{override: func(st *fakeConn, cmd *msnp.Command) (bool, bool) {
			if st.n == 1 {
				conns.Add(1)
			}
			if matches(cmd, "USR I") && conns.Load() == 1 {
				st.out = append(st.out, "XFR "+strconv.Itoa(int(cmd.TrID))+" NS 0 0\r\n"...)
				return true, true
			}
			return false, false
		}})
		s := testSession(t, srv.addr(), nil, "", 2*time.Second)
		s.run(0, 0)
		if !s.sm.OK() || !s.sm.Has(report.DSUsr) || !s.sm.Has(report.NSUsrI) {
			t.Fatalf("class %v phase %v; have ds.usr %v ns.usr.i %v", s.sm.Class, s.sm.FailPhase,
				s.sm.Has(report.DSUsr), s.sm.Has(report.NSUsrI))
		}
		if got := conns.Load(); got != 2 {
			t.Fatalf("%d connections, want 2", got)
		}
	})
	t.Run("referral loop is cut", func(t *testing.T) {
		var srv *fakeServer
		srv = newFake(t, fakeOpts{override: func(st *fakeConn, cmd *msnp.Command) (bool, bool) {
			if matches(cmd, "USR I") {
				st.out = append(st.out, "XFR "+strconv.Itoa(int(cmd.TrID))+" NS "+srv.addr()+" 0\r\n"...)
				return true, true
			}
			return false, false
		}})
		s := testSession(t, srv.addr(), nil, "", 2*time.Second)
		s.run(0, 0)
		if s.sm.Class != msnp.ClassProtocol || s.sm.FailPhase != report.NSUsrI {
			t.Fatalf("class %v phase %v, want protocol at ns.usr.i", s.sm.Class, s.sm.FailPhase)
		}
	})
	t.Run("refused NS", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := ln.Addr().String()
		ln.Close()
		ds := newFake(t, fakeOpts{nsAddr: dead})
		s := testSession(t, ds.addr(), nil, "", 2*time.Second)
		s.run(0, 0)
		if s.sm.Class != msnp.ClassRefused || s.sm.FailPhase != report.NSConnect {
			t.Fatalf("class %v phase %v, want refused at ns.connect", s.sm.Class, s.sm.FailPhase)
		}
	})
}

func TestReferralAddress(t *testing.T) {
	s := &session{nsState: &nsState{}}
	tests := []struct{ in, cur, want string }{
		{"10.0.0.5:1863", "x:1", "10.0.0.5:1863"},
		{"10.0.0.5", "x:1", "10.0.0.5:1863"},
		{"ns.example.com", "x:1", "ns.example.com:1863"},
		{"0", "127.0.0.1:4000", "127.0.0.1:4000"},
		{"[::1]:1864", "x:1", "[::1]:1864"},
		{"[::1]", "x:1", "[::1]:1863"},
	}
	for _, tc := range tests {
		if got, err := s.referral([]byte(tc.in), tc.cur); got != tc.want || err != nil {
			t.Errorf("referral(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"127.0.0.1:", "127.0.0.1:0", "127.0.0.1:99999", "127.0.0.1:abc", "[::1",
		"1111111111:1", "bad_host:1", "-a.example.com:1", strings.Repeat("a", 300), "a..b:1"} {
		if got, err := s.referral([]byte(bad), "x:1"); err == nil {
			t.Errorf("referral(%q) = %q, want an error", bad, got)
		}
	}
}

// TestTargetDefaultPort: a target without a port gets the protocol's port,
// by the same rule as a referral (it used to be dialled as it was, and every
// session failed as "other" with no message).
func TestTargetDefaultPort(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.77":       "127.0.0.77:1863",
		"127.0.0.77:1864":  "127.0.0.77:1864",
		"ns.example.com":   "ns.example.com:1863",
		"[::1]":            "[::1]:1863",
		"[::1]:2000":       "[::1]:2000",
		"ns.example.com:9": "ns.example.com:9",
	} {
		c := Config{Target: in, Concurrency: 1, Duration: time.Second, UserPattern: "u%d", Accounts: 1}
		if err := c.Validate(); err != nil {
			t.Fatalf("Validate(%q): %v", in, err)
		}
		if c.Target != want {
			t.Errorf("target %q became %q, want %q", in, c.Target, want)
		}
		s := &session{nsState: &nsState{}}
		if got, err := s.referral([]byte(in), "x:1"); err != nil || got != want {
			t.Errorf("referral(%q) = %q, %v; want %q, as the target", in, got, err, want)
		}
	}
	for _, bad := range []string{"127.0.0.1:", "::1", "[::1]:"} {
		c := Config{Target: bad, Concurrency: 1, Duration: time.Second, UserPattern: "u%d", Accounts: 1}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "want host:port") {
			t.Errorf("Validate(%q) = %v, want a malformed target", bad, err)
		}
	}
}

func TestSessionDialects(t *testing.T) {
	for d := msnp.MinDialect; d <= msnp.MaxDialect; d++ {
		t.Run("MSNP"+strconv.Itoa(int(d)), func(t *testing.T) {
			ds, _ := fakePair(t, fakeOpts{profile: true, chl: d >= 6, contacts: 3})
			s := testSession(t, ds.addr(), []Step{StepSyn, StepChg}, "MSNP"+strconv.Itoa(int(d))+" CVR0", time.Second)
			s.run(0, 0)
			if !s.sm.OK() {
				t.Fatalf("class %v at %v", s.sm.Class, s.sm.FailPhase)
			}
			if s.d != d {
				t.Fatalf("negotiated MSNP%d", s.d)
			}
		})
	}
}

// TestReplyAt: a reply is timed at its read's arrival stamp when there is
// one, kept within [sent, now]; without one, at now.
func TestReplyAt(t *testing.T) {
	s := &session{p: &params{start: time.Now().Add(-time.Hour)}}
	sent := s.p.now() - int64(time.Millisecond)
	for _, tc := range []struct {
		name string
		at   int64
		want func(got, before, after int64) bool
	}{
		{"stamped", sent + 100, func(got, _, _ int64) bool { return got == sent+100 }},
		{"no stamp", 0, func(got, before, after int64) bool { return got >= before && got <= after }},
		{"before the request (answered ahead)", sent - 500, func(got, _, _ int64) bool { return got == sent }},
		{"in the future (wall clock stepped)", sent + int64(time.Hour), func(got, before, after int64) bool {
			return got >= before && got <= after
		}},
	} {
		s.src.at = tc.at
		before := s.p.now()
		got := s.replyAt(sent)
		after := s.p.now()
		if !tc.want(got, before, after) {
			t.Errorf("%s: replyAt = %d (sent %d, now %d..%d)", tc.name, got, sent, before, after)
		}
	}
}
