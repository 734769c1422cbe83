package server

import (
	"bytes"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/msnbench/msnbench/msnp"
)

// sbGoldenConfig is goldenConfig with a switchboard at MSNP.md §4.9's
// example address, cookies from a fixed sequence, no CHL (so the notification
// server says nothing unasked), and a clock the test moves.
func sbGoldenConfig(clk *fakeClock) Config {
	cfg := goldenConfig()
	cfg.CHL = false
	cfg.SBAddr = "127.0.0.1:0"
	cfg.SBPublicAddr = "64.4.12.193:1863"
	cfg.SBCookie = seqCookies()
	cfg.Now = clk.now
	return cfg
}

// sbStep is one chunk a party sends (none when send is ""), then what the
// parties receive: wait[name] commands, or a close when it is -1.
type sbStep struct {
	who  string
	send string
	wait []sbWait
}

type sbWait struct {
	who string
	n   int
}

// sbTranscript plays steps with several clients. Parties named "*.ns" are
// logged in (and set online) before the transcript starts, in the order of
// logins; "*.sb" ones are dialled to the switchboard at their first step.
// The result lists every chunk sent and received, prefixed by the party.
func sbTranscript(t *testing.T, s *Server, logins []string, steps []sbStep) []byte {
	t.Helper()
	var out bytes.Buffer
	type party struct {
		c        *tclient
		consumed int
	}
	parties := map[string]*party{}
	for _, l := range logins {
		c := login(t, s.NSAddr(), l[:len(l)-len(".ns")]+"@example.com", "password", "MSNP5 CVR0").c
		parties[l] = &party{c: c, consumed: c.raw.Len() - c.rd.Buffered()}
	}
	get := func(name string) *party {
		p := parties[name]
		if p == nil {
			p = &party{c: dial(t, s.SBAddr())}
			parties[name] = p
			out.WriteString("# " + name + " connects to the switchboard\n")
		}
		return p
	}
	for i, st := range steps {
		if st.send != "" {
			p := get(st.who)
			writeChunk(&out, st.who+" C: ", []byte(st.send))
			if _, err := p.c.nc.Write([]byte(st.send)); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
		for _, w := range st.wait {
			p := get(w.who)
			for w.n < 0 { // replies up to the close
				if _, err := p.c.next(); err != nil {
					if !isClosed(err) {
						t.Fatalf("step %d (%q): %s: want close, got %v", i, st.send, w.who, err)
					}
					break
				}
			}
			for k := 0; k < w.n; k++ {
				if _, err := p.c.next(); err != nil {
					t.Fatalf("step %d (%q): %s reply %d: %v", i, st.send, w.who, k, err)
				}
			}
			end := p.c.raw.Len() - p.c.rd.Buffered()
			writeChunk(&out, w.who+" S: ", p.c.raw.Bytes()[p.consumed:end])
			p.consumed = end
			if w.n < 0 {
				out.WriteString("   (" + w.who + ": server closes)\n")
			}
		}
	}
	return out.Bytes()
}

// TestGoldenSwitchboard records a whole conversation: presence, XFR SB, USR,
// CAL and RNG, ANS with IRO and JOI, MSG A with ACK, MSG N and U, BYE, and
// a NAK once alone.
func TestGoldenSwitchboard(t *testing.T) {
	var clk fakeClock
	s := newServer(t, sbGoldenConfig(&clk))
	const hello = "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nX-MMS-IM-Format: FN=Arial; EF=; CO=0; " +
		"CS=0; PF=22\r\n\r\nHello, Bob!"
	const typing = "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgscontrol\r\nTypingUser: bob@example.com\r\n\r\n\r\n"
	const reply = "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nHi!"
	got := sbTranscript(t, s, []string{"alice.ns", "bob.ns"}, []sbStep{
		{"alice.ns", "CHG 8 NLN\r\n", []sbWait{{"alice.ns", 1}}},
		{"bob.ns", "CHG 9 NLN\r\n", []sbWait{{"bob.ns", 2}, {"alice.ns", 1}}},
		{"alice.ns", "XFR 10 SB\r\n", []sbWait{{"alice.ns", 1}}},
		{"alice.sb", "USR 1 alice@example.com 16925950.1016955577.17693\r\n", []sbWait{{"alice.sb", 1}}},
		{"alice.sb", "CAL 2 bob@example.com\r\n", []sbWait{{"alice.sb", 1}, {"bob.ns", 1}}},
		{"bob.sb", "ANS 1 bob@example.com 16925950.1016955577.17694 1\r\n",
			[]sbWait{{"bob.sb", 2}, {"alice.sb", 1}}},
		{"alice.sb", "MSG 3 A " + strconv.Itoa(len(hello)) + "\r\n" + hello, []sbWait{{"bob.sb", 1}, {"alice.sb", 1}}},
		{"bob.sb", "MSG 2 U " + strconv.Itoa(len(typing)) + "\r\n" + typing, []sbWait{{"alice.sb", 1}}},
		{"bob.sb", "MSG 3 N " + strconv.Itoa(len(reply)) + "\r\n" + reply, []sbWait{{"alice.sb", 1}}},
		{"bob.sb", "OUT\r\n", []sbWait{{"bob.sb", -1}, {"alice.sb", 1}}},
		{"alice.sb", "MSG 4 A 2\r\nhi", []sbWait{{"alice.sb", 1}}},
		{"alice.sb", "OUT\r\n", []sbWait{{"alice.sb", -1}}},
	})
	checkGolden(t, "testdata/switchboard.golden", got)
}

// TestGoldenSwitchboardErrors records the refusals: 913 for XFR SB before
// the first CHG and while hidden, 217 for a callee who is offline, and 911
// with a close for an expired cookie and for an ANS to an unknown session.
func TestGoldenSwitchboardErrors(t *testing.T) {
	var clk fakeClock
	s := newServer(t, sbGoldenConfig(&clk))
	got := sbTranscript(t, s, []string{"alice.ns"}, []sbStep{
		{"alice.ns", "XFR 8 SB\r\n", []sbWait{{"alice.ns", 1}}},
		{"alice.ns", "CHG 9 HDN\r\n", []sbWait{{"alice.ns", 1}}},
		{"alice.ns", "XFR 10 SB\r\n", []sbWait{{"alice.ns", 1}}},
		{"alice.ns", "CHG 11 NLN\r\n", []sbWait{{"alice.ns", 1}}},
		{"alice.ns", "XFR 12 SB\r\n", []sbWait{{"alice.ns", 1}}},
		{"alice.sb", "USR 1 alice@example.com 16925950.1016955577.17693\r\n", []sbWait{{"alice.sb", 1}}},
		{"alice.sb", "CAL 2 bob@example.com\r\n", []sbWait{{"alice.sb", 1}}},
		{"alice.sb", "CAL 3 carol@example.com\r\n", []sbWait{{"alice.sb", 1}}},
		{"alice.ns", "XFR 13 SB\r\n", []sbWait{{"alice.ns", 1}}},
	})
	// The second cookie expires before it is used.
	clk.advance(DefaultSBCookieTTL + time.Second)
	got = append(got, "# (121 s later)\n"...)
	got = append(got, sbTranscript(t, s, nil, []sbStep{
		{"late.sb", "USR 1 alice@example.com 16925950.1016955577.17694\r\n", []sbWait{{"late.sb", -1}}},
		{"bogus.sb", "ANS 1 bob@example.com 16925950.1016955577.17693 7\r\n", []sbWait{{"bogus.sb", -1}}},
	})...)
	checkGolden(t, "testdata/switchboard_errors.golden", got)
}

// isClosed reports whether err is the end of a connection the server closed.
func isClosed(err error) bool {
	return msnp.IsEOF(err) || errors.Is(err, net.ErrClosed) || isReset(err)
}
