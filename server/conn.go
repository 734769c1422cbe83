package server

import (
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/msnbench/msnbench/internal/rxstamp"
	"github.com/msnbench/msnbench/msnp"
)

// Session states (MSNP.md §6.1).
const (
	stNew        uint8 = iota // nothing yet: VER expected
	stVer                     // VER done: INF or USR MD5 I expected
	stChallenged              // NS sent the challenge: USR MD5 S expected
	stOnline                  // logged in
)

// Status values of a logged-in session; 0 means it has not sent CHG yet and
// so is offline to its contacts.
var statuses = [...]string{"FLN", "NLN", "BSY", "IDL", "BRB", "AWY", "PHN", "LUN", "HDN"}

const statusHDN = 8

// visible reports whether a status shows the user online to contacts.
func visible(st uint32) bool { return st != 0 && st != statusHDN }

// outKeep is the capacity of the reply buffer kept between replies; a larger
// one (after a big SYN) is dropped so held sessions stay small.
const outKeep = 1024

// conn is one client connection and, on the notification listener, its
// session. Only its own goroutine touches the fields above status, except
// that the waker reads out and sets sent while the goroutine waits for its
// wake token. Other goroutines (presence fan-out, a duplicate login, Close)
// write to the connection through push and kick, serialised by wmu.
type conn struct {
	s    *Server
	nc   net.Conn
	role role
	rd   *msnp.Reader
	out  []byte // reply being built
	// big is the pooled buffer c.out uses during a large reply, and small
	// the connection's own buffer meanwhile.
	big   *bigBuf
	small []byte

	state      uint8
	gotINF     bool
	latePhase  Phase // the phase of the reply waiting for the waker
	dialect    msnp.Dialect
	acct       int32  // account index once USR I named a known one, else -1
	chal       []byte // login challenge sent
	chl        []byte // CHL challenge last sent
	chalBuf    [32]byte
	chlBuf     [32]byte
	chlPending bool // chl awaits its QRY
	chlDue     time.Time
	chlNext    time.Time // when to send the next CHL (Config.CHLEvery), or zero
	listVer    uint32
	gtc        byte   // 'A' or 'N'
	blp        string // "AL" or "BL"

	lastCmd      time.Time // end of the last complete command (idle timer base)
	partialSince time.Time // first read of the current, incomplete command
	armed        time.Time // read deadline currently set on nc
	timer        *time.Timer
	wake         chan struct{} // the waker's token when a delay is due
	sent         int           // bytes of c.out the waker wrote, or sentFailed
	holdsLock    bool          // the waker wrote part of c.out and left wmu locked for us
	// arr reads with kernel arrival stamps when replies are delayed;
	// replyFrom is when the command being answered arrived (since the
	// server's epoch), where its delay starts; 0 when unknown.
	arr       *rxstamp.Reader
	raw       syscall.RawConn    // the socket, when replies are delayed
	rawFn     func(uintptr) bool // rawWrite, as a method value made once
	rawN      int
	rawErr    error
	replyFrom time.Duration
	lastDue   time.Duration // when the last delayed reply was due
	wk        *waker        // the waker that delivers this connection's delayed replies

	status   atomic.Uint32 // index into statuses, read by other sessions
	loggedIn atomic.Bool   // state == stOnline, for other goroutines
	wmu      sync.Mutex    // serialises writes to nc
	scratch  []byte        // presence lines built for other sessions
	// sb is the switchboard session a switchboard connection has joined
	// (after USR or ANS); only the connection's goroutine touches it.
	sb *sbSession
}

func newConn(s *Server, nc net.Conn, r role) *conn {
	return &conn{s: s, nc: nc, role: r, acct: -1, listVer: 1, gtc: 'A', blp: "AL"}
}

// serve runs the connection until it ends, then cleans up.
func (c *conn) serve() {
	s := c.s
	defer s.wg.Done()
	defer c.finish()
	// The reader and reply buffer are pooled: a login costs two short
	// connections, and their buffers are the bulk of what they allocate.
	if b, ok := s.bufs.Get().(*connBufs); ok {
		c.rd, c.out = b.rd, b.out[:0]
		c.rd.Reset(c)
	} else {
		c.rd = msnp.NewReader(c, msnp.FromClient, s.cfg.MaxLine+128)
		c.rd.SetLimits(s.cfg.MaxLine, s.cfg.MaxPayload)
		c.out = make([]byte, 0, 256)
	}
	if s.anyDelay {
		// Delayed replies need the request's arrival (arr) and a write
		// the waker can make without blocking (deliver).
		if raw := rxstamp.Raw(c.nc); raw != nil {
			if rawWrites {
				c.raw, c.rawFn = raw, c.rawWrite
			}
			c.arr = rxstamp.NewRaw(raw, s.epoch)
		}
	}
	c.lastCmd = time.Now()
	for {
		cmd, err := c.rd.Next()
		if err != nil {
			c.readFailed(err)
			return
		}
		if c.arr != nil {
			if at, ok := c.arr.Arrived(); ok {
				c.replyFrom = at
			}
		}
		c.lastCmd = time.Now()
		c.partialSince = time.Time{}
		s.stats.commands.Add(1)
		ok := c.handle(cmd)
		c.replyFrom = 0 // what is sent later answers no command
		if !ok {
			return
		}
	}
}

// readFailed counts why reading stopped and, for a missed CHL, says OUT.
func (c *conn) readFailed(err error) {
	st := &c.s.stats
	var pe *msnp.ProtocolError
	switch {
	case errors.As(err, &pe):
		st.protocolViolations.Add(1)
		if errors.Is(err, msnp.ErrLineTooLong) || errors.Is(err, msnp.ErrPayloadTooLarge) {
			st.lineTooLong.Add(1)
		}
	case errors.Is(err, os.ErrDeadlineExceeded):
		if c.chlPending && !time.Now().Before(c.chlDue) {
			st.challengesFailed.Add(1)
			c.out = msnp.AppendOUT(c.out[:0], "")
			c.writeOut()
			return
		}
		st.timeouts.Add(1)
	}
}

// finish releases the session: presence, registry, counters, socket.
func (c *conn) finish() {
	s := c.s
	if c.sb != nil {
		c.leaveSB()
	}
	if c.state == stOnline {
		s.stats.online.Add(-1)
		if s.online[c.acct].CompareAndSwap(c, nil) && visible(c.status.Load()) {
			c.scratch = msnp.AppendFLN(c.scratch[:0], s.dir.accounts[c.acct].email)
			s.notifyWatchers(c.acct, c.scratch)
		}
	}
	c.nc.Close()
	if c.timer != nil {
		c.timer.Stop()
	}
	if c.rd != nil {
		c.rd.Reset(nil)
		if cap(c.out) > outKeep {
			c.out = nil
		}
		s.bufs.Put(&connBufs{rd: c.rd, out: c.out})
		c.rd, c.out = nil, nil
	}
	s.forget(c)
}

// connBufs are the per-connection buffers kept in Server.bufs.
type connBufs struct {
	rd  *msnp.Reader
	out []byte
}

// Read is the Reader's source: it keeps the connection's read deadline at
// the earliest of the idle timeout, the per-command timeout (once part of a
// command has arrived) and the CHL deadline. The deadline is only moved when
// it must come earlier or has fallen well behind, so a busy connection does
// not reset a timer per command; a timeout that fires early because of that
// is ignored and the read resumed.
func (c *conn) Read(p []byte) (int, error) {
	for {
		now := time.Now()
		if c.chlTime(now) {
			// A later challenge (Config.CHLEvery) is due while the client
			// is quiet: the read deadline woke us for it.
			if !c.sendCHL(now) {
				return 0, net.ErrClosed
			}
		}
		dl := c.deadline(now)
		if !dl.After(now) {
			return 0, os.ErrDeadlineExceeded
		}
		if !c.armed.After(now) || dl.Before(c.armed) || dl.Sub(c.armed) > time.Second {
			c.nc.SetReadDeadline(dl)
			c.armed = dl
		}
		var n int
		var err error
		if c.arr != nil {
			n, err = c.arr.Read(p)
		} else {
			n, err = c.nc.Read(p)
		}
		if n > 0 {
			c.s.stats.bytesIn.Add(uint64(n))
			return n, nil
		}
		if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
			if now := time.Now(); now.Before(c.deadline(now)) || c.chlTime(now) {
				continue
			}
		}
		return n, err
	}
}

func (c *conn) deadline(now time.Time) time.Time {
	cfg := &c.s.cfg
	dl := c.lastCmd.Add(cfg.IdleTimeout)
	if c.rd != nil && c.rd.Buffered() > 0 {
		if c.partialSince.IsZero() {
			c.partialSince = now
		}
		if t := c.partialSince.Add(cfg.ReadTimeout); t.Before(dl) {
			dl = t
		}
	}
	if c.chlPending && c.chlDue.Before(dl) {
		dl = c.chlDue
	}
	if !c.chlPending && !c.chlNext.IsZero() && c.chlNext.Before(dl) {
		dl = c.chlNext
	}
	return dl
}

// chlTime reports whether a repeated CHL is due.
func (c *conn) chlTime(now time.Time) bool {
	return !c.chlNext.IsZero() && !c.chlPending && !now.Before(c.chlNext)
}

// sendCHL writes a new "CHL 0 <challenge>" on its own (between commands)
// and starts its deadline.
func (c *conn) sendCHL(now time.Time) bool {
	s := c.s
	s.stats.challenges.Add(1)
	c.chl = s.cfg.CHLChallenge(c.chlBuf[:0])
	c.chlPending, c.chlDue, c.chlNext = true, now.Add(s.cfg.CHLTimeout), time.Time{}
	var buf [64]byte
	return c.write(msnp.AppendCHL(buf[:0], c.chl), s.cfg.WriteTimeout)
}

// send waits for the phase's delay (and any stall), then writes the reply
// built in c.out in one write. It returns false if the connection failed.
func (c *conn) send(p Phase) bool {
	if len(c.out) == 0 {
		return true
	}
	if c.s.anyDelay || c.s.stallUntil.Load() != 0 {
		if !c.wait(p) {
			return false
		}
		if c.sent > 0 || c.sent == sentFailed {
			// The waker wrote (some of) the reply at its deadline.
			sent := c.sent
			c.sent = 0
			if sent == sentFailed {
				c.nc.Close()
				return false
			}
			if sent < len(c.out) {
				if !c.write(c.out[sent:], c.s.cfg.WriteTimeout) {
					return false
				}
			}
			c.out = c.out[:0]
			return c.writeOut() // nothing left to write: resets the buffers
		}
	}
	return c.writeOut()
}

// wait holds the reply for the delay of phase p plus jitter, or until the end
// of a stall, whichever is later. It returns false when the server closes.
func (c *conn) wait(p Phase) bool {
	s := c.s
	d := s.delay[p]
	if s.cfg.Jitter > 0 {
		d += time.Duration(rand.Int64N(int64(s.cfg.Jitter)))
	}
	// The delay runs from the request's arrival in the kernel when that is
	// known, so the server's own wake-up is inside it, not added to it. As
	// in a server that handles a connection's commands one at a time, it
	// starts no earlier than the previous reply was due: pipelined commands
	// are answered D apart, as when the delay started on reading them. A
	// second reply to the same command waits its full delay after the first.
	now := time.Since(s.epoch)
	start := now
	if from := c.replyFrom; from > 0 && from <= now && now-from < time.Second {
		start = max(from, min(c.lastDue, now))
	}
	c.replyFrom = 0
	due := now
	if d > 0 {
		due = start + d
		c.lastDue = due
	}
	if until := s.stallUntil.Load(); until != 0 && time.Duration(until) > due {
		due = time.Duration(until)
	}
	if due == now {
		return true // no delay and no stall
	}
	s.stats.delayed.Add(1)
	if due < now {
		// The server read the request only after its reply was due (a
		// starved process): send at once and count the lateness.
		s.stats.delayLate.Add(uint64(now - due))
		s.late.record(p, now-due)
		return true
	}
	if coarse := due - now - coarseMargin; coarse > 0 {
		if c.timer == nil {
			c.timer = time.NewTimer(coarse)
		} else {
			c.timer.Reset(coarse)
		}
		select {
		case <-c.timer.C:
		case <-s.done:
			return false
		}
	}
	if c.wake == nil {
		c.wake = make(chan struct{}, 1)
	}
	if c.wk == nil {
		c.wk = &s.wakers[int(s.nextWaker.Add(1))%len(s.wakers)]
	}
	c.latePhase = p
	c.wk.add(due, c)
	select {
	case <-c.wake:
		return true
	case <-s.done:
		// The waker must be done with c.out before the buffers go back to
		// the pool: either the entry is still queued, or its token follows.
		if !c.wk.cancel(c) {
			<-c.wake
			if c.holdsLock {
				c.holdsLock = false
				c.wmu.Unlock()
			}
		}
		return false
	}
}

// writeOut writes c.out and empties it.
func (c *conn) writeOut() bool {
	ok := true
	if len(c.out) > 0 {
		ok = c.write(c.out, c.s.cfg.WriteTimeout)
	}
	switch {
	case c.big != nil:
		c.big.b = c.out[:0]
		c.s.big.Put(c.big)
		c.big, c.out, c.small = nil, c.small[:0], nil
	case cap(c.out) > outKeep:
		c.out = make([]byte, 0, 256)
	default:
		c.out = c.out[:0]
	}
	return ok
}

// bigBuf is a large reply buffer in Server.big.
type bigBuf struct{ b []byte }

// useBigBuffer switches c.out to a pooled large buffer for one reply (a full
// SYN), so held sessions keep only a small buffer and big replies do not
// allocate; writeOut switches back.
func (c *conn) useBigBuffer() {
	if c.big != nil {
		return
	}
	bb, _ := c.s.big.Get().(*bigBuf)
	if bb == nil {
		bb = &bigBuf{b: make([]byte, 0, 16<<10)}
	}
	c.big, c.small = bb, c.out
	c.out = append(bb.b[:0], c.out...)
}

// sentFailed in conn.sent says the waker's write failed.
const sentFailed = -1

// deliver is called by the waker at the reply's deadline, while the
// connection's goroutine waits for its token: it writes as much of c.out as
// the socket takes at once, so the reply leaves exactly on time without
// waiting for the connection's goroutine to be scheduled. It never blocks:
// a busy write lock or a full socket leaves the rest to the connection.
func (c *conn) deliver() {
	if !c.wmu.TryLock() {
		return
	}
	var n int
	var err error
	if c.raw != nil {
		// One write(2), whatever it takes: no deadline to arm (on Go's
		// poller that is a timer, and a wake-up of the poller's thread, in
		// the path of a reply that is due now).
		c.rawN, c.rawErr = 0, nil
		if err = c.raw.Write(c.rawFn); err == nil {
			n, err = c.rawN, c.rawErr
		}
	} else {
		c.nc.SetWriteDeadline(time.Now().Add(50 * time.Microsecond))
		n, err = c.nc.Write(c.out)
	}
	c.s.stats.bytesOut.Add(uint64(n))
	c.sent = n
	switch {
	case err != nil && !errors.Is(err, os.ErrDeadlineExceeded):
		c.sent = sentFailed
	case n > 0 && n < len(c.out):
		// Part of the reply is out: keep the write lock, so no presence
		// line lands in the middle of it; the connection's goroutine
		// writes the rest and unlocks (a Mutex may be unlocked by another
		// goroutine than the one that locked it).
		c.holdsLock = true
		return
	}
	c.wmu.Unlock()
}

// write writes b from the connection's own goroutine under the write lock
// with a deadline; a failed write closes the connection (its reader then
// ends the session).
func (c *conn) write(b []byte, timeout time.Duration) bool {
	if c.holdsLock {
		c.holdsLock = false // the waker left us the lock with a partial reply
	} else {
		c.wmu.Lock()
	}
	return c.writeLocked(b, timeout)
}

// writeFrom writes b from another goroutine (presence, a duplicate login).
// It waits at most timeout for the write lock: the lock is normally held for
// a microsecond, and a connection whose own writes are stuck behind a client
// that does not read is dropped rather than stalling the sender.
func (c *conn) writeFrom(b []byte, timeout time.Duration) bool {
	if !c.wmu.TryLock() {
		if f := c.s.lockWaited.Load(); f != nil {
			(*f)(c)
		}
		deadline := time.Now().Add(timeout)
		for !c.wmu.TryLock() {
			if time.Now().After(deadline) {
				c.s.stats.timeouts.Add(1)
				c.nc.Close()
				return false
			}
			time.Sleep(200 * time.Microsecond)
		}
	}
	return c.writeLocked(b, timeout)
}

// writeLocked writes b with the write lock held, and releases it.
func (c *conn) writeLocked(b []byte, timeout time.Duration) bool {
	c.nc.SetWriteDeadline(time.Now().Add(timeout))
	n, err := c.nc.Write(b)
	c.wmu.Unlock()
	c.s.stats.bytesOut.Add(uint64(n))
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			c.s.stats.timeouts.Add(1)
		}
		c.nc.Close()
		return false
	}
	return true
}

// pushTimeout bounds a presence write to another session: a client that does
// not read its socket is dropped rather than stalling the sender.
const pushTimeout = 2 * time.Second

// push writes an asynchronous line (NLN, FLN) from another session.
func (c *conn) push(line []byte) {
	c.writeFrom(line, min(pushTimeout, c.s.cfg.WriteTimeout))
	c.s.stats.presence.Add(1)
}

// kick ends a session from outside with "OUT <reason>" (OTH for a duplicate
// login, SSD for shutdown).
func (c *conn) kick(reason string) {
	var buf [16]byte
	c.writeFrom(msnp.AppendOUT(buf[:0], reason), min(pushTimeout, c.s.cfg.WriteTimeout))
	c.nc.Close()
}

// shutdown is kick("SSD") for Close: it never waits for a busy connection's
// write lock, so Close cannot hang on a client that does not read.
func (c *conn) shutdown() {
	if c.loggedIn.Load() {
		if c.wmu.TryLock() {
			c.nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			c.nc.Write([]byte("OUT SSD\r\n"))
			c.wmu.Unlock()
		}
	}
	c.nc.Close()
}
