package server

import (
	"bytes"
	"flag"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/")

// goldenConfig makes the server deterministic: fixed challenges and login
// time, and the referral addresses of MSNP.md §5.
func goldenConfig() Config {
	return Config{
		DSAddr:       "127.0.0.1:0",
		UsersFile:    "testdata/users.txt",
		Contacts:     1,
		CHL:          true,
		NSPublicAddr: "10.0.0.5:1863",
		DSPublicAddr: "10.0.0.1:1863",
		Challenge:    func(dst []byte) []byte { return append(dst, "1013928519.693957190"...) },
		CHLChallenge: func(dst []byte) []byte { return append(dst, "15570131571988941333"...) },
		Now:          func() time.Time { return time.Unix(1013928519, 0) },
	}
}

// step is one client chunk and the number of server commands it is
// answered with.
type step struct {
	ns      bool // on the notification server (else the dispatch server)
	send    string
	replies int
}

// transcript runs steps against s and returns the exchange in the golden
// format, plus the raw bytes the server sent on the DS and on the NS.
func transcript(t *testing.T, s *Server, steps []step) (golden []byte, fromDS, fromNS []byte) {
	var out bytes.Buffer
	var c *tclient
	ns := false
	consumed := 0
	for i, st := range steps {
		if c == nil || st.ns != ns {
			if c != nil {
				c.expectClosed()
				out.WriteString("   (server closes)\n")
				fromDS = append([]byte(nil), c.raw.Bytes()...)
			}
			addr, name := s.DSAddr(), "dispatch"
			if st.ns {
				addr, name = s.NSAddr(), "notification"
			}
			out.WriteString("# " + name + " server\n")
			c, ns, consumed = dial(t, addr), st.ns, 0
		}
		writeChunk(&out, "C: ", []byte(st.send))
		if _, err := c.nc.Write([]byte(st.send)); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		for k := 0; k < st.replies; k++ {
			if _, err := c.next(); err != nil {
				t.Fatalf("step %d (%q): reply %d: %v", i, st.send, k, err)
			}
		}
		end := c.raw.Len() - c.rd.Buffered()
		writeChunk(&out, "S: ", c.raw.Bytes()[consumed:end])
		consumed = end
	}
	c.expectClosed()
	out.WriteString("   (server closes)\n")
	fromNS = c.raw.Bytes()
	return out.Bytes(), fromDS, fromNS
}

// writeChunk writes b escaped, one line per CRLF-terminated line, every line
// prefixed; `\r` and `\n` stand for CR and LF, a line without `\r\n` at its
// end had no terminator.
func writeChunk(out *bytes.Buffer, prefix string, b []byte) {
	for len(b) > 0 {
		out.WriteString(prefix)
		for len(b) > 0 {
			ch := b[0]
			b = b[1:]
			switch {
			case ch == '\r':
				out.WriteString(`\r`)
			case ch == '\n':
				out.WriteString(`\n`)
			case ch == '\\':
				out.WriteString(`\\`)
			case ch >= 0x20 && ch < 0x7f:
				out.WriteByte(ch)
			default:
				out.WriteString(`\x` + strconv.FormatUint(uint64(ch)|0x100, 16)[1:])
			}
			if ch == '\n' {
				break
			}
		}
		out.WriteByte('\n')
	}
}

// bobOnline logs bob in and sets him online, so alice sees an ILN.
func bobOnline(t *testing.T, s *Server) *tclient {
	bob := login(t, s.NSAddr(), "bob@example.com", "password", "MSNP7 CVR0").c
	bob.send("CHG 5 NLN")
	bob.expect("CHG 5 NLN")
	bob.expectPrefix("CHL 0 ")
	return bob
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("transcript differs from %s (go test -update rewrites it):\n%s", path, got)
	}
}

// specSteps parses the MSNP.md §5 transcript kept in testdata: client lines
// become steps (answered by as many server lines as follow them), server
// lines the expected bytes per connection. Annotations after two or more
// spaces are dropped, as are the "(server closes ...)" notes, which switch
// to the notification server.
func specSteps(t *testing.T, path string) (steps []step, wantDS, wantNS []byte) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ns := false
	unescape := func(s string) string {
		if i := strings.Index(s, "  "); i >= 0 {
			s = s[:i]
		}
		return strings.ReplaceAll(s, `\r\n`, "\r\n")
	}
	appendServer := func(b string) {
		if ns {
			wantNS = append(wantNS, b...)
		} else {
			wantDS = append(wantDS, b...)
		}
	}
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "C: "):
			steps = append(steps, step{ns: ns, send: unescape(line[3:])})
		case strings.HasPrefix(line, "S: "):
			steps[len(steps)-1].replies++
			appendServer(unescape(line[3:]))
		case strings.HasPrefix(line, "   ("):
			ns = true
		case strings.HasPrefix(line, "   "): // payload of the previous server line
			appendServer(unescape(strings.TrimLeft(line, " ")))
		}
	}
	return steps, wantDS, wantNS
}

// TestGoldenMSNP7 replays the client side of MSNP.md §5 and checks that the
// server's bytes equal the document's, byte for byte, then keeps the
// exchange as a golden transcript.
func TestGoldenMSNP7(t *testing.T) {
	s := newServer(t, goldenConfig())
	bobOnline(t, s)
	steps, wantDS, wantNS := specSteps(t, "testdata/msnp7_spec.txt")
	if len(steps) != 12 {
		t.Fatalf("parsed %d client steps from the spec transcript, want 12", len(steps))
	}
	got, ds, ns := transcript(t, s, steps)
	if !bytes.Equal(ds, wantDS) {
		t.Errorf("dispatch server bytes:\n%q\nMSNP.md §5:\n%q", ds, wantDS)
	}
	if !bytes.Equal(ns, wantNS) {
		t.Errorf("notification server bytes:\n%q\nMSNP.md §5:\n%q", ns, wantNS)
	}
	checkGolden(t, "testdata/msnp7.golden", got)
}

// TestGoldenMSNP2 records a whole MSNP2 session: the three-field XFR, USR OK
// without the verified flag, the MSNP2–4 SYN form, and no CHL (MSNP6+ only).
func TestGoldenMSNP2(t *testing.T) {
	s := newServer(t, goldenConfig())
	bobOnline(t, s)
	const ver = "MSNP2 CVR0"
	steps := []step{
		{false, "VER 1 " + ver + "\r\n", 1},
		{false, "INF 2\r\n", 1},
		{false, "USR 3 MD5 I alice@example.com\r\n", 1},
		{true, "VER 4 " + ver + "\r\n", 1},
		{true, "INF 5\r\n", 1},
		{true, "USR 6 MD5 I alice@example.com\r\n", 1},
		{true, "USR 7 MD5 S 7f919fab309532df353c901430df36fa\r\n", 2},
		{true, "SYN 8 0\r\n", 7},
		{true, "CHG 9 NLN\r\n", 2},
		{true, "PNG\r\n", 1},
		{true, "OUT\r\n", 0},
	}
	got, ds, ns := transcript(t, s, steps)
	if want := "VER 1 MSNP2\r\nINF 2 MD5\r\nXFR 3 NS 10.0.0.5:1863\r\n"; string(ds) != want {
		t.Errorf("dispatch server bytes %q, want %q", ds, want)
	}
	wantNS := "VER 4 MSNP2\r\nINF 5 MD5\r\nUSR 6 MD5 S 1013928519.693957190\r\n" +
		"USR 7 OK alice@example.com alice%40example.com\r\n" +
		"MSG Hotmail Hotmail 95\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsprofile; charset=UTF-8\r\nLoginTime: 1013928519\r\n\r\n" +
		"SYN 8 1\r\nGTC 8 1 A\r\nBLP 8 1 AL\r\n" +
		"LST 8 FL 1 1 1 bob@example.com Bob\r\nLST 8 AL 1 1 1 bob@example.com Bob\r\n" +
		"LST 8 BL 1 0 0\r\nLST 8 RL 1 1 1 bob@example.com Bob\r\n" +
		"CHG 9 NLN\r\nILN 9 NLN bob@example.com Bob\r\n" +
		"QNG\r\n"
	if string(ns) != wantNS {
		t.Errorf("notification server bytes:\n%q\nwant:\n%q", ns, wantNS)
	}
	checkGolden(t, "testdata/msnp2.golden", got)
}

// TestSpecProfileLength checks the 95-byte minimal profile of MSNP.md §10.4.
func TestSpecProfileLength(t *testing.T) {
	if n := len(profileHead) + len("1726321960") + len(profileTail); n != 95 {
		t.Errorf("minimal profile is %d bytes, want 95", n)
	}
}
