// Package hostile is a scriptable misbehaving MSNP server for tests of
// msnbench's client. It plays a correct MSNP2–7 login on two loopback
// listeners (a dispatch server that refers to a notification server, as in
// MSNP.md §0) except at one scripted point, where it closes, resets,
// stalls, sends garbage, over-long or endless lines, drips its reply, sends
// payload commands with wrong lengths, the wrong TrID, unknown or
// asynchronous commands, an error code, a reply with the wrong content, a
// never-ending stream of commands, or a bad referral. Everything clients
// send is recorded (Received), so a test can also check the wire.
//
// SBProxy (sbproxy.go) does the same for a switchboard: between the client
// and a correct switchboard it closes mid-message, truncates a payload,
// relays to the wrong user, swallows JOI, sends the callee's ANS to an
// unknown session or floods a message.
//
// It is deliberately simple and slow (fmt is fine here): it exists to make
// every failure path of a client reachable from a table test, not to be
// fast. Close releases every goroutine and connection it started, so tests
// can check the client for leaks.
package hostile

import (
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/msnbench/msnbench/msnp"
)

// Server is a running hostile server. Create it with New, point the client
// at Addr (dispatch) or NSAddr (notification server, no dispatch tier), and
// Close it when done.
type Server struct {
	sc        *compiled
	ds, ns    net.Listener
	refused   string // an address nothing listens on
	unreserve func() // frees it (ReserveRefused)

	fired      atomic.Int64 // misbehaviours started
	accepted   atomic.Int64
	logins     atomic.Int64
	open       atomic.Int64
	challenges atomic.Int64

	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool

	recMu    sync.Mutex
	received []byte // what clients sent, up to maxRecord bytes
}

// maxRecord caps Received: enough for a few hundred logins.
const maxRecord = 1 << 20

// Stats are the server's counters.
type Stats struct {
	Accepted   int64 // connections accepted on both listeners
	Open       int64 // connections not yet closed (by either side)
	Fired      int64 // times the scripted misbehaviour started
	Logins     int64 // USR MD5 S accepted (the USR OK may then be replaced by the misbehaviour)
	Challenges int64 // CHL appended to a CHG echo (for the qry phase)
}

// New checks script and starts a server listening on two fresh 127.0.0.1
// ports.
func New(script Script) (*Server, error) {
	sc, err := compile(script)
	if err != nil {
		return nil, err
	}
	s := &Server{sc: sc, done: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	if s.ds, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return nil, err
	}
	if s.ns, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		s.ds.Close()
		return nil, err
	}
	if s.refused, s.unreserve, err = ReserveRefused(); err != nil {
		s.ds.Close()
		s.ns.Close()
		return nil, err
	}
	s.wg.Add(2)
	go s.accept(s.ds, false)
	go s.accept(s.ns, true)
	return s, nil
}

// Addr is the dispatch listener's address: the usual target.
func (s *Server) Addr() string { return s.ds.Addr().String() }

// NSAddr is the notification listener's address, for a client that should
// see a server without a dispatch tier.
func (s *Server) NSAddr() string { return s.ns.Addr().String() }

// RefusedAddr is the address the XFR action's "refused" refers to.
func (s *Server) RefusedAddr() string { return s.refused }

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	return Stats{Accepted: s.accepted.Load(), Open: s.open.Load(), Fired: s.fired.Load(),
		Logins: s.logins.Load(), Challenges: s.challenges.Load()}
}

// Received returns a copy of every byte clients sent so far (all
// connections, in arrival order per read, at most 1 MiB), so a test can
// check what went over the wire, for example that no password did.
func (s *Server) Received() []byte {
	s.recMu.Lock()
	defer s.recMu.Unlock()
	return append([]byte(nil), s.received...)
}

// recorder is an io.Reader that copies what it reads into the Server.
type recorder struct {
	s *Server
	r io.Reader
}

func (r recorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.s.recMu.Lock()
		if room := maxRecord - len(r.s.received); room > 0 {
			r.s.received = append(r.s.received, p[:min(n, room)]...)
		}
		r.s.recMu.Unlock()
	}
	return n, err
}

// Close stops both listeners, closes every connection and waits for every
// goroutine the server started. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		s.ds.Close()
		s.ns.Close()
		s.unreserve()
		s.mu.Lock()
		s.closed = true
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
	})
	s.wg.Wait()
	return nil
}

func (s *Server) accept(l net.Listener, ns bool) {
	defer s.wg.Done()
	for {
		c, err := l.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // closed
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.accepted.Add(1)
		s.open.Add(1)
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c, ns)
	}
}

func (s *Server) forget(c net.Conn) {
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.open.Add(-1)
}

// take reports whether this occurrence of the scripted phase misbehaves.
func (s *Server) take() bool {
	n := s.fired.Add(1)
	if s.sc.Times > 0 && n > int64(s.sc.Times) {
		s.fired.Add(-1)
		return false
	}
	return true
}

// conn is one client connection's state.
type conn struct {
	s    *Server
	c    net.Conn
	ns   bool // notification role (else dispatch)
	d    msnp.Dialect
	user []byte
	out  []byte

	wmu      sync.Mutex // serializes writes: Chatter writes from a second goroutine
	chatting bool
}

func (s *Server) serve(c net.Conn, ns bool) {
	defer s.wg.Done()
	defer s.forget(c)
	h := &conn{s: s, c: c, ns: ns, d: s.sc.Dialect}
	rd := msnp.NewReader(recorder{s, c}, msnp.FromClient, 0)
	for {
		cmd, err := rd.Next()
		if err != nil {
			return
		}
		ph, trid := h.phase(cmd), cmd.TrID
		h.out = h.out[:0]
		closeAfter := h.reply(cmd, trid)
		if ph != "" && ph == s.sc.Phase && s.sc.Action != None && s.take() {
			if !h.misbehave(cmd, closeAfter) {
				return
			}
			continue
		}
		if !h.write(h.out) || closeAfter {
			return
		}
	}
}

// phase maps a client request to the phase it starts.
func (h *conn) phase(cmd *msnp.Command) Phase {
	switch {
	case cmd.Is("VER"):
		return pick(h.ns, NSVer, DSVer)
	case cmd.Is("INF"):
		return pick(h.ns, NSInf, DSInf)
	case cmd.Is("USR") && string(cmd.Arg(1)) == "I":
		return pick(h.ns, NSUsrI, DSUsr)
	case cmd.Is("USR") && string(cmd.Arg(1)) == "S":
		return NSUsrS
	case cmd.Is("SYN"):
		return NSSyn
	case cmd.Is("CHG"):
		return NSChg
	case cmd.Is("PNG"):
		return Ping
	case cmd.Is("QRY"):
		return Qry
	}
	return ""
}

func pick(ns bool, a, b Phase) Phase {
	if ns {
		return a
	}
	return b
}

// reply appends the correct reply to cmd, using trid, to h.out and reports
// whether the server closes the connection after it.
func (h *conn) reply(cmd *msnp.Command, trid uint32) (closeAfter bool) {
	out := h.out
	defer func() { h.out = out }()
	switch {
	case cmd.Is("VER"):
		offered, _ := msnp.ParseDialects(cmd.Args)
		d := msnp.Negotiate(offered, msnp.DialectSetRange(msnp.MinDialect, h.s.sc.Dialect))
		out = msnp.AppendVERReply(out, trid, d)
		if d == 0 {
			return true
		}
		h.d = d
	case cmd.Is("INF"):
		out = msnp.AppendINFReply(out, trid)
	case cmd.Is("USR") && string(cmd.Arg(1)) == "I":
		h.user = append(h.user[:0], cmd.Arg(2)...)
		if !h.ns {
			out = msnp.AppendXFRNS(out, trid, h.d, h.s.NSAddr(), h.s.Addr())
			return true // a dispatch server closes after the referral
		}
		out = msnp.AppendUSRChallenge(out, trid, []byte("1013928519.693957190"))
	case cmd.Is("USR") && string(cmd.Arg(1)) == "S":
		// Any hash is accepted: the tests are about the client's handling
		// of the server, not about passwords.
		user := string(h.user)
		if user == "" {
			user = "nobody@example.com"
		}
		out = msnp.AppendUSROK(out, trid, h.d, user, user)
		out = msnp.AppendMSG(out, "Hotmail", "Hotmail", []byte(profile))
		h.s.logins.Add(1)
	case cmd.Is("SYN"):
		out = appendSYN(out, trid, h.d)
	case cmd.Is("CHG"):
		out = msnp.AppendCHG(out, trid, cmd.Arg(0))
		out = msnp.AppendILN(out, trid, "NLN", "bob@example.com", "Bob")
		if h.s.sc.Phase == Qry {
			out = msnp.AppendCHL(out, []byte("15570131571988941333"))
			h.s.challenges.Add(1)
		}
	case cmd.Is("QRY"):
		out = msnp.AppendEnd(msnp.AppendCmd(out, "QRY", trid))
	case cmd.Is("PNG"):
		out = msnp.AppendQNG(out)
	case cmd.Is("OUT"):
		return true
	}
	return false
}

const profile = "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsprofile; charset=UTF-8\r\n" +
	"LoginTime: 1013928519\r\n\r\n"

// appendSYN appends a small list in the form of dialect d (MSNP.md §4.1):
// one contact on FL, AL and RL, an empty BL; the last line is RL i==n.
func appendSYN(out []byte, t uint32, d msnp.Dialect) []byte {
	ts := strconv.FormatUint(uint64(t), 10)
	out = append(out, "SYN "+ts+" 1\r\nGTC "+ts+" 1 A\r\nBLP "+ts+" 1 AL\r\n"...)
	if d >= 5 {
		out = append(out, "PRP "+ts+" 1 PHH\r\n"...)
	}
	group := ""
	if d >= 7 {
		out = append(out, "LSG "+ts+" 1 1 1 0 Other%20Contacts 0\r\n"...)
		group = " 0"
	}
	out = append(out, "LST "+ts+" FL 1 1 1 bob@example.com Bob"+group+"\r\n"...)
	if d >= 5 {
		out = append(out, "BPR 1 bob@example.com PHH\r\n"...)
	}
	out = append(out, "LST "+ts+" AL 1 1 1 bob@example.com Bob\r\n"...)
	out = append(out, "LST "+ts+" BL 1 0 0\r\n"...)
	return append(out, "LST "+ts+" RL 1 1 1 bob@example.com Bob\r\n"...)
}

// write sends b, reporting false if the connection is gone.
func (h *conn) write(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	h.wmu.Lock()
	_, err := h.c.Write(b)
	h.wmu.Unlock()
	return err == nil
}

// chatter writes an NLN line every interval until the connection or the
// server is closed.
func (h *conn) chatter(every time.Duration) {
	defer h.s.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	line := []byte("NLN BSY carol@example.com Carol\r\n")
	for {
		select {
		case <-h.s.done:
			return
		case <-t.C:
			if !h.write(line) {
				return
			}
		}
	}
}

// stall sends nothing more and reads (discarding) until the client closes
// the connection or the server is closed.
func (h *conn) stall() bool {
	_, _ = io.Copy(io.Discard, h.c)
	return false
}

// sleep waits d or until the server is closed, reporting false on close.
func (h *conn) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-h.s.done:
		return false
	}
}

// misbehave carries out the script on request cmd, whose correct reply is
// in h.out. It reports whether the connection should go on being served.
func (h *conn) misbehave(cmd *msnp.Command, closeAfter bool) bool {
	sc := h.s.sc
	reply := h.out
	switch sc.Action {
	case Close:
		return false
	case Reset:
		if tc, ok := h.c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		return false
	case Stall:
		return h.stall()
	case Garbage:
		g := sc.Arg
		if g == "" {
			g = "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\xff\xfe junk \x00\r\n"
		}
		h.write([]byte(g))
		return h.stall()
	case LongLine:
		n := 65536
		if sc.Arg != "" {
			n, _ = strconv.Atoi(sc.Arg)
		}
		line := make([]byte, 0, n+6)
		line = append(line, "VER "...)
		for len(line) < n {
			line = append(line, 'A')
		}
		h.write(append(line, "\r\n"...))
		return h.stall()
	case Unterminated:
		r := reply
		if i := indexLineEnd(r); i >= 0 {
			r = r[:i]
		}
		h.write(r)
		return h.stall()
	case Endless:
		if !h.write([]byte("VER ")) {
			return false
		}
		chunk := make([]byte, 4096)
		for i := range chunk {
			chunk[i] = 'A'
		}
		for h.write(chunk) {
		}
		return false
	case Drip:
		for i := range reply {
			if !h.write(reply[i:i+1]) || !h.sleep(sc.drip) {
				return false
			}
		}
		return !closeAfter
	case BadLength:
		return h.write(sc.payload) && h.write(reply) && !closeAfter
	case WrongTrID:
		h.out = h.out[:0]
		h.reply(cmd, cmd.TrID+1000)
		return h.write(h.out) && !closeAfter
	case Unknown:
		return h.write([]byte("ZZZ 0 what%20is%20this\r\nQQQ\r\n")) && h.write(reply) && !closeAfter
	case Inject:
		return h.write(sc.inject) && h.write(reply) && !closeAfter
	case Error:
		b := msnp.AppendError(nil, sc.code, cmd.TrID)
		h.write(b)
		return h.stall()
	case Replace:
		t := strconv.FormatUint(uint64(cmd.TrID), 10)
		return h.write([]byte(strings.ReplaceAll(sc.Arg, "{t}", t)+"\r\n")) && !closeAfter
	case Flood:
		line := []byte("NLN NLN bob@example.com Bob\r\n")
		for h.write(line) {
		}
		return false
	case Chatter:
		if !h.chatting {
			h.chatting = true
			h.s.wg.Add(1)
			go h.chatter(sc.drip)
		}
		return h.write(reply) && !closeAfter
	case XFR:
		addr := sc.Arg
		switch addr {
		case "self", "":
			addr = h.c.LocalAddr().String()
		case "refused":
			addr = h.s.refused
		case "noport":
			addr = "127.0.0.1"
		case "zero":
			addr = "0"
		case "ns":
			addr = h.s.NSAddr()
		}
		h.write(msnp.AppendXFRNS(nil, cmd.TrID, msnp.MaxDialect, addr, h.s.Addr()))
		return false
	}
	return h.write(reply) && !closeAfter
}

func indexLineEnd(b []byte) int {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' {
			return i
		}
	}
	return -1
}
