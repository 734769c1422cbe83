package server

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msnbench/msnbench/internal/testwait"
	"github.com/msnbench/msnbench/msnp"
)

// testTimeout is a generous upper bound against hangs, never a measure.
const testTimeout = 20 * time.Second

// tclient is a minimal MSNP client for tests: it sends lines and reads
// replies with msnp.Reader, recording every byte it received in raw.
type tclient struct {
	t    testing.TB
	nc   net.Conn
	rd   *msnp.Reader
	raw  bytes.Buffer
	trid uint32
}

type teeReader struct {
	r io.Reader
	w *bytes.Buffer
}

func (t teeReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.w.Write(p[:n])
	return n, err
}

func dial(t testing.TB, addr string) *tclient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	nc.SetDeadline(time.Now().Add(testTimeout))
	c := &tclient{t: t, nc: nc}
	c.rd = msnp.NewReader(teeReader{nc, &c.raw}, msnp.FromServer, 0)
	t.Cleanup(func() { nc.Close() })
	return c
}

// next returns the next command; server error replies come back as commands
// too (with Code set).
func (c *tclient) next() (*msnp.Command, error) {
	cmd, err := c.rd.Next()
	var se *msnp.ServerError
	if errors.As(err, &se) {
		return cmd, nil
	}
	return cmd, err
}

// send writes one line with CRLF.
func (c *tclient) send(line string) {
	c.t.Helper()
	if _, err := c.nc.Write([]byte(line + "\r\n")); err != nil {
		c.t.Fatalf("write %q: %v", line, err)
	}
}

// tr returns the next TrID.
func (c *tclient) tr() string {
	c.trid++
	return strconv.FormatUint(uint64(c.trid), 10)
}

// expect reads the next command and checks that its line is want.
func (c *tclient) expect(want string) *msnp.Command {
	c.t.Helper()
	cmd, err := c.next()
	if err != nil {
		c.t.Fatalf("want %q, got error %v", want, err)
	}
	if got := string(cmd.Line); got != want {
		c.t.Fatalf("got %q, want %q", got, want)
	}
	return cmd
}

// expectPrefix reads the next command and checks that its line starts with
// prefix.
func (c *tclient) expectPrefix(prefix string) *msnp.Command {
	c.t.Helper()
	cmd, err := c.next()
	if err != nil {
		c.t.Fatalf("want %q..., got error %v", prefix, err)
	}
	if !strings.HasPrefix(string(cmd.Line), prefix) {
		c.t.Fatalf("got %q, want prefix %q", cmd.Line, prefix)
	}
	return cmd
}

// expectClosed reads until the server closes the connection and fails if
// any command arrives first.
// toggleStatus sends CHG i: NLN for even i, BSY for odd (so every change
// fans out presence), and reads up to its echo, skipping the lines before it.
func (c *tclient) toggleStatus(i int) {
	c.t.Helper()
	st := "NLN"
	if i%2 == 1 {
		st = "BSY"
	}
	c.send("CHG " + strconv.Itoa(10+i) + " " + st)
	for {
		cmd, err := c.next()
		if err != nil {
			c.t.Fatal(err)
		}
		if cmd.Is("CHG") {
			return
		}
	}
}

func (c *tclient) expectClosed() {
	c.t.Helper()
	cmd, err := c.next()
	if err == nil {
		c.t.Fatalf("want close, got %q", cmd.Line)
	}
	if !msnp.IsEOF(err) && !errors.Is(err, net.ErrClosed) && !isReset(err) {
		c.t.Fatalf("want close, got error %v", err)
	}
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

// loginResult is what login learnt.
type loginResult struct {
	c       *tclient
	dialect msnp.Dialect
	xfr     string // the XFR line, if the first server was a dispatch server
}

// login does VER, INF, USR I (following one XFR NS), USR S and reads USR OK
// and the profile message. vers is the VER list, e.g. "MSNP7 MSNP6 CVR0".
func login(t testing.TB, addr, email, password, vers string) loginResult {
	t.Helper()
	var res loginResult
	c := dial(t, addr)
	for hop := 0; hop < 2; hop++ {
		c.send("VER " + c.tr() + " " + vers)
		v := c.expectPrefix("VER ")
		d, ok := msnp.ParseDialect(v.Arg(0))
		if !ok {
			t.Fatalf("VER reply %q", v.Line)
		}
		res.dialect = d
		c.send("INF " + c.tr())
		c.expect("INF " + strconv.Itoa(int(c.trid)) + " MD5")
		c.send("USR " + c.tr() + " MD5 I " + email)
		r, err := c.next()
		if err != nil {
			t.Fatalf("USR I: %v", err)
		}
		if r.Is("XFR") {
			res.xfr = string(r.Line)
			addr = string(r.Arg(1))
			c.expectClosed()
			trid := c.trid
			c = dial(t, addr)
			c.trid = trid
			continue
		}
		if !r.Is("USR") || string(r.Arg(0)) != "MD5" || string(r.Arg(1)) != "S" {
			t.Fatalf("USR I reply %q", r.Line)
		}
		var h [32]byte
		msnp.LoginHash(&h, r.Arg(2), []byte(password))
		c.send("USR " + c.tr() + " MD5 S " + string(h[:]))
		ok2 := c.expectPrefix("USR " + strconv.Itoa(int(c.trid)) + " OK " + email + " ")
		if d >= 6 && string(ok2.Last) != "1" {
			t.Fatalf("USR OK without verified flag in MSNP%d: %q", d, ok2.Line)
		}
		m := c.expectPrefix("MSG Hotmail Hotmail ")
		if !bytes.Contains(m.Payload, []byte("Content-Type: text/x-msmsgsprofile")) {
			t.Fatalf("profile payload %q", m.Payload)
		}
		res.c = c
		return res
	}
	t.Fatalf("too many referrals")
	return res
}

// readSYN reads a SYN answer to the end of the RL and returns its lines.
func (c *tclient) readSYN() []string {
	c.t.Helper()
	var lines []string
	for {
		cmd, err := c.next()
		if err != nil {
			c.t.Fatalf("SYN: %v after %q", err, lines)
		}
		lines = append(lines, string(cmd.Line))
		if cmd.Is("LST") && string(cmd.Arg(0)) == "RL" {
			if i, n := string(cmd.Arg(2)), string(cmd.Arg(3)); i == n || (i == "0" && n == "0") {
				return lines
			}
		}
	}
}

// newServer starts a server for a test and closes it at the end.
func newServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// waitFor polls cond until it holds, failing after testTimeout.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !testwait.Until(t, testTimeout, what, func() (bool, string) { return cond(), "" }) {
		t.FailNow()
	}
}
