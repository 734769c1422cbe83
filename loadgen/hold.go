package loadgen

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"

	"github.com/msnbench/msnbench/internal/rxstamp"
	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

// Holding a session: after its steps, a session stays logged in for the
// hold time, sends PNG every ping interval (timed until QNG), answers CHL
// with QRY (timed from the CHL to the acknowledgement), skips everything
// else, then logs out.
//
// The timer is the connection's read deadline. A deadline that fires
// surfaces inside connReader.Read, which runs holdTick (send the PNG that is
// due, check the ping and QRY timeouts, re-arm the deadline) and goes back
// to reading. The msnp.Reader never sees those timeouts, so a command that
// is half received when the timer fires (a slow server, a large payload)
// is simply completed by the next read: nothing is lost and nothing needs
// to be re-parsed.

// holdState is one held session's timers.
type holdState struct {
	end      time.Time // end of the hold
	nextPing time.Time // when the next PNG is due
	pinging  bool      // a PNG waits for its QNG
	pingAt   int64     // when it was sent (ns since run start)
	pingDue  time.Time // when its QNG is late
	qryTrID  uint32    // a QRY waits for its acknowledgement (0: none)
	qryDue   time.Time
	failed   report.Phase // the phase a timer failure belongs to
	ps       presenceState

	// chat (--chat-every, sb.go)
	nextChat time.Time  // when the next switchboard may be asked for
	xfrTrID  uint32     // an XFR SB waits for its reply (0: none)
	xfrAt    int64      // when it was written (ns since run start)
	xfrDue   time.Time  // when it is late
	xfrPeer  int32      // whom it is for
	chats    uint64     // switchboards asked for in this hold
	noSB     bool       // the server has no switchboard for us: stop asking
	out      *session   // the switchboard this user calls from, if any
	ins      []*session // switchboards this user was called into
	rnd      uint64     // jitter state
	contacts []int32    // scratch for choosing a partner
}

// errHoldDone ends a hold normally: its time is up or the run is ending.
var errHoldDone = errors.New("hold done")

// connReader is the msnp.Reader's source: the session's connection, which
// during a hold also runs the hold timer on read timeouts. It keeps when
// the data of the last read arrived, for connections that know it.
type connReader struct {
	s      *session
	c      net.Conn
	st     arrivalConn     // c, if it can say when its reads' data arrived
	rx     *rxstamp.Reader // or what reads c (a Go net connection) with stamps
	rxr    *rxstamp.Reader // rx's storage, reused from connection to connection
	inHold bool
	at     int64 // the last read's data arrived at (ns since run start); 0: unknown
}

// arrivalConn is a connection that can say when the data of its last read
// arrived at the socket (evloop.Conn with receive timestamps on): a wall
// clock reading in nanoseconds, 0 when unknown.
type arrivalConn interface{ Arrival() int64 }

// set makes c the connection to read. With kernel timestamps, an event
// loop's connection stamps its own reads; a Go net connection from the
// dialer (stampedConn) is read through rxr with recvmsg.
func (r *connReader) set(c net.Conn) {
	r.c, r.at, r.rx = c, 0, nil
	r.st, _ = c.(arrivalConn)
	if sc, ok := c.(*stampedConn); ok {
		if r.rxr == nil {
			r.rxr = new(rxstamp.Reader) // only Go net connections with stamps need one
		}
		r.rxr.Reset(sc.raw, r.s.p.start)
		r.rx = r.rxr
	}
}

func (r *connReader) Read(p []byte) (int, error) {
	for {
		var n int
		var err error
		switch {
		case r.rx != nil:
			n, err = r.rx.Read(p)
			if n > 0 {
				r.at = 0
				if at, ok := r.rx.Arrived(); ok {
					r.at = max(1, int64(at))
				}
			}
		default:
			n, err = r.c.Read(p)
			if n > 0 && r.st != nil {
				r.at = 0
				if w := r.st.Arrival(); w != 0 {
					r.at = max(1, int64(rxstamp.Since(r.s.p.start, w)))
				}
			}
		}
		if n > 0 || err == nil || !r.inHold {
			return n, err
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			return n, err
		}
		if err := r.s.holdTick(); err != nil {
			return 0, err
		}
	}
}

// holdTick does what is due at the current time and re-arms the deadline
// for the next thing that will be. It returns errHoldDone when the hold is
// over, or the error that ends it early (with hs.failed set).
func (s *session) holdTick() error {
	if s.sb != nil {
		return s.sbTick()
	}
	p := s.p
	h := &s.hs
	c := s.src.c
	if p.stopHold.Load() || s.canceled.Load() {
		return errHoldDone
	}
	now := time.Now()
	if h.xfrTrID != 0 && !now.Before(h.xfrDue) {
		// No reply to XFR SB (a server that ignores what it does not
		// know): the switchboard failed, the session goes on without.
		h.xfrTrID, h.noSB = 0, true
		p.chat.fail(report.SBXfr, os.ErrDeadlineExceeded)
	}
	// At the end of the hold, a PNG or QRY still outstanding is waited for
	// (up to its timeout), so its measurement is not thrown away.
	ended := !now.Before(h.end)
	// A PNG that fell due within the hold is sent even if we only notice
	// after the end (a starved goroutine): the keep-alive a real client
	// owed is still measured.
	pingOwed := !h.pinging && !h.nextPing.After(h.end)
	// Status changes (--status-every) are written, and their notifications
	// waited for, like PNGs.
	presenceWake, presenceDone, err := s.presenceTick(now, ended)
	if err != nil {
		return err
	}
	if ended && !h.pinging && h.qryTrID == 0 && !pingOwed && presenceDone {
		return errHoldDone
	}
	// When both are overdue (a goroutine that woke late), blame the one
	// that was due first.
	pingLate := h.pinging && !now.Before(h.pingDue)
	qryLate := h.qryTrID != 0 && !now.Before(h.qryDue)
	if qryLate && (!pingLate || h.qryDue.Before(h.pingDue)) {
		h.failed = report.Qry
		return os.ErrDeadlineExceeded
	}
	if pingLate {
		h.failed = report.Ping
		return os.ErrDeadlineExceeded
	}
	if !ended && s.chlPending && h.qryTrID == 0 {
		s.chlPending = false
		h.qryTrID = s.nextTrID()
		msnp.QRYHash(&s.hash, s.chl[:s.chlLen], p.qryKey)
		s.wbuf = msnp.AppendQRY(s.wbuf[:0], h.qryTrID, p.qryID, &s.hash)
		h.qryDue = now.Add(p.timeout)
		_ = c.SetWriteDeadline(h.qryDue)
		if _, err := c.Write(s.wbuf); err != nil {
			h.failed = report.Qry
			return err
		}
	}
	if !h.pinging && !now.Before(h.nextPing) && (!ended || pingOwed) {
		s.wbuf = msnp.AppendPNG(s.wbuf[:0])
		_ = c.SetWriteDeadline(now.Add(p.timeout))
		// The clock starts before the write, as in every other phase, so a
		// client descheduled after writing cannot shorten the round trip.
		pingAt := p.now()
		if _, err := c.Write(s.wbuf); err != nil {
			h.failed = report.Ping
			return err
		}
		h.pinging, h.pingAt, h.pingDue = true, pingAt, now.Add(p.timeout)
		h.nextPing = now.Add(p.ping)
	}
	if !ended && p.chat != nil && !h.noSB {
		if err := s.chatTick(c, now); err != nil {
			h.failed = report.SBXfr
			return err
		}
	}
	wake := now.Add(p.timeout)
	if !ended {
		wake = h.end
		if !h.pinging {
			wake = minTime(wake, h.nextPing)
		}
		if p.chat != nil && !h.noSB && h.xfrTrID == 0 {
			wake = minTime(wake, h.nextChat)
		}
	}
	if h.xfrTrID != 0 {
		wake = minTime(wake, h.xfrDue)
	}
	if h.pinging {
		wake = minTime(wake, h.pingDue)
	}
	if h.qryTrID != 0 {
		wake = minTime(wake, h.qryDue)
	}
	if !presenceWake.IsZero() {
		wake = minTime(wake, presenceWake)
	}
	_ = c.SetReadDeadline(wake)
	// Checked after arming, so a wake from the engine in between is not
	// lost: either its past deadline came after ours, or we see the flag.
	if p.stopHold.Load() || s.canceled.Load() {
		return errHoldDone
	}
	return nil
}

// holdBegin starts the hold of the session on its connection (s.src.c).
func (s *session) holdBegin() {
	p := s.p
	h := &s.hs
	now := time.Now()
	*h = holdState{end: now.Add(p.hold), nextPing: now.Add(p.ping)}
	if p.ping <= 0 {
		// No PNG: the next one is never due within the hold (and one
		// due after it is never owed).
		h.nextPing = h.end.Add(1)
	}
	s.presenceStart(now)
	if p.chat != nil {
		h.rnd = splitmix(p.chat.seed ^ uint64(s.acct))
		h.nextChat = now.Add(jitter(p.chat.every, &h.rnd))
		h.xfrPeer = -1
		p.chat.holdEnd[s.acct].Store(max(1, int64(h.end.Sub(p.start))))
	}
	s.holding.Store(true)
	s.src.inHold = true
	if s.rd.Buffered() == 0 {
		// A held session reads a line now and then: lend the login-sized
		// reader to the next login and hold with a small one. Nothing is
		// buffered, so nothing is lost by the swap.
		bigReaders.Put(s.rd)
		s.rd = getReader(&smallReaders, &s.src, holdBufSize)
		s.smallRd = true
	}
}

// holdRun goes on with the hold: it does what is due, reads and answers
// what the server sends, and ends the hold (logout, or close on an error)
// when it is over. With park, whenever nothing is buffered and nothing has
// arrived, it parks the session instead of waiting (s.parker: the event
// loop then holds it without a goroutine, and its reader and write buffer
// go back to their pools) and returns parked; holdRun is called again when
// the connection needs the session. It returns the phase and error if the
// hold ended early (kicked, closed, a ping or QRY timeout, a server error);
// the end of the run ends it cleanly.
func (s *session) holdRun(park bool) (ph report.Phase, err error, parked bool) {
	p := s.p
	h := &s.hs
	c := s.src.c
	if s.rd == nil { // unparked
		s.rd = getReader(&smallReaders, &s.src, holdBufSize)
		s.smallRd = true
		s.wbuf = getWriteBuf()
	}
	err = s.holdTick()
	for err == nil {
		if park && s.rd.Buffered() == 0 && s.parker.park(c) {
			s.putReader()
			putWriteBuf(s.wbuf)
			s.wbuf = nil
			return 0, nil, true
		}
		var cmd *msnp.Command
		if cmd, err = s.rd.Next(); err != nil {
			var se *msnp.ServerError
			if h.xfrTrID != 0 && errors.As(err, &se) && se.HasTrID && se.TrID == h.xfrTrID {
				// 913 (hidden), 502 (no switchboard), 200 (XFR SB
				// unknown): the session is kept, without chat.
				h.xfrTrID, h.noSB = 0, true
				p.chat.fail(report.SBXfr, err)
				err = s.holdTick()
				continue
			}
			if h.xfrTrID != 0 {
				h.failed = report.SBXfr // the server closed on XFR SB
			}
			break
		}
		switch {
		case cmd.Is("QNG"):
			if h.pinging {
				h.pinging = false
				s.recordValue(report.Ping, s.replyAt(h.pingAt)-h.pingAt)
			}
		case cmd.Is("QRY") && cmd.HasTrID && cmd.TrID == h.qryTrID:
			h.qryTrID = 0
			s.recordValue(report.Qry, s.replyAt(s.chlAt)-s.chlAt)
		case s.heldCommand(cmd):
			// presence (and the status change's echo): see presence.go
		default:
			// CHL is stashed and answered by holdTick; OUT and an
			// asynchronous XFR end the session.
			if err = s.async(cmd); err != nil {
				h.failed = report.Ping
				if h.qryTrID != 0 {
					h.failed = report.Qry
				}
				continue
			}
		}
		err = s.holdTick()
	}
	ph, err = s.holdEnd(c, err)
	return ph, err, false
}

// holdEnd logs out (the hold is done) or closes the connection (it ended
// early with err), and gives the session's reader back to its pool.
func (s *session) holdEnd(c net.Conn, err error) (report.Phase, error) {
	h := &s.hs
	defer func() {
		s.src.inHold = false
		s.holding.Store(false)
		// The reader goes back to its pool; the next login takes a
		// login-sized one (run).
		s.putReader()
		if s.p.chat != nil {
			s.endChats()
		}
		s.presenceEnd()
	}()
	if errors.Is(err, errHoldDone) {
		s.logout(c)
		return 0, nil
	}
	s.closeConn(c)
	if h.failed == 0 { // a read error: blame what was outstanding
		h.failed = report.Ping
		var se *msnp.ServerError
		switch {
		case h.qryTrID != 0:
			h.failed = report.Qry
		case h.ps.chgTrID != 0 && errors.As(err, &se) && se.HasTrID && se.TrID == h.ps.chgTrID:
			h.failed = report.Presence // the server refused a status change
		}
	}
	return h.failed, err
}

// putReader gives the session's reader back to its pool.
func (s *session) putReader() {
	if s.smallRd {
		smallReaders.Put(s.rd)
	} else {
		bigReaders.Put(s.rd)
	}
	s.rd, s.smallRd = nil, false
}

// holdParker parks held sessions without their goroutine: the event
// loops (loop_linux.go). park reports whether it took the session, whose
// connection is c; holdRun is then called again (on a goroutine of the
// parker's) when c needs the session.
type holdParker interface {
	park(c net.Conn) bool
	// forSB is the parker of a switchboard connection s of this
	// session's user, on the same loop (sb.go).
	forSB(s *session) holdParker
}

// Write buffers of parked sessions: a parked session has nothing to
// write, so it lends its buffer out.
var writeBufs sync.Pool

func getWriteBuf() []byte {
	if b, ok := writeBufs.Get().(*[writeBufSize]byte); ok {
		return b[:0]
	}
	return make([]byte, 0, writeBufSize)
}

func putWriteBuf(b []byte) {
	if cap(b) == writeBufSize {
		writeBufs.Put((*[writeBufSize]byte)(b[:writeBufSize]))
	}
}

// holdBufSize is the read buffer of a held session: far above the longest
// MD5-era line (~560 bytes, MSNP.md §1.2); a larger payload grows it.
const holdBufSize = 2048

// Readers not in use, by size: a held session gives its login-sized reader
// back and takes a small one (none while parked), and a login takes a
// login-sized one, so memory per held session is what holding needs, not
// what a login needs, and a worker that has not logged in yet has none.
var bigReaders, smallReaders sync.Pool

func getReader(pool *sync.Pool, src *connReader, size int) *msnp.Reader {
	if r, ok := pool.Get().(*msnp.Reader); ok {
		r.Reset(src)
		return r
	}
	return msnp.NewReader(src, msnp.FromServer, size)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
