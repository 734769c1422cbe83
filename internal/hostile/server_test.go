package hostile

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/msnbench/msnbench/internal/testwait"
	"github.com/msnbench/msnbench/msnp"
)

// hang bounds every read in these tests: far longer than any reply takes,
// short enough that a broken server fails the test instead of hanging it.
const hang = 10 * time.Second

// client is a bare MSNP client for checking the server byte by byte.
type client struct {
	t  *testing.T
	c  net.Conn
	rd *msnp.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{t: t, c: c, rd: msnp.NewReader(c, msnp.FromServer, 0)}
}

func (cl *client) send(line string) {
	cl.t.Helper()
	if _, err := cl.c.Write([]byte(line + "\r\n")); err != nil {
		cl.t.Fatal(err)
	}
}

// next reads one command within d.
func (cl *client) next(d time.Duration) (*msnp.Command, error) {
	_ = cl.c.SetReadDeadline(time.Now().Add(d))
	return cl.rd.Next()
}

// expect reads one command and checks its line.
func (cl *client) expect(want string) *msnp.Command {
	cl.t.Helper()
	cmd, err := cl.next(hang)
	if err != nil {
		cl.t.Fatalf("want %q, got error %v", want, err)
	}
	if got := string(cmd.Line); got != want {
		cl.t.Fatalf("got %q, want %q", got, want)
	}
	return cmd
}

func newServer(t *testing.T, sc Script) *Server {
	t.Helper()
	s, err := New(sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestCorrectLogin(t *testing.T) {
	s := newServer(t, Script{})
	ds := dial(t, s.Addr())
	ds.send("VER 1 MSNP7 MSNP6 CVR0")
	ds.expect("VER 1 MSNP7")
	ds.send("INF 2")
	ds.expect("INF 2 MD5")
	ds.send("USR 3 MD5 I alice@example.com")
	ds.expect("XFR 3 NS " + s.NSAddr() + " 0 " + s.Addr())
	if _, err := ds.next(hang); err != io.EOF {
		t.Fatalf("dispatch after XFR: got %v, want EOF", err)
	}

	ns := dial(t, s.NSAddr())
	ns.send("VER 4 MSNP7 MSNP6 CVR0")
	ns.expect("VER 4 MSNP7")
	ns.send("INF 5")
	ns.expect("INF 5 MD5")
	ns.send("USR 6 MD5 I alice@example.com")
	ns.expect("USR 6 MD5 S 1013928519.693957190")
	ns.send("USR 7 MD5 S 7f919fab309532df353c901430df36fa")
	ns.expect("USR 7 OK alice@example.com alice@example.com 1")
	if msg := ns.expect("MSG Hotmail Hotmail 95"); string(msg.Payload) != profile {
		t.Fatalf("profile payload %q", msg.Payload)
	}
	ns.send("SYN 8 0")
	var last string
	for !strings.HasPrefix(last, "LST 8 RL") {
		cmd, err := ns.next(hang)
		if err != nil {
			t.Fatal(err)
		}
		last = string(cmd.Line)
	}
	if last != "LST 8 RL 1 1 1 bob@example.com Bob" {
		t.Fatalf("end of list %q", last)
	}
	ns.send("CHG 9 NLN")
	ns.expect("CHG 9 NLN")
	ns.expect("ILN 9 NLN bob@example.com Bob")
	ns.send("PNG")
	ns.expect("QNG")
	ns.send("OUT")
	if _, err := ns.next(hang); err != io.EOF {
		t.Fatalf("after OUT: got %v, want EOF", err)
	}
	if st := s.Stats(); st.Logins != 1 || st.Accepted != 2 || st.Fired != 0 {
		t.Fatalf("stats %+v", st)
	}
	got := string(s.Received())
	for _, want := range []string{"VER 1 MSNP7 MSNP6 CVR0\r\n", "USR 7 MD5 S 7f919fab309532df353c901430df36fa\r\n",
		"PNG\r\nOUT\r\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("Received() lacks %q:\n%s", want, got)
		}
	}
}

func TestDialects(t *testing.T) {
	tests := []struct {
		max           msnp.Dialect
		offer, verRep string
		syn           []string
	}{
		{2, "MSNP7 MSNP2 CVR0", "VER 1 MSNP2", []string{"SYN 2 1", "GTC 2 1 A", "BLP 2 1 AL",
			"LST 2 FL 1 1 1 bob@example.com Bob", "LST 2 AL 1 1 1 bob@example.com Bob", "LST 2 BL 1 0 0",
			"LST 2 RL 1 1 1 bob@example.com Bob"}},
		{5, "MSNP7 MSNP6 MSNP5 CVR0", "VER 1 MSNP5", []string{"SYN 2 1", "GTC 2 1 A", "BLP 2 1 AL",
			"PRP 2 1 PHH", "LST 2 FL 1 1 1 bob@example.com Bob", "BPR 1 bob@example.com PHH",
			"LST 2 AL 1 1 1 bob@example.com Bob", "LST 2 BL 1 0 0", "LST 2 RL 1 1 1 bob@example.com Bob"}},
		{7, "MSNP7", "VER 1 MSNP7", []string{"SYN 2 1", "GTC 2 1 A", "BLP 2 1 AL", "PRP 2 1 PHH",
			"LSG 2 1 1 1 0 Other%20Contacts 0", "LST 2 FL 1 1 1 bob@example.com Bob 0", "BPR 1 bob@example.com PHH",
			"LST 2 AL 1 1 1 bob@example.com Bob", "LST 2 BL 1 0 0", "LST 2 RL 1 1 1 bob@example.com Bob"}},
	}
	for _, tt := range tests {
		t.Run(tt.verRep, func(t *testing.T) {
			s := newServer(t, Script{Dialect: tt.max})
			ns := dial(t, s.NSAddr())
			ns.send("VER 1 " + tt.offer)
			ns.expect(tt.verRep)
			ns.send("SYN 2 0")
			for _, want := range tt.syn {
				ns.expect(want)
			}
		})
	}
	t.Run("none in common", func(t *testing.T) {
		s := newServer(t, Script{Dialect: 5})
		ns := dial(t, s.NSAddr())
		ns.send("VER 1 MSNP7 CVR0")
		ns.expect("VER 1 0")
		if _, err := ns.next(hang); err != io.EOF {
			t.Fatalf("got %v, want EOF", err)
		}
	})
}

// TestActions checks what each action puts on the wire, at ns.ver.
func TestActions(t *testing.T) {
	isProto := func(err error) bool { var pe *msnp.ProtocolError; return errors.As(err, &pe) }
	isTimeout := func(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }
	tests := []struct {
		act  Action
		arg  string
		want []string // lines before the outcome
		end  func(error) bool
	}{
		{Close, "", nil, func(err error) bool { return err == io.EOF }},
		{Reset, "", nil, func(err error) bool { return errors.Is(err, syscall.ECONNRESET) }},
		{Stall, "", nil, isTimeout},
		{Garbage, "", nil, isProto},
		{Garbage, "hello\r\n", nil, isProto},
		{LongLine, "", nil, isProto},
		{LongLine, "9000", nil, isProto},
		{Unterminated, "", nil, isTimeout},
		{Endless, "", nil, isProto},
		{Drip, "1ms", []string{"VER 1 MSNP7"}, isTimeout},
		{BadLength, "long", nil, isTimeout},
		{BadLength, "NOT short", []string{"NOT 5"}, isProto},
		{BadLength, "IPG negative", nil, isProto},
		{BadLength, "huge", nil, isProto},
		{BadLength, "nan", nil, isProto},
		{WrongTrID, "", []string{"VER 1001 MSNP7"}, isTimeout},
		{Unknown, "", []string{"ZZZ 0 what%20is%20this", "QQQ", "VER 1 MSNP7"}, isTimeout},
		{Inject, "NLN", []string{"NLN NLN bob@example.com Bob", "VER 1 MSNP7"}, isTimeout},
		{Inject, "NOT", []string{"NOT 29", "VER 1 MSNP7"}, isTimeout},
		{Inject, "OTH", []string{"OUT OTH", "VER 1 MSNP7"}, isTimeout},
		{Inject, "FOO 0 bar", []string{"FOO 0 bar", "VER 1 MSNP7"}, isTimeout},
		{Error, "600", nil, func(err error) bool {
			var se *msnp.ServerError
			return errors.As(err, &se) && se.Code == 600 && se.TrID == 1
		}},
		{Replace, "VER {t} 0 {t}", []string{"VER 1 0 1"}, isTimeout},
		{Flood, "", []string{"NLN NLN bob@example.com Bob", "NLN NLN bob@example.com Bob"}, func(err error) bool {
			return err == nil // more NLN: the flood goes on
		}},
		{Chatter, "", []string{"VER 1 MSNP7", "NLN BSY carol@example.com Carol", "NLN BSY carol@example.com Carol"},
			func(err error) bool { return err == nil }},
		{XFR, "zero", []string{"XFR 1 NS 0 0 {ds}"}, func(err error) bool { return err == io.EOF }},
		{XFR, "noport", []string{"XFR 1 NS 127.0.0.1 0 {ds}"}, func(err error) bool { return err == io.EOF }},
	}
	for _, tt := range tests {
		sc := Script{Phase: NSVer, Action: tt.act, Arg: tt.arg}
		t.Run(sc.String(), func(t *testing.T) {
			t.Parallel()
			s := newServer(t, sc)
			ns := dial(t, s.NSAddr())
			ns.send("VER 1 MSNP7 CVR0")
			for _, w := range tt.want {
				ns.expect(strings.ReplaceAll(w, "{ds}", s.Addr()))
			}
			// The short deadline only decides how long "nothing more
			// comes" is watched; it cannot turn a wrong reply into a pass.
			_, err := ns.next(300 * time.Millisecond)
			if !tt.end(err) {
				t.Fatalf("outcome: got %v", err)
			}
			if st := s.Stats(); st.Fired != 1 {
				t.Fatalf("fired %d times, want 1", st.Fired)
			}
		})
	}
}

func TestXFRAddresses(t *testing.T) {
	s := newServer(t, Script{Phase: DSUsr, Action: XFR, Arg: "self"})
	ds := dial(t, s.Addr())
	ds.send("USR 1 MD5 I a@b.c")
	ds.expect("XFR 1 NS " + s.Addr() + " 0 " + s.Addr())

	s2 := newServer(t, Script{Phase: DSUsr, Action: XFR, Arg: "refused"})
	ds = dial(t, s2.Addr())
	ds.send("USR 1 MD5 I a@b.c")
	ds.expect("XFR 1 NS " + s2.RefusedAddr() + " 0 " + s2.Addr())
	if c, err := net.Dial("tcp", s2.RefusedAddr()); err == nil {
		c.Close()
		if runtime.GOOS != "windows" && runtime.GOOS != "plan9" {
			t.Fatal("the refused address accepted a connection: it is reserved on Unix")
		}
		t.Skip("another process took the refused port")
	} else if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial refused address: %v", err)
	}
	// On Unix the port is reserved for the server's life: no other server
	// (another package's test) can listen there and answer instead.
	if runtime.GOOS != "windows" && runtime.GOOS != "plan9" {
		if l, err := net.Listen("tcp", s2.RefusedAddr()); err == nil {
			l.Close()
			t.Fatal("another listener could bind the refused address")
		}
		s2.Close()
		l, err := net.Listen("tcp", s2.RefusedAddr())
		if err != nil {
			t.Fatalf("the refused address stayed reserved after Close: %v", err)
		}
		l.Close()
	}
}

func TestTimes(t *testing.T) {
	s := newServer(t, Script{Phase: DSVer, Action: Close, Times: 2})
	for i := range 3 {
		ds := dial(t, s.Addr())
		ds.send("VER 1 MSNP7")
		cmd, err := ds.next(hang)
		if i < 2 && err != io.EOF {
			t.Fatalf("connection %d: got %v, want EOF", i, err)
		}
		if i == 2 && (err != nil || string(cmd.Line) != "VER 1 MSNP7") {
			t.Fatalf("connection %d: got %v", i, err)
		}
	}
	if st := s.Stats(); st.Fired != 2 {
		t.Fatalf("fired %d, want 2", st.Fired)
	}
}

func TestQryPhase(t *testing.T) {
	s := newServer(t, Script{Phase: Qry, Action: Error, Arg: "540"})
	ns := dial(t, s.NSAddr())
	ns.send("CHG 1 NLN")
	ns.expect("CHG 1 NLN")
	ns.expect("ILN 1 NLN bob@example.com Bob")
	ns.expect("CHL 0 15570131571988941333")
	var d [32]byte
	msnp.QRYHash(&d, []byte("15570131571988941333"), []byte(msnp.DefaultQRYKey))
	if _, err := ns.c.Write(msnp.AppendQRY(nil, 2, []byte(msnp.DefaultQRYClientID), &d)); err != nil {
		t.Fatal(err)
	}
	_, err := ns.next(hang)
	var se *msnp.ServerError
	if !errors.As(err, &se) || se.Code != 540 {
		t.Fatalf("got %v, want 540", err)
	}
}

// TestCloseReleases leaves connections in every blocking state and checks
// that Close ends them and every goroutine of the server.
func TestCloseReleases(t *testing.T) {
	before := runtime.NumGoroutine()
	for _, sc := range []Script{
		{Phase: NSVer, Action: Stall},
		{Phase: NSVer, Action: Endless},
		{Phase: NSVer, Action: Flood},
		{Phase: NSVer, Action: Chatter, Arg: "1ms"},
		{Phase: NSVer, Action: Drip, Arg: "1h"},
		{Phase: NSVer, Action: Error, Arg: "911"},
		{},
	} {
		s, err := New(sc)
		if err != nil {
			t.Fatal(err)
		}
		c, err := net.Dial("tcp", s.NSAddr())
		if err != nil {
			t.Fatal(err)
		}
		// The client never reads: Endless blocks in Write, Drip in sleep.
		if _, err := c.Write([]byte("VER 1 MSNP7\r\n")); err != nil {
			t.Fatal(err)
		}
		if !testwait.Until(t, hang, "the misbehaviour to start", func() (bool, string) {
			return s.Stats().Fired != 0 || sc.Action == None, ""
		}) {
			t.FailNow()
		}
		s.Close()
		if st := s.Stats(); st.Open != 0 {
			t.Fatalf("%v: %d connections open after Close", sc, st.Open)
		}
		c.Close()
	}
	testwait.Until(t, hang, "the server's goroutines to end", func() (bool, string) {
		n := runtime.NumGoroutine()
		return n <= before, fmt.Sprintf("%d goroutines after Close, %d before", n, before)
	})
}

func TestNewRejects(t *testing.T) {
	for _, sc := range []Script{
		{Phase: "ns.nope", Action: Close},
		{Phase: NSVer, Action: Error, Arg: "abc"},
		{Phase: NSVer, Action: Error, Arg: "42"},
		{Phase: NSVer, Action: Drip, Arg: "soon"},
		{Phase: NSVer, Action: LongLine, Arg: "-1"},
		{Phase: NSVer, Action: BadLength, Arg: "QRY long"},
		{Phase: NSVer, Action: BadLength, Arg: "a b c"},
		{Phase: NSVer, Action: Inject},
		{Phase: NSVer, Action: Replace},
		{Phase: NSVer, Action: numActions},
		{Phase: NSVer, Action: Close, Times: -1},
		{Dialect: 8},
	} {
		if s, err := New(sc); err == nil {
			s.Close()
			t.Errorf("New(%+v) succeeded, want an error", sc)
		}
	}
}
