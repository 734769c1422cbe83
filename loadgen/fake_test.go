package loadgen

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msnbench/msnbench/internal/testwait"
	"github.com/msnbench/msnbench/msnp"
)

// fakeServer is a tiny scripted MSNP server for the engine's unit tests: a
// well-behaved default (DS or NS, any dialect) that allocates nothing per
// command, so the allocation test can run against it, plus an override
// hook to play every variation and fault of MSNP.md §11.
type fakeServer struct {
	ln   net.Listener
	host string // ln's address, formatted once
	opts fakeOpts
	wg   sync.WaitGroup
	mu   sync.Mutex
	conn map[net.Conn]bool
	// served counts connections whose goroutine is set up and reading.
	served atomic.Int64
}

type fakeOpts struct {
	nsAddr   string // when set, this server is a dispatch server referring to nsAddr
	dialect  msnp.Dialect
	chl      bool // send CHL 0 after the CHG echo
	contacts int  // RL entries pushed after SYN
	profile  bool // send the profile MSG after USR OK
	// override sees every command first; handled=true skips the default.
	override func(st *fakeConn, cmd *msnp.Command) (handled, close bool)
}

type fakeConn struct {
	c      net.Conn
	out    []byte
	d      msnp.Dialect
	handle [129]byte
	hn     int
	n      int // commands seen on this connection
}

func newFake(t testing.TB, o fakeOpts) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{ln: ln, host: ln.Addr().String(), opts: o, conn: map[net.Conn]bool{}}
	f.wg.Add(1)
	go f.accept()
	t.Cleanup(f.close)
	return f
}

func (f *fakeServer) addr() string { return f.host }

func (f *fakeServer) accept() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conn[c] = true
		f.mu.Unlock()
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.serve(c)
			f.mu.Lock()
			delete(f.conn, c)
			f.mu.Unlock()
			c.Close()
		}()
	}
}

func (f *fakeServer) close() {
	f.ln.Close()
	f.mu.Lock()
	for c := range f.conn {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

var profileMsg = []byte("MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsprofile; charset=UTF-8\r\nLoginTime: 1013928519\r\n\r\n")

func (f *fakeServer) serve(c net.Conn) {
	rd := msnp.NewReader(c, msnp.FromClient, 0)
	st := &fakeConn{c: c, out: make([]byte, 0, 4096)}
	f.served.Add(1)
	for {
		cmd, err := rd.Next()
		if err != nil {
			return
		}
		st.n++
		st.out = st.out[:0]
		closeAfter := false
		handled := false
		if f.opts.override != nil {
			handled, closeAfter = f.opts.override(st, cmd)
		}
		if !handled {
			closeAfter = f.respond(st, cmd)
		}
		if len(st.out) > 0 {
			if _, err := c.Write(st.out); err != nil {
				return
			}
		}
		if closeAfter {
			return
		}
	}
}

// respond is the default, well-behaved reply; it allocates nothing.
func (f *fakeServer) respond(st *fakeConn, cmd *msnp.Command) bool {
	o := &f.opts
	t := cmd.TrID
	switch {
	case cmd.Is("VER"):
		set, _ := msnp.ParseDialects(cmd.Args)
		st.d = set.Highest()
		if o.dialect != 0 {
			st.d = o.dialect
		}
		st.out = msnp.AppendVERReply(st.out, t, st.d)
	case cmd.Is("INF"):
		st.out = msnp.AppendINFReply(st.out, t)
	case cmd.Is("USR") && string(cmd.Arg(1)) == "I":
		st.hn = copy(st.handle[:], cmd.Arg(2))
		if o.nsAddr != "" {
			st.out = msnp.AppendXFRNS(st.out, t, st.d, o.nsAddr, f.host)
			return true
		}
		st.out = msnp.AppendUSRChallenge(st.out, t, []byte("1013928519.693957190"))
	case cmd.Is("USR") && string(cmd.Arg(1)) == "S":
		st.out = append(msnp.AppendCmd(st.out, "USR", t), " OK "...)
		st.out = append(st.out, st.handle[:st.hn]...)
		st.out = append(st.out, ' ')
		st.out = append(st.out, st.handle[:st.hn]...)
		if st.d >= 6 {
			st.out = append(st.out, " 1"...)
		}
		st.out = msnp.AppendEnd(st.out)
		if o.profile {
			st.out = msnp.AppendMSG(st.out, "Hotmail", "Hotmail", profileMsg)
		}
	case cmd.Is("SYN"):
		st.out = msnp.AppendEnd(append(msnp.AppendCmd(st.out, "SYN", t), " 1"...))
		st.out = msnp.AppendEnd(append(msnp.AppendCmd(st.out, "GTC", t), " 1 A"...))
		st.out = msnp.AppendEnd(append(msnp.AppendCmd(st.out, "BLP", t), " 1 AL"...))
		if o.contacts == 0 {
			st.out = msnp.AppendEnd(append(msnp.AppendCmd(st.out, "LST", t), " RL 1 0 0"...))
		}
		for i := 1; i <= o.contacts; i++ {
			st.out = append(msnp.AppendCmd(st.out, "LST", t), " RL 1"...)
			st.out = msnp.AppendArgUint(msnp.AppendArgUint(st.out, uint64(i)), uint64(o.contacts))
			st.out = msnp.AppendEnd(append(st.out, " bob@example.com Bob"...))
		}
	case cmd.Is("CHG"):
		st.out = msnp.AppendCHG(st.out, t, cmd.Arg(0))
		if o.chl {
			st.out = msnp.AppendCHL(st.out, []byte("15570131571988941333"))
		}
	case cmd.Is("QRY"):
		st.out = msnp.AppendEnd(msnp.AppendCmd(st.out, "QRY", t))
	case cmd.Is("PNG"):
		st.out = msnp.AppendQNG(st.out)
	case cmd.Is("OUT"):
		return true
	}
	return false
}

// pair returns a DS and an NS fake; logins start at the DS.
func fakePair(t testing.TB, ns fakeOpts) (ds, nss *fakeServer) {
	nss = newFake(t, ns)
	ds = newFake(t, fakeOpts{nsAddr: nss.addr()})
	return ds, nss
}

// waitFor polls cond until it holds or a generous deadline passes (three
// minutes: 20,000 held sessions on a busy machine need that); it guards
// against hangs, it does not measure time. Tests use it only where there is
// no event to wait on.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !testwait.Until(t, 3*time.Minute, what, func() (bool, string) { return cond(), "" }) {
		t.FailNow()
	}
}
