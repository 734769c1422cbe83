package server

import (
	"net"
	"testing"
	"time"

	"github.com/msnbench/msnbench/msnp"
)

// loopConn is a net.Conn that reads the same bytes forever and discards
// what is written, so a session can be driven without a socket.
type loopConn struct {
	in  []byte
	off int
}

func (l *loopConn) Read(p []byte) (int, error) {
	n := copy(p, l.in[l.off:])
	l.off = (l.off + n) % len(l.in)
	return n, nil
}
func (l *loopConn) Write(p []byte) (int, error)      { return len(p), nil }
func (l *loopConn) Close() error                     { return nil }
func (l *loopConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (l *loopConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (l *loopConn) SetDeadline(time.Time) error      { return nil }
func (l *loopConn) SetReadDeadline(time.Time) error  { return nil }
func (l *loopConn) SetWriteDeadline(time.Time) error { return nil }

// TestCommandAllocs guards the command path of a logged-in session: reading
// a command and answering it (PNG, a 20-contact SYN, CHG with presence
// fan-out, QRY) allocates nothing.
func TestCommandAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	s := newServer(t, Config{Accounts: 100, Password: "pw", Contacts: 20})
	// Every watcher of user0 is online, so a CHG fans out to 20 sessions.
	for k := range s.dir.offsets {
		w := newConn(s, &loopConn{in: []byte("x")}, roleNS)
		w.status.Store(1)
		s.online[s.dir.watcher(0, k)].Store(w)
	}
	var qry [32]byte
	msnp.QRYHash(&qry, []byte("15570131571988941333"), []byte(msnp.DefaultQRYKey))
	tests := []struct{ name, in string }{
		{"PNG", "PNG\r\n"},
		{"SYN", "SYN 8 0\r\n"},
		{"CHG", "CHG 9 NLN\r\nCHG 10 BSY\r\n"},
		{"QRY", "QRY 11 msmsgs@msnmsgr.com 32\r\n" + string(qry[:])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lc := &loopConn{in: []byte(tt.in)}
			c := newConn(s, lc, roleNS)
			c.rd = msnp.NewReader(c, msnp.FromClient, 4096)
			c.out = make([]byte, 0, 1024)
			c.scratch = make([]byte, 0, 256)
			c.chl = append(make([]byte, 0, 32), "15570131571988941333"...)
			c.state, c.acct, c.dialect, c.lastCmd = stOnline, 0, 7, time.Now()
			c.status.Store(1)
			allocs := testing.AllocsPerRun(200, func() {
				c.chlPending, c.chlDue = true, time.Now().Add(time.Hour)
				cmd, err := c.rd.Next()
				if err != nil {
					t.Fatal(err)
				}
				if !c.handle(cmd) {
					t.Fatalf("%q ended the session", cmd.Line)
				}
			})
			if allocs != 0 {
				t.Errorf("%s: %.1f allocations per command, want 0", tt.name, allocs)
			}
		})
	}
}

// TestRelayAllocs guards the switchboard's message path: reading MSG,
// relaying it to the other participant and answering ACK allocates nothing.
func TestRelayAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	s := newServer(t, Config{Accounts: 3, Password: "pw", SBAddr: "127.0.0.1:0"})
	for _, in := range []string{"MSG 1 A 5\r\nhello", "MSG 2 N 5\r\nhello", "MSG 3 U 5\r\nhello"} {
		c := newConn(s, &loopConn{in: []byte(in)}, roleSB)
		c.rd = msnp.NewReader(c, msnp.FromClient, 4096)
		c.out = make([]byte, 0, 1024)
		c.scratch = make([]byte, 0, 256)
		c.lastCmd = time.Now()
		w := newConn(s, &loopConn{in: []byte("x")}, roleSB)
		c.acct, w.acct = 0, 1
		c.sb = &sbSession{id: 1, members: []*conn{c, w}}
		allocs := testing.AllocsPerRun(200, func() {
			cmd, err := c.rd.Next()
			if err != nil {
				t.Fatal(err)
			}
			if !c.handle(cmd) {
				t.Fatalf("%q ended the session", cmd.Line)
			}
		})
		if allocs != 0 {
			t.Errorf("%q: %.1f allocations per message, want 0", in, allocs)
		}
	}
	if st := s.Stats(); st.SBMessages < 600 || st.SBNaks != 0 {
		t.Errorf("stats %v", st)
	}
}
