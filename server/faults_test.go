package server

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/msnbench/msnbench/msnp"
)

// TestErrorInjection uses rates 1 and 0 only, so every outcome is certain.
func TestErrorInjection(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		script []string // client lines
		want   []string // server lines, one per client line (the last may be the injected error)
		closed bool
	}{
		{"600 at ns.usr.i", Config{ErrorCode: 600, ErrorRate: 1, ErrorPhases: PhaseSetOf(PhaseNSUSRI)},
			[]string{"VER 1 MSNP7", "INF 2", "USR 3 MD5 I user0@example.com"},
			[]string{"VER 1 MSNP7", "INF 2 MD5", "600 3"}, true},
		{"911 at ns.ver", Config{ErrorCode: 911, ErrorRate: 1, ErrorPhases: PhaseSetOf(PhaseNSVER)},
			[]string{"VER 1 MSNP7"}, []string{"911 1"}, true},
		{"rate 0", Config{ErrorCode: 600, ErrorRate: 0, ErrorPhases: AllPhases},
			[]string{"VER 1 MSNP7", "INF 2", "VER 3 MSNP7"}, []string{"VER 1 MSNP7", "INF 2 MD5", "715 3"}, true},
		{"close at ns.inf", Config{CloseRate: 1, ClosePhases: PhaseSetOf(PhaseNSINF)},
			[]string{"VER 1 MSNP7", "INF 2"}, []string{"VER 1 MSNP7"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Accounts, tt.cfg.Password = 1, "pw"
			s := newServer(t, tt.cfg)
			c := dial(t, s.Addr())
			for i, l := range tt.script {
				c.send(l)
				if i < len(tt.want) {
					c.expect(tt.want[i])
				}
			}
			if tt.closed {
				c.expectClosed()
			}
		})
	}

	t.Run("default phase is ns.usr.s", func(t *testing.T) {
		s := newServer(t, Config{Accounts: 1, Password: "pw", ErrorCode: 921, ErrorRate: 1, DSAddr: "127.0.0.1:0"})
		c := dial(t, s.Addr())
		c.send("VER 1 MSNP7")
		c.expect("VER 1 MSNP7")
		c.send("USR 2 MD5 I user0@example.com")
		c.expectPrefix("XFR 2 NS ")
		c = dial(t, s.NSAddr())
		c.send("VER 3 MSNP7")
		c.expect("VER 3 MSNP7")
		c.send("USR 4 MD5 I user0@example.com")
		c.expectPrefix("USR 4 MD5 S ")
		c.send("USR 5 MD5 S 00000000000000000000000000000000")
		c.expect("921 5")
		c.expectClosed()
		if st := s.Stats(); st.ErrorsInjected != 1 || st.AuthFailures != 0 {
			t.Errorf("stats %v", st)
		}
	})

	t.Run("kept open after error", func(t *testing.T) {
		s := newServer(t, Config{Accounts: 1, Password: "pw", ErrorCode: 500, ErrorRate: 1,
			ErrorPhases: PhaseSetOf(PhasePNG), ErrorKeepOpen: true})
		c := login(t, s.Addr(), "user0@example.com", "pw", "MSNP7 CVR0").c
		for i := 0; i < 3; i++ {
			c.send("PNG")
			c.expect("500") // PNG has no TrID
		}
		c.send("SYN 9 1")
		c.expect("SYN 9 1")
		if st := s.Stats(); st.ErrorsInjected != 3 {
			t.Errorf("stats %v", st)
		}
	})

	t.Run("many logins at rate 0", func(t *testing.T) {
		s := newServer(t, Config{Accounts: 5, Password: "pw", ErrorCode: 600, CloseRate: 0,
			ErrorPhases: AllPhases, DSAddr: "127.0.0.1:0"})
		for i := 0; i < 20; i++ {
			login(t, s.Addr(), "user"+strconv.Itoa(i%5)+"@example.com", "pw", "MSNP7 CVR0")
		}
		if st := s.Stats(); st.ErrorsInjected != 0 || st.ClosesInjected != 0 || st.LoginsOK != 20 {
			t.Errorf("stats %v", st)
		}
	})
}

// TestDelays checks lower bounds only: a timer never fires early, while the
// machine may always be slower.
func TestDelays(t *testing.T) {
	s := newServer(t, Config{Accounts: 1, Password: "pw",
		PhaseDelay: map[Phase]time.Duration{PhaseSYN: 60 * time.Millisecond}})
	c := login(t, s.Addr(), "user0@example.com", "pw", "MSNP7 CVR0").c
	if d := s.Stats().Delayed; d != 0 {
		t.Fatalf("%d replies delayed before any SYN", d)
	}
	start := time.Now()
	c.send("SYN 9 1")
	c.expect("SYN 9 1")
	if el := time.Since(start); el < 60*time.Millisecond {
		t.Errorf("SYN answered after %v, before its 60ms delay", el)
	}
	c.send("PNG")
	c.expect("QNG")
	if d := s.Stats().Delayed; d != 1 {
		t.Errorf("%d replies delayed, want 1 (only the SYN)", d)
	}
	// The server's own lateness is kept for the delayed phase only.
	if l := s.Stats().DelayLate; len(l) != 1 || l[0].Phase != "ns.syn" || l[0].Replies != 1 ||
		l[0].P50Micros < 0 || l[0].MaxMicros < l[0].P50Micros {
		t.Errorf("DelayLate = %+v, want one ns.syn entry with 1 reply", l)
	}

	s2 := newServer(t, Config{Accounts: 1, Password: "pw", Delay: 20 * time.Millisecond,
		Jitter: 10 * time.Millisecond})
	start = time.Now()
	login(t, s2.Addr(), "user0@example.com", "pw", "MSNP7 CVR0") // VER, INF, USR I, USR S
	if el := time.Since(start); el < 80*time.Millisecond {
		t.Errorf("login took %v, less than 4 delayed replies of 20ms", el)
	}
}

func TestStall(t *testing.T) {
	s := newServer(t, Config{Accounts: 1, Password: "pw"})
	c := login(t, s.Addr(), "user0@example.com", "pw", "MSNP7 CVR0").c
	start := time.Now()
	s.Stall(100 * time.Millisecond)
	c.send("PNG")
	c.expect("QNG")
	if el := time.Since(start); el < 100*time.Millisecond {
		t.Errorf("reply after %v during a 100ms stall", el)
	}
	s.Stall(0)
	before := s.Stats().Delayed
	c.send("PNG")
	c.expect("QNG")
	if d := s.Stats().Delayed; d != before {
		t.Errorf("reply delayed after the stall ended")
	}

	// Close must not wait for a stall to end.
	s.Stall(time.Hour)
	c.send("PNG")
	waitFor(t, "reply held", func() bool { return s.Stats().Delayed > before })
	closeWithin(t, s, "Close hung on a stalled reply")
	c.expectPrefix("OUT SSD")
}

// TestDelayedRepliesStayWhole sends delayed 24 KB SYN answers to a client
// with a tiny receive buffer while a contact keeps changing status: presence
// lines may come between replies but never inside one, even when the waker
// could write only part of a reply at its deadline.
//
// One presence line meets a partial answer on purpose: the client reads
// nothing beyond the first answer's first line until the contact's push has
// found the write lock held over that answer (Server.lockWaited), so the
// line must come right after that answer's end. The other 19 SYNs go out
// one every five status changes and race them; a push waits for at most
// the answers then pending, never for 20 at once (a push gives up after
// pushTimeout, 2 s, which a loaded machine could spend on 300 KB through a
// 2 KB window).
func TestDelayedRepliesStayWhole(t *testing.T) {
	s := newServer(t, Config{Accounts: 200, Password: "pw", Contacts: 80,
		PhaseDelay: map[Phase]time.Duration{PhaseSYN: time.Millisecond}})
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { setRcvBuf(fd, 2048) })
	}}
	nc, err := d.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(testTimeout))
	a := &tclient{t: t, nc: nc}
	a.rd = msnp.NewReader(teeReader{nc, &a.raw}, msnp.FromServer, 0)
	a.send("VER 1 MSNP7")
	a.expect("VER 1 MSNP7")
	a.send("USR 2 MD5 I user0@example.com")
	ch := a.expectPrefix("USR 2 MD5 S ")
	var h [32]byte
	msnp.LoginHash(&h, ch.Arg(2), []byte("pw"))
	a.send("USR 3 MD5 S " + string(h[:]))
	a.expectPrefix("USR 3 OK ")
	a.expectPrefix("MSG ")
	a.send("CHG 4 NLN")
	a.expect("CHG 4 NLN")
	// A small send buffer on the server's side too (no autotuning), so
	// the waker's writes come out partial.
	s.mu.Lock()
	for c := range s.conns {
		if c.loggedIn.Load() && c.acct == 0 {
			c.nc.(*net.TCPConn).SetWriteBuffer(4096)
		}
	}
	s.mu.Unlock()
	// The contact logs in (hidden: no presence yet).
	b := login(t, s.Addr(), "user1@example.com", "pw", "MSNP7 CVR0").c
	waited := make(chan struct{})
	var once sync.Once
	hook := func(c *conn) {
		if c.acct == 0 {
			once.Do(func() { close(waited) })
		}
	}
	s.lockWaited.Store(&hook)

	const syns, changes = 20, 100
	a.send("SYN 9 0")
	// The first line of the first answer: its delay is over and the waker
	// has written part of it (the answer is about twice what both sockets'
	// buffers hold, a margin set by the buffer sizes, not by timing, and
	// the client reads no further for now), so the write lock stays held
	// until the client reads the rest.
	a.expectPrefix("SYN 9 ")
	b.send("CHG 10 NLN") // the server pushes NLN to a before it echoes
	select {
	case <-waited:
	case <-time.After(testTimeout):
		t.Fatal("the contact's presence never waited for the write lock held over a partial answer")
	}
	type result struct {
		presence, endsBefore int // presence lines; answers ended before the first
		err                  error
	}
	done := make(chan result, 1)
	// The client reads its answers while its contact changes status, until
	// it has all 20 and the 100 presence lines (CHG 10 and 99 toggles, each
	// a change).
	go func() {
		ends, presence, endsBefore := 0, 0, -1
		for ends < syns || presence < changes {
			cmd, err := a.rd.Next()
			if err != nil {
				done <- result{presence, endsBefore, fmt.Errorf("after %d SYN answers and %d presence lines: %w",
					ends, presence, err)}
				return
			}
			switch string(cmd.Name) {
			case "SYN", "GTC", "BLP", "PRP", "LSG", "BPR", "ILN":
			case "NLN", "FLN":
				if presence == 0 {
					endsBefore = ends
				}
				presence++
			case "LST":
				if string(cmd.Arg(0)) == "RL" && string(cmd.Arg(2)) == string(cmd.Arg(3)) {
					ends++
				}
			default:
				done <- result{presence, endsBefore, fmt.Errorf("unexpected %q", cmd.Line)}
				return
			}
		}
		done <- result{presence, endsBefore, nil}
	}()
	for { // the CHG 10 echo, once a has been told
		cmd, err := b.next()
		if err != nil {
			t.Fatal(err)
		}
		if cmd.Is("CHG") {
			break
		}
	}
	sent := 1
	for i := 1; i < changes; i++ {
		if i%5 == 0 && sent < syns {
			a.send("SYN 9 0")
			sent++
		}
		b.toggleStatus(i)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.presence == 0 {
		t.Errorf("no presence line reached the client")
	}
	if r.endsBefore != 1 {
		t.Errorf("the first presence line came after %d whole answers, want right after the first: it waited "+
			"for the lock held over that answer", r.endsBefore)
	}
}
