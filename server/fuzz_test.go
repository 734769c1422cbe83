package server

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// fuzzConfig logs user0 in with the fixed challenge of MSNP.md §5, so the
// fuzzer can reach the post-login states from the seeds.
func fuzzConfig() Config {
	cfg := goldenConfig()
	cfg.DSAddr, cfg.UsersFile, cfg.Accounts, cfg.Password = "", "", 3, "password"
	cfg.Contacts = 2
	cfg.MaxLine = 256
	cfg.ReadTimeout = 20 * time.Millisecond
	cfg.IdleTimeout = 20 * time.Millisecond
	cfg.CHLTimeout = 20 * time.Millisecond
	// Tiny delays, so replies also go through the waker.
	cfg.PhaseDelay = map[Phase]time.Duration{PhasePNG: 50 * time.Microsecond, PhaseSYN: 30 * time.Microsecond}
	return cfg
}

const fuzzLogin = "VER 1 MSNP7 MSNP6 CVR0\r\nINF 2\r\nUSR 3 MD5 I user0@example.com\r\n" +
	"USR 4 MD5 S 7f919fab309532df353c901430df36fa\r\n"

// FuzzConn feeds arbitrary client bytes to one connection of a real server
// (over net.Pipe) and requires that the server neither panics nor hangs:
// every connection must end, and Close must return once fuzzing is over.
func FuzzConn(f *testing.F) {
	f.Add([]byte(fuzzLogin + "SYN 5 0\r\nCHG 6 NLN\r\nQRY 7 msmsgs@msnmsgr.com 32\r\n" +
		"8f2f5a91b72102cd28355e9fc9000d6ePNG\r\nOUT\r\n"))
	f.Add([]byte(fuzzLogin + "GTC 5 N\r\nBLP 6 BL\r\nCVR 7 a b c d e f\r\nUSR 8 MD5 I x\r\nVER 9 MSNP2\r\nPNG\r\n"))
	f.Add([]byte("VER 1 MSNP2 CVR0\nINF 2\nUSR 3 MD5 I user1@example.com\nUSR 4 MD5 S 0\n"))
	f.Add([]byte("MSG 1 N 5\r\nhello"))
	f.Add([]byte("QRY 1 x 99999999\r\n"))
	f.Add([]byte(strings.Repeat("A", 1000)))
	f.Add([]byte("\r\n\r\n\t \r\nVER\r\nVER 99999999999 MSNP7\r\n"))
	f.Add([]byte{0, 1, 2, 0xff, '\n'})
	s := fuzzServer(f, fuzzConfig())
	f.Fuzz(func(t *testing.T, in []byte) { fuzzFeed(t, s, roleNS, in) })
}

// FuzzSBConn is FuzzConn for a switchboard connection. Before every input
// the server holds a login cookie "1.1.1" for user0 and an invitation
// cookie "2.2.2" for user1 to session 7, whose one participant (user2)
// discards what it is sent, so the seeds reach the joined states.
func FuzzSBConn(f *testing.F) {
	f.Add([]byte("USR 1 user0@example.com 1.1.1\r\nCAL 2 user1@example.com\r\nMSG 3 A 2\r\nhiMSG 4 N 1\r\nxOUT\r\n"))
	f.Add([]byte("ANS 1 user1@example.com 2.2.2 7\r\nMSG 2 A 5\r\nhelloMSG 3 U 0\r\nCAL 4 user2@example.com\r\n"))
	f.Add([]byte("ANS 1 user1@example.com 2.2.2 8\r\n"))
	f.Add([]byte("USR 1 user0@example.com 1.1.1\r\nUSR 2 user0@example.com 1.1.1\r\nMSG 3 A 99999\r\n"))
	f.Add([]byte("USR 1 user0@example.com 1.1.1\r\nMSG 3 Q 1\r\nx"))
	f.Add([]byte("CAL 1 user1@example.com\r\n"))
	cfg := fuzzConfig()
	cfg.SBAddr = "127.0.0.1:0"
	s := fuzzServer(f, cfg)
	other := newConn(s, &loopConn{in: []byte("x")}, roleSB)
	other.acct = 2
	f.Fuzz(func(t *testing.T, in []byte) {
		sess := &sbSession{id: 7, members: []*conn{other}}
		s.sbs.mu.Lock()
		s.sbs.cookies["1.1.1"] = sbCookie{acct: 0, expires: s.cfg.Now().Add(time.Hour)}
		s.sbs.cookies["2.2.2"] = sbCookie{acct: 1, sess: sess, expires: s.cfg.Now().Add(time.Hour)}
		s.sbs.mu.Unlock()
		fuzzFeed(t, s, roleSB, in)
	})
}

// fuzzServer starts the one server of a fuzz process (a listener per input
// would exhaust loopback ports on a machine that also runs load tests; what
// is fuzzed is the connection, new for every input) and requires that Close
// returns once fuzzing is over.
func fuzzServer(f *testing.F, cfg Config) *Server {
	s, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		closed := make(chan struct{})
		go func() { s.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			panic("server Close hung after fuzzing")
		}
	})
	return s
}

// fuzzFeed writes in to a new connection of role over net.Pipe and requires
// that the server ends the connection once the input has run out.
func fuzzFeed(t *testing.T, s *Server, r role, in []byte) {
	cli, srv := net.Pipe()
	if !s.start(srv, r) {
		t.Fatal("server closed")
	}
	go func() {
		cli.Write(in)
	}()
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, cli)
		done <- err
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("connection still open 10s after the input ended")
	}
	cli.Close()
}
