package server

import (
	"net"
	"strings"
	"testing"
	"time"
)

// sbPair sets up alice and bob (user0, user1) in one switchboard session
// and returns their switchboard connections.
func sbPair(t testing.TB, s *Server) (asb, bsb *tclient) {
	t.Helper()
	alice := online(t, s, 0, 0)
	bob := online(t, s, 1, 1, alice)
	asb = sbOpen(t, s, alice, "user0@example.com")
	asb.send("CAL 2 user1@example.com")
	asb.expectPrefix("CAL 2 RINGING ")
	bsb = sbJoin(t, s, bob, "user1@example.com", "IRO 1 1 1 user0@example.com user0%40example.com")
	asb.expect("JOI user1@example.com user1%40example.com")
	return asb, bsb
}

// sbConns counts the server's open switchboard connections.
func sbConns(s *Server) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c := range s.conns {
		if c.role == roleSB {
			n++
		}
	}
	return n
}

// TestSwitchboardHostile checks that a participant that misbehaves is
// closed cleanly and the other one told BYE: a close in the middle of a
// message's payload, a payload that never completes, a payload or a line
// over the caps, a malformed MSG, an ANS for an unknown session; and that
// no switchboard connection is left behind.
func TestSwitchboardHostile(t *testing.T) {
	var clk fakeClock
	cfg := sbConfig(&clk)
	cfg.ReadTimeout = 100 * time.Millisecond
	cfg.MaxLine = 128
	cfg.MaxPayload = 256
	tests := []struct {
		name string
		send string
		stat func(Stats) uint64
	}{
		{"close mid-payload", "MSG 5 A 100\r\nonly part of it", nil},
		{"truncated payload", "MSG 5 A 100\r\nonly part of it", func(st Stats) uint64 { return st.Timeouts }},
		{"payload over cap", "MSG 5 A 257\r\n", func(st Stats) uint64 { return st.LineTooLong }},
		{"line over cap", "MSG 5 A " + strings.Repeat("9", 200) + "\r\n", func(st Stats) uint64 { return st.LineTooLong }},
		{"bad ack type", "MSG 5 X 1\r\nx", func(st Stats) uint64 { return st.ProtocolViolations }},
		{"bad length", "MSG 5 A -1\r\n", func(st Stats) uint64 { return st.ProtocolViolations }},
		{"unknown command", "ZZZ 5\r\n", func(st Stats) uint64 { return st.ProtocolViolations }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, cfg)
			asb, bsb := sbPair(t, s)
			if _, err := bsb.nc.Write([]byte(tt.send)); err != nil {
				t.Fatal(err)
			}
			if tt.stat == nil {
				bsb.nc.Close()
			} else {
				bsb.expectClosed()
			}
			asb.expect("BYE user1@example.com")
			if tt.stat != nil && tt.stat(s.Stats()) == 0 {
				t.Errorf("not counted: %v", s.Stats())
			}
			asb.send("MSG 6 A 1\r\nx")
			asb.expect("NAK 6") // alone now
			asb.nc.Close()
			waitFor(t, "switchboard connections to close", func() bool { return sbConns(s) == 0 })
		})
	}
	t.Run("ans unknown session", func(t *testing.T) {
		s := newServer(t, cfg)
		for _, line := range []string{
			"ANS 1 user1@example.com 1.2.3 42", "ANS 1 user1@example.com 1.2.3 x", "ANS 1 user1@example.com 1.2.3 0",
		} {
			c := dial(t, s.SBAddr())
			c.send(line)
			c.expect("911 1")
			c.expectClosed()
		}
		c := dial(t, s.SBAddr())
		c.send("ANS 1 user1@example.com") // too few parameters
		c.expectClosed()
		waitFor(t, "switchboard connections to close", func() bool { return sbConns(s) == 0 })
	})
}

// TestSwitchboardFlood floods MSG at a participant that does not read: the
// server drops that participant after the write timeout instead of
// buffering without bound, the sender gets BYE and NAKs, and nothing is left
// behind when both are gone.
func TestSwitchboardFlood(t *testing.T) {
	var clk fakeClock
	cfg := sbConfig(&clk)
	cfg.WriteTimeout = 100 * time.Millisecond
	s := newServer(t, cfg)
	asb, bsb := sbPair(t, s)
	bsb.nc.(*net.TCPConn).SetReadBuffer(4096) // bob never reads from here on
	s.mu.Lock()
	for c := range s.conns {
		if c.role == roleSB && c.acct == 1 {
			c.nc.(*net.TCPConn).SetWriteBuffer(4096)
		}
	}
	s.mu.Unlock()
	msg := []byte("MSG 1 N 200\r\n" + strings.Repeat("x", 200))
	stop := make(chan struct{})
	flooded := make(chan int, 1)
	go func() {
		n := 0
		defer func() { flooded <- n }()
		for ; n < 50000; n++ { // ≤ 10 MB: the bound, never reached
			select {
			case <-stop:
				return
			default:
			}
			if _, err := asb.nc.Write(msg); err != nil {
				return
			}
		}
	}()
	naks := 0
	for {
		cmd, err := asb.next()
		if err != nil {
			t.Fatalf("after %d NAKs: %v", naks, err)
		}
		if cmd.Is("NAK") {
			naks++
			continue
		}
		if string(cmd.Line) != "BYE user1@example.com" {
			t.Fatalf("got %q", cmd.Line)
		}
		break
	}
	close(stop)
	n := <-flooded
	if n == 50000 {
		t.Errorf("the whole flood went through to a participant that does not read")
	}
	if st := s.Stats(); st.Timeouts == 0 {
		t.Errorf("the write timeout was not counted: %v", st)
	}
	asb.nc.Close()
	bsb.nc.Close()
	waitFor(t, "switchboard connections to close", func() bool { return sbConns(s) == 0 })
}

// TestSwitchboardFaults checks that the delay, error and close knobs reach
// the sb.* phases.
func TestSwitchboardFaults(t *testing.T) {
	var clk fakeClock
	t.Run("error sb.xfr", func(t *testing.T) {
		cfg := sbConfig(&clk)
		cfg.ErrorCode, cfg.ErrorRate, cfg.ErrorPhases, cfg.ErrorKeepOpen = 281, 1, PhaseSetOf(PhaseSBXFR), true
		s := newServer(t, cfg)
		a := online(t, s, 0, 0)
		a.send("XFR 20 SB")
		a.expect("281 20")
		a.send("PNG")
		a.expect("QNG")
	})
	t.Run("error sb.cal", func(t *testing.T) {
		cfg := sbConfig(&clk)
		cfg.ErrorCode, cfg.ErrorRate, cfg.ErrorPhases, cfg.ErrorKeepOpen = 500, 1, PhaseSetOf(PhaseSBCAL), true
		s := newServer(t, cfg)
		a := online(t, s, 0, 0)
		online(t, s, 1, 1, a)
		asb := sbOpen(t, s, a, "user0@example.com")
		asb.send("CAL 2 user1@example.com")
		asb.expect("500 2")
		asb.send("MSG 3 A 1\r\nx")
		asb.expect("NAK 3")
		if st := s.Stats(); st.ErrorsInjected != 1 || st.SBCalls != 0 {
			t.Errorf("stats %v", st)
		}
	})
	t.Run("close sb.msg", func(t *testing.T) {
		cfg := sbConfig(&clk)
		cfg.CloseRate, cfg.ClosePhases = 1, PhaseSetOf(PhaseSBMSG)
		s := newServer(t, cfg)
		asb, bsb := sbPair(t, s)
		bsb.send("MSG 2 A 1\r\nx")
		bsb.expectClosed()
		asb.expect("BYE user1@example.com")
		if st := s.Stats(); st.ClosesInjected != 1 || st.SBMessages != 0 {
			t.Errorf("stats %v", st)
		}
	})
	t.Run("delay sb.usr sb.ans", func(t *testing.T) {
		cfg := sbConfig(&clk)
		cfg.PhaseDelay = map[Phase]time.Duration{PhaseSBUSR: time.Millisecond, PhaseSBANS: time.Millisecond}
		s := newServer(t, cfg)
		sbPair(t, s)
		if st := s.Stats(); st.Delayed != 2 {
			t.Errorf("delayed %d replies, want 2 (USR, ANS): %v", st.Delayed, st)
		}
	})
}
