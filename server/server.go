// Package server is msnbench's reference MSNP2–MSNP7 server: a dispatch
// listener that refers every login to a notification listener, and the
// notification listener itself (MSNP.md §6 and §12(b)). It is the embedded
// default target of `msnbench run`, the target of every end-to-end test, and
// `msnbench serve`.
//
// It is built to be cheap per login, because it shares a machine with the
// load generator: one goroutine per connection, msnp.Reader over a small
// per-connection buffer, replies built with append into a per-connection
// buffer and written with one syscall per reply batch, no fmt on the command
// path. It also carries knobs for tests and demos: delays and jitter per
// phase, stalls, error-code injection, closes without reply, and limits
// against hostile clients.
package server

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/msnbench/msnbench/internal/rxstamp"
	"github.com/msnbench/msnbench/msnp"
)

// role is what a listener does with a login.
type role uint8

const (
	roleNS role = iota // notification server: authenticates and serves the session
	roleDS             // dispatch server: refers to the notification server and closes
	roleSB             // switchboard: chat sessions (switchboard.go)
)

// Server is a running reference server. Create it with New and stop it with
// Close; its methods are safe for concurrent use.
type Server struct {
	cfg   Config
	dir   *directory
	ds    net.Listener // nil without a dispatch tier
	ns    net.Listener
	xfrNS string       // address sent in XFR NS
	xfrDS string       // "current server" field of MSNP7 XFR
	sb    net.Listener // nil without a switchboard
	xfrSB string       // address sent in XFR SB and RNG
	sbs   switchboard

	delay    [NumPhases]time.Duration
	anyDelay bool

	online []atomic.Pointer[conn] // logged-in session per account
	stats  counters
	late   lateHists // how late delayed replies left, per phase

	epoch      time.Time    // monotonic base for stallUntil
	stallUntil atomic.Int64 // nanoseconds since epoch until which replies are held

	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
	refusing  atomic.Int32
	bufs      sync.Pool // *connBufs
	reserveMu sync.Mutex
	reserve   *os.File // a descriptor freed to refuse a client when none are left
	// wakers deliver delayed replies; a connection uses one of them
	// (conn.wk), so replies that fall due together are written by several
	// threads at once (waker.go).
	wakers    []waker
	nextWaker atomic.Uint32
	stampWarm io.Closer // keeps receive timestamps on (delays only)
	big       sync.Pool // *bigBuf

	mu     sync.Mutex
	conns  map[*conn]struct{}
	closed bool

	// lockWaited, when set (tests only), is called each time a write from
	// another session (presence, a kick) finds a connection's write lock
	// busy and starts to wait for it: an event a test can wait on, where
	// it otherwise could only hope that the wait had happened.
	lockWaited atomic.Pointer[func(*conn)]
}

// New starts a server: it loads or generates the accounts and starts
// listening at once, so Addr is valid when it returns. It returns setup
// errors such as a bad address or users file.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	dir, err := newDirectory(&cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:    cfg,
		dir:    dir,
		online: make([]atomic.Pointer[conn], dir.n()),
		epoch:  time.Now(),
		done:   make(chan struct{}),
		conns:  make(map[*conn]struct{}),
	}
	s.wakers = make([]waker, wakerCount())
	for i := range s.wakers {
		s.wakers[i].s = s
	}
	for p := range s.delay {
		s.delay[p] = cfg.Delay
		if d, ok := cfg.PhaseDelay[Phase(p)]; ok {
			s.delay[p] = d
		}
		if s.delay[p] > 0 {
			s.anyDelay = true
		}
	}
	if cfg.Jitter > 0 {
		s.anyDelay = true
	}
	// Keep-alive probes are off: the idle timeout already finds dead peers,
	// and 20,000 held sessions should not cost a kernel timer each.
	lc := net.ListenConfig{KeepAlive: -1}
	if s.anyDelay {
		// Accepted connections inherit the listener's receive timestamps
		// (internal/rxstamp); Warm waits until the kernel, which enables
		// them asynchronously, stamps packets, so the first client's
		// requests are stamped too.
		lc.Control = rxstamp.Control
	}
	s.ns, err = lc.Listen(context.Background(), "tcp", cfg.NSAddr)
	if err != nil {
		return nil, errors.New("server: notification listener: " + err.Error())
	}
	if cfg.DSAddr != "" {
		s.ds, err = lc.Listen(context.Background(), "tcp", cfg.DSAddr)
		if err != nil {
			s.ns.Close()
			return nil, errors.New("server: dispatch listener: " + err.Error())
		}
	}
	if cfg.SBAddr != "" {
		s.sb, err = lc.Listen(context.Background(), "tcp", cfg.SBAddr)
		if err != nil {
			s.ns.Close()
			if s.ds != nil {
				s.ds.Close()
			}
			return nil, errors.New("server: switchboard listener: " + err.Error())
		}
		s.xfrSB = cfg.SBPublicAddr
		if s.xfrSB == "" {
			s.xfrSB = s.sb.Addr().String()
		}
		s.sbs.cookies = make(map[string]sbCookie)
	}
	s.xfrNS = cfg.NSPublicAddr
	if s.xfrNS == "" {
		s.xfrNS = s.ns.Addr().String()
	}
	s.xfrDS = cfg.DSPublicAddr
	if s.xfrDS == "" && s.ds != nil {
		s.xfrDS = s.ds.Addr().String()
	}
	if s.anyDelay {
		s.stampWarm, _ = rxstamp.Warm(time.Second)
	}
	s.reserve, _ = os.Open(os.DevNull)
	s.wg.Add(1)
	go s.accept(s.ns, roleNS)
	if s.ds != nil {
		s.wg.Add(1)
		go s.accept(s.ds, roleDS)
	}
	if s.sb != nil {
		s.wg.Add(1)
		go s.accept(s.sb, roleSB)
	}
	return s, nil
}

// Addr returns where a client connects first: the dispatch listener if there
// is one, else the notification listener.
func (s *Server) Addr() string {
	if s.ds != nil {
		return s.ds.Addr().String()
	}
	return s.ns.Addr().String()
}

// DSAddr returns the dispatch listener's address, or "" without one.
func (s *Server) DSAddr() string {
	if s.ds == nil {
		return ""
	}
	return s.ds.Addr().String()
}

// NSAddr returns the notification listener's address.
func (s *Server) NSAddr() string { return s.ns.Addr().String() }

// SBAddr returns the switchboard listener's address, or "" without one.
func (s *Server) SBAddr() string {
	if s.sb == nil {
		return ""
	}
	return s.sb.Addr().String()
}

// MaxConns returns the connection cap in force (Config.MaxConns, or the
// default it was given).
func (s *Server) MaxConns() int { return s.cfg.MaxConns }

// Accounts returns the number of accounts the server knows.
func (s *Server) Accounts() int { return s.dir.n() }

// Stall holds back every reply on every connection until d from now (replies
// due earlier wait; later ones are unaffected). Tests of coordinated omission
// call it mid-run. A zero or negative d ends a stall.
func (s *Server) Stall(d time.Duration) {
	if d <= 0 {
		s.stallUntil.Store(0)
		return
	}
	s.stallUntil.Store(int64(time.Since(s.epoch) + d))
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	st := s.stats.snapshot()
	st.DelayLate = s.late.summary()
	return st
}

// Close stops the listeners, sends OUT SSD to logged-in sessions whose
// connection is not busy, closes every connection and waits for all of the
// server's goroutines. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		// Say goodbye before waking the sessions that wait for a delay, so
		// they do not close their sockets first.
		s.mu.Lock()
		s.closed = true
		for c := range s.conns {
			c.shutdown()
		}
		s.mu.Unlock()
		close(s.done)
		if s.stampWarm != nil {
			s.stampWarm.Close()
		}
		for i := range s.wakers {
			s.wakers[i].wake()
		}
		s.ns.Close()
		if s.ds != nil {
			s.ds.Close()
		}
		if s.sb != nil {
			s.sb.Close()
		}
		s.reserveMu.Lock()
		if s.reserve != nil {
			s.reserve.Close()
			s.reserve = nil
		}
		s.reserveMu.Unlock()
	})
	s.wg.Wait()
	return nil
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Logf != nil {
		s.cfg.Logf(format, args...)
	}
}

// accept runs one listener until Close.
func (s *Server) accept(l net.Listener, r role) {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			if (errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)) && s.dropOne(l) {
				continue
			}
			// Out of descriptors or similar: back off instead of spinning,
			// as net/http does.
			if backoff == 0 {
				backoff = 5 * time.Millisecond
			} else if backoff < time.Second {
				backoff *= 2
			}
			s.logf("server: accept on %s: %v; retrying in %v", l.Addr(), err, backoff)
			select {
			case <-s.done:
				return
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		s.stats.connsAccepted.Add(1)
		if s.stats.connsOpen.Load() >= int64(s.cfg.MaxConns) {
			s.refuse(nc)
			continue
		}
		if !s.start(nc, r) {
			return
		}
	}
}

// start serves nc in a new goroutine; it returns false (and closes nc) once
// the server is closed.
func (s *Server) start(nc net.Conn, r role) bool {
	c := newConn(s, nc, r)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		nc.Close()
		return false
	}
	s.conns[c] = struct{}{}
	s.stats.connsOpen.Add(1)
	s.wg.Add(1)
	s.mu.Unlock()
	go c.serve()
	return true
}

// dropOne answers one pending connection with "600" and closes it when the
// process is out of file descriptors, using a descriptor kept in reserve
// for this: otherwise the client would wait in the listen backlog until it
// timed out. It reports whether it took a connection.
func (s *Server) dropOne(l net.Listener) bool {
	s.reserveMu.Lock()
	defer s.reserveMu.Unlock()
	if s.reserve == nil {
		return false
	}
	s.reserve.Close()
	s.reserve = nil
	nc, err := l.Accept()
	if err == nil {
		s.stats.connsAccepted.Add(1)
		s.stats.connsRefused.Add(1)
		nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		nc.Write([]byte("600\r\n"))
		nc.Close()
	}
	s.reserve, _ = os.Open(os.DevNull)
	return err == nil
}

// maxRefusing bounds the goroutines answering connections above the cap;
// beyond it such connections are closed without a word.
const maxRefusing = 256

// refuse answers a connection above MaxConns: it waits briefly for the first
// command so the 600 can carry its TrID (and the client reads it instead of
// a reset), then closes.
func (s *Server) refuse(nc net.Conn) {
	s.stats.connsRefused.Add(1)
	if s.refusing.Add(1) > maxRefusing {
		s.refusing.Add(-1)
		nc.Close()
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.refusing.Add(-1)
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(2 * time.Second))
		var buf [256]byte
		n := 0
		for n < len(buf) {
			m, err := nc.Read(buf[n:])
			n += m
			if err != nil || indexByte(buf[:n], '\n') >= 0 {
				break
			}
		}
		out := strconv.AppendInt(buf[:0:0], 600, 10)
		if trid, ok := firstTrID(buf[:n]); ok {
			out = strconv.AppendUint(append(out, ' '), uint64(trid), 10)
		}
		out = append(out, '\r', '\n')
		if _, err := nc.Write(out); err == nil {
			s.stats.bytesOut.Add(uint64(len(out)))
		}
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.CloseWrite() // FIN first, so the 600 is not lost to a reset
		}
	}()
}

// firstTrID returns the TrID of the first command line in b, if it has one.
func firstTrID(b []byte) (uint32, bool) {
	if i := indexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	i := 0
	for i < len(b) && b[i] != ' ' {
		i++
	}
	for i < len(b) && b[i] == ' ' {
		i++
	}
	j := i
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	return msnp.ParseUint32(b[i:j])
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// forget removes a finished connection from the server's set.
func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.stats.connsOpen.Add(-1)
}

// randomLoginChallenge is the default Config.Challenge: the form real
// servers used, "<unix seconds>.<9 digits>" (MSNP.md §3.1), fresh per login.
func randomLoginChallenge(dst []byte) []byte {
	dst = strconv.AppendInt(dst, time.Now().Unix(), 10)
	dst = append(dst, '.')
	return appendDigits(dst, rand.Uint64N(1e9), 9)
}

// randomCHLChallenge is the default Config.CHLChallenge: 20 random digits
// (MSNP.md §4.5).
func randomCHLChallenge(dst []byte) []byte {
	dst = append(dst, byte('1'+rand.IntN(9)))
	return appendDigits(dst, rand.Uint64N(1e19), 19)
}

// appendDigits appends v as exactly n decimal digits, zero-padded.
func appendDigits(dst []byte, v uint64, n int) []byte {
	var tmp [20]byte
	for i := n - 1; i >= 0; i-- {
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, tmp[:n]...)
}
