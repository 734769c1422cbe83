package server

import (
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a Config.Now a test moves forward, so cookie expiry is
// tested without waiting.
type fakeClock struct{ off atomic.Int64 }

func (f *fakeClock) now() time.Time          { return time.Unix(1013928519, 0).Add(time.Duration(f.off.Load())) }
func (f *fakeClock) advance(d time.Duration) { f.off.Add(int64(d)) }
func seqCookies() func(dst []byte) []byte {
	var n atomic.Uint64
	return func(dst []byte) []byte {
		return strconv.AppendUint(append(dst, "16925950.1016955577."...), 17692+n.Add(1), 10)
	}
}

// sbConfig is three accounts, each the contact of the other two, with a
// switchboard, fixed cookies and a clock the test moves.
func sbConfig(clk *fakeClock) Config {
	return Config{Accounts: 3, Password: "pw", Contacts: 2, SBAddr: "127.0.0.1:0", SBCookie: seqCookies(),
		Now: clk.now}
}

// online logs user i in and sends CHG NLN, reading the echo and the ILN
// lines for contacts already online (others reads their NLN).
func online(t testing.TB, s *Server, i int, iln int, others ...*tclient) *tclient {
	t.Helper()
	email := "user" + strconv.Itoa(i) + "@example.com"
	c := login(t, s.Addr(), email, "pw", "MSNP7 CVR0").c
	c.send("CHG 9 NLN")
	c.expect("CHG 9 NLN")
	for k := 0; k < iln; k++ {
		c.expectPrefix("ILN 9 NLN user")
	}
	for _, o := range others {
		o.expect("NLN NLN " + email + " " + urlEncode(email))
	}
	return c
}

// TestPresenceMutual checks Config.Contacts with accounts that are each
// other's contacts: a CHG fans out NLN to every online contact, the first
// one gets ILN for those already online, and a logout FLN.
func TestPresenceMutual(t *testing.T) {
	s := newServer(t, Config{Accounts: 5, Password: "pw", Contacts: 2}) // i±1
	a := online(t, s, 0, 0)
	b := online(t, s, 1, 1, a)
	c := login(t, s.Addr(), "user4@example.com", "pw", "MSNP5 CVR0").c
	c.send("CHG 9 BSY")
	c.expect("CHG 9 BSY")
	c.expect("ILN 9 NLN user0@example.com user0%40example.com")
	a.expect("NLN BSY user4@example.com user4%40example.com")
	b.send("CHG 10 AWY")
	b.expect("CHG 10 AWY")
	a.expect("NLN AWY user1@example.com user1%40example.com")
	a.send("OUT")
	a.expectClosed()
	b.expect("FLN user0@example.com")
	c.expect("FLN user0@example.com")
	c.send("PNG") // user4 does not watch user1: nothing else came
	c.expect("QNG")
}

// sbOpen has caller ask its notification server for a switchboard, log in
// there and returns the switchboard connection.
func sbOpen(t testing.TB, s *Server, caller *tclient, email string) *tclient {
	t.Helper()
	caller.send("XFR 20 SB")
	x := caller.expectPrefix("XFR 20 SB " + s.SBAddr() + " CKI ")
	sb := dial(t, s.SBAddr())
	sb.send("USR 1 " + email + " " + string(x.Arg(3)))
	sb.expect("USR 1 OK " + email + " " + urlEncode(email))
	return sb
}

// sbJoin reads the RNG on callee's notification connection and answers it
// on a new switchboard connection, returning it after ANS OK.
func sbJoin(t testing.TB, s *Server, callee *tclient, email string, iro ...string) *tclient {
	t.Helper()
	r := callee.expectPrefix("RNG ")
	if string(r.Arg(1)) != s.SBAddr() || string(r.Arg(2)) != "CKI" {
		t.Fatalf("RNG %q", r.Line)
	}
	sess, cookie := string(r.Arg(0)), string(r.Arg(3))
	sb := dial(t, s.SBAddr())
	sb.send("ANS 1 " + email + " " + cookie + " " + sess)
	for _, l := range iro {
		sb.expect(l)
	}
	sb.expect("ANS 1 OK")
	return sb
}

// TestSwitchboardChat walks a conversation: XFR SB, USR, CAL, RNG, ANS with
// IRO, JOI, MSG A/N/U with ACK and NAK, a third participant, BYE.
func TestSwitchboardChat(t *testing.T) {
	var clk fakeClock
	s := newServer(t, sbConfig(&clk))
	alice := online(t, s, 0, 0)
	bob := online(t, s, 1, 1, alice)
	asb := sbOpen(t, s, alice, "user0@example.com")
	asb.send("CAL 2 user1@example.com")
	asb.expect("CAL 2 RINGING 1")
	bsb := sbJoin(t, s, bob, "user1@example.com", "IRO 1 1 1 user0@example.com user0%40example.com")
	asb.expect("JOI user1@example.com user1%40example.com")

	const hello = "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nhello"
	asb.nc.Write([]byte("MSG 3 A " + strconv.Itoa(len(hello)) + "\r\n" + hello[:len(hello)-2]))
	asb.nc.Write([]byte("lo")) // the payload in two pieces
	m := bsb.expect("MSG user0@example.com user0%40example.com " + strconv.Itoa(len(hello)))
	if string(m.Payload) != hello {
		t.Fatalf("payload %q", m.Payload)
	}
	asb.expect("ACK 3")
	bsb.send("MSG 2 N 2\r\nhi")
	asb.expect("MSG user1@example.com user1%40example.com 2")
	bsb.send("MSG 3 U 2\r\nyo")
	asb.expect("MSG user1@example.com user1%40example.com 2")
	bsb.send("CAL 4 nobody@example.com")
	bsb.expect("208 4") // no ACK or NAK came for N and U before it

	// A third participant, invited by bob.
	carol := online(t, s, 2, 2, alice, bob)
	bsb.send("CAL 5 user2@example.com")
	bsb.expect("CAL 5 RINGING 1")
	csb := sbJoin(t, s, carol, "user2@example.com",
		"IRO 1 1 2 user0@example.com user0%40example.com", "IRO 1 2 2 user1@example.com user1%40example.com")
	asb.expect("JOI user2@example.com user2%40example.com")
	bsb.expect("JOI user2@example.com user2%40example.com")
	bsb.send("CAL 6 user0@example.com")
	bsb.expect("215 6") // already there
	csb.send("MSG 1 A 1\r\nx")
	asb.expect("MSG user2@example.com user2%40example.com 1")
	bsb.expect("MSG user2@example.com user2%40example.com 1")
	csb.expect("ACK 1")

	bsb.send("OUT")
	bsb.expectClosed()
	asb.expect("BYE user1@example.com")
	csb.expect("BYE user1@example.com")
	csb.nc.Close()
	asb.expect("BYE user2@example.com")
	asb.send("MSG 7 A 1\r\nx") // nobody left
	asb.expect("NAK 7")
	asb.send("MSG 8 N 1\r\nx")
	asb.expect("NAK 8")
	asb.send("MSG 9 U 1\r\nx")
	asb.send("CAL 10 user1@example.com") // bob is still online on his NS
	asb.expect("CAL 10 RINGING 1")
	bob.expectPrefix("RNG 1 ")
	if st := s.Stats(); st.SBSessions != 1 || st.SBCalls != 3 || st.SBMessages != 7 || st.SBNaks != 2 {
		t.Errorf("stats %v", st)
	}
}

// TestSwitchboardErrors checks the refusals of MSNP.md §4.9 and §7: 913 for
// XFR SB before the first CHG and while hidden, 217 for an offline or
// hidden callee, 911 for an unknown, expired, misused or replayed cookie
// and an ANS for another session.
func TestSwitchboardErrors(t *testing.T) {
	var clk fakeClock
	s := newServer(t, sbConfig(&clk))
	alice := login(t, s.Addr(), "user0@example.com", "pw", "MSNP7 CVR0").c
	alice.send("XFR 5 SB")
	alice.expect("913 5") // before the first CHG
	alice.send("CHG 6 HDN")
	alice.expect("CHG 6 HDN")
	alice.send("XFR 7 SB")
	alice.expect("913 7")
	alice.send("CHG 8 NLN")
	alice.expect("CHG 8 NLN")

	asb := sbOpen(t, s, alice, "user0@example.com")
	asb.send("CAL 2 user1@example.com")
	asb.expect("217 2") // offline
	bob := online(t, s, 1, 1, alice)
	bob.send("CHG 10 HDN")
	bob.expect("CHG 10 HDN")
	alice.expect("FLN user1@example.com")
	asb.send("CAL 3 user1@example.com")
	asb.expect("217 3") // hidden
	bob.send("CHG 11 NLN")
	bob.expect("CHG 11 NLN")
	alice.expect("NLN NLN user1@example.com user1%40example.com")
	asb.send("CAL 4 user1@example.com")
	asb.expect("CAL 4 RINGING 1")
	rng := bob.expectPrefix("RNG 1 ")
	cookie := string(rng.Arg(3))

	refused := func(line string) {
		t.Helper()
		c := dial(t, s.SBAddr())
		c.send(line)
		c.expect("911 1")
		c.expectClosed()
	}
	refused("USR 1 user0@example.com 1.2.3")                   // unknown cookie
	refused("USR 1 user1@example.com " + cookie)               // an invitation is not a login
	refused("ANS 1 user1@example.com " + cookie + " 99")       // another session
	refused("ANS 1 user0@example.com " + cookie + " 1")        // someone else's cookie
	refused("ANS 1 user1@example.com 16925950.1016955577.1 1") // unknown cookie
	c := dial(t, s.SBAddr())
	c.send("CAL 1 user1@example.com") // before USR: a silent close
	c.expectClosed()

	// The cookie survived the misuse above, and is single-use.
	bsb := dial(t, s.SBAddr())
	bsb.send("ANS 1 user1@example.com " + cookie + " 1")
	bsb.expect("IRO 1 1 1 user0@example.com user0%40example.com")
	bsb.expect("ANS 1 OK")
	asb.expect("JOI user1@example.com user1%40example.com")
	refused("ANS 1 user1@example.com " + cookie + " 1")

	// Expiry: a cookie from XFR SB and one from RNG, both past the TTL.
	alice.send("XFR 21 SB")
	xck := string(alice.expectPrefix("XFR 21 SB ").Arg(3))
	carol := online(t, s, 2, 2, alice, bob)
	asb.send("CAL 5 user2@example.com")
	asb.expect("CAL 5 RINGING 1")
	rng = carol.expectPrefix("RNG 1 ")
	clk.advance(DefaultSBCookieTTL + time.Second)
	refused("USR 1 user0@example.com " + xck)
	refused("ANS 1 user2@example.com " + string(rng.Arg(3)) + " 1")
	if st := s.Stats(); st.AuthFailures != 8 {
		t.Errorf("stats %v", st)
	}
	// Without a switchboard, XFR SB is a disabled command.
	s2 := newServer(t, Config{Accounts: 1, Password: "pw"})
	c = login(t, s2.Addr(), "user0@example.com", "pw", "MSNP7 CVR0").c
	c.send("CHG 1 NLN")
	c.expect("CHG 1 NLN")
	c.send("XFR 2 SB")
	c.expect("502 2")
	if line := s.Stats().String(); !strings.Contains(line, " sb=1 sb_cal=2 ") {
		t.Errorf("stats line %q", line)
	}
}
