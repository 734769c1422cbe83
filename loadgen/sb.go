package loadgen

import (
	"errors"
	"net"
	"sync/atomic"
	"time"

	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

// A switchboard connection of a held user (MSNP.md §4.9) is a session of
// its own: the same reader, writer, timestamps and hold timer as the
// notification server's, with sb set. The held session (the owner) asks
// for the switchboard (XFR SB, hold.go) and starts one of these for it
// (the caller), or for an RNG it got (the callee); each runs on its own
// goroutine, or on the owner's event loop, where it parks between
// messages (resumeSB), until the owner's hold ends or the other side
// leaves. This file opens and ends it; sbmsg.go is the conversation.
//
// Caller: dial (sb.connect), USR (sb.usr), CAL → RINGING (sb.cal), JOI
// (sb.joi, from the CAL), then MSG A every ChatEvery, each timed to its
// ACK (msg.ack). Callee: dial, ANS → ANS OK (sb.ans), then every MSG is
// timed from the sender's write, carried in the message, to its arrival
// here (msg.deliver).

// sbState is a switchboard connection's own state.
type sbState struct {
	caller bool
	acct   int32 // the owner's account
	peer   int32 // the other side's account, -1 when not this run's
	conv   *conv // nil when the other side is not held by this process
	setup  *sbSetup

	end        time.Time // the owner's hold ends
	stop, done atomic.Bool
	rnd        uint64 // jitter state

	// caller
	calTrID  uint32 // CAL waits for RINGING
	calAt    int64
	calDue   time.Time
	joined   bool
	joiDue   time.Time
	nextMsg  time.Time
	msgTrID  uint32 // a MSG waits for its ACK (0: none)
	msgAt    int64
	msgDue   time.Time
	seq      uint64
	ending   bool // stop seen: no new messages, the last ACK is waited for
	peerLeft bool // BYE came while a message waited for its ACK or NAK
	failedPh report.Phase
}

// sbSetup is what a switchboard connection needs only to open it: dropped
// once it is open, so that the connection costs less while it lasts.
type sbSetup struct {
	addr       string
	cookie     [128]byte
	cookieLen  int
	session    [24]byte // the callee's session id (RNG)
	sessionLen int
	peerHandle [130]byte
	peerLen    int
}

var (
	// errNoSwitchboard: the server answered XFR SB with something other
	// than a switchboard (an unknown-command reply, a malformed referral).
	errNoSwitchboard = msnp.NewProtocolErrorDetail("the server did not hand out a switchboard for XFR SB",
		msnp.DetailNoSwitchboard)
	errMisrouted  = msnp.NewProtocolErrorDetail("a message for another user arrived", msnp.DetailMisrouted)
	errBadMessage = msnp.NewProtocolErrorDetail("a message of ours arrived cut short or corrupted",
		msnp.DetailBadMessage)
	errSBUnexpected = map[string]error{
		"USR OK":        msnp.NewProtocolErrorDetail("unexpected reply, want USR OK", msnp.DetailUnexpected),
		"CAL RINGING":   msnp.NewProtocolErrorDetail("unexpected reply, want CAL RINGING", msnp.DetailUnexpected),
		"ANS OK":        msnp.NewProtocolErrorDetail("unexpected reply, want ANS OK", msnp.DetailUnexpected),
		"XFR SB":        errNoSwitchboard,
		"ACK":           msnp.NewProtocolErrorDetail("unexpected reply, want ACK or NAK", msnp.DetailUnexpected),
		"a switchboard": msnp.NewProtocolErrorDetail("unexpected reply on the switchboard", msnp.DetailUnexpected),
	}
	// errPeerLeft ends a conversation normally: the other side sent BYE.
	errPeerLeft = errors.New("the other side left the switchboard")
)

// newSBSession makes a switchboard connection for owner's held user.
func newSBSession(owner *session, caller bool) *session {
	p := owner.p
	s := &session{p: p, stripe: owner.stripe, warm: owner.warm, wbuf: getWriteBuf(), dial: owner.dial,
		spawn: owner.spawn}
	s.src.s = s
	s.rd, s.smallRd = getReader(&smallReaders, &s.src, holdBufSize), true
	if owner.parker != nil {
		s.parker = owner.parker.forSB(s)
	}
	b := &sbState{caller: caller, acct: owner.acct, peer: -1, end: owner.hs.end}
	b.rnd = splitmix(p.chat.seed ^ uint64(owner.acct)<<1 ^ uint64(p.now()))
	s.sb = b
	if owner.canceled.Load() {
		s.canceled.Store(true)
	}
	return s
}

// start runs the switchboard connection on the owner's event loop, or on
// a goroutine of its own.
func (s *session) start() {
	h := s.p.chat
	if s.spawn != nil {
		s.spawn(s.runSB)
		return
	}
	h.wg.Add(1)
	h.addLive(s)
	go func() {
		defer h.wg.Done()
		defer h.removeLive(s)
		s.runSB()
	}()
}

// stopSB tells a switchboard connection that its owner's hold is over.
func (s *session) stopSB() {
	s.sb.stop.Store(true)
	s.wake()
}

func (s *session) runSB() {
	s.holding.Store(true)
	ph, c, err := s.openSB()
	s.sb.setup = nil
	if err != nil {
		s.endSB(c, ph, err)
		return
	}
	s.src.inHold = true
	s.resumeSB()
}

// resumeSB goes on with the conversation until it is over, or until its
// connection is parked (event loops: between two messages a switchboard
// connection has neither a task nor a reader or write buffer, like a held
// session). A runner of the loop calls it again when the connection needs
// it (loopCtx.resumeHold).
func (s *session) resumeSB() {
	if s.rd == nil { // unparked
		s.rd, s.smallRd = getReader(&smallReaders, &s.src, holdBufSize), true
		s.wbuf = getWriteBuf()
	}
	ph, err, parked := s.sbLoop()
	if parked {
		return
	}
	s.src.inHold = false
	s.endSB(s.src.c, ph, err)
}

// endSB ends the switchboard connection c (nil: it was never connected):
// OUT or a drain when the conversation ended normally, a close otherwise;
// counts a failure in phase ph and lets go of the conversation.
func (s *session) endSB(c net.Conn, ph report.Phase, err error) {
	b := s.sb
	p := s.p
	// The owner's stopSB may come only now (its hold ended after this
	// conversation's): it must not cut the drain below short, or the
	// messages the server relayed before our OUT go unread and are
	// counted lost (TestDrainSBLateStop).
	s.endHolding()
	switch {
	case c == nil:
	case err == nil || errors.Is(err, errHoldDone) || errors.Is(err, errPeerLeft):
		err = nil
		if b.caller {
			s.logout(c)
		} else {
			s.drainSB(c)
		}
	default:
		s.closeConn(c)
	}
	if err != nil {
		class, _ := msnp.Classify(err)
		if !(s.canceled.Load() && class == msnp.ClassTimeout) && !s.warm {
			p.chat.fail(ph, err)
		}
	}
	if b.conv != nil {
		p.chat.leave(b.conv, b.caller)
	}
	s.putReader()
	putWriteBuf(s.wbuf)
	s.wbuf = nil
	b.done.Store(true)
}

// openSB dials the switchboard and logs in: USR and CAL for the caller,
// ANS for the callee.
func (s *session) openSB() (report.Phase, net.Conn, error) {
	p := s.p
	b := s.sb
	dial := s.dial
	if dial == nil {
		dial = p.dial
	}
	t0 := p.now()
	u := b.setup
	c, err := dial(u.addr)
	if err != nil {
		return report.SBConnect, nil, err
	}
	s.recordValue(report.SBConnect, p.now()-t0)
	s.setConn(c)
	s.src.set(c)
	s.rd.Reset(&s.src)
	handle := p.accts.handles[b.acct]
	cookie := u.cookie[:u.cookieLen]
	if !b.caller {
		trid := s.nextTrID()
		s.wbuf = msnp.AppendANS(s.wbuf[:0], trid, handle, cookie, u.session[:u.sessionLen])
		if err := s.send(c); err != nil {
			return report.SBAns, c, err
		}
		for {
			cmd, err := s.rd.Next()
			if err != nil {
				return report.SBAns, c, err
			}
			if !cmd.HasTrID || cmd.TrID != trid {
				// The caller may have its JOI, and its first message may
				// be relayed here, before the server's ANS OK is.
				if cmd.Is("MSG") {
					if err := s.sbMessage(cmd); err != nil {
						return report.MsgDeliver, c, err
					}
				} else if err := s.async(cmd); err != nil {
					return report.SBAns, c, err
				}
				continue
			}
			if cmd.Is("IRO") {
				continue
			}
			if !cmd.Is("ANS") || !bytesEq(cmd.Arg(0), "OK") {
				return report.SBAns, c, errSBUnexpected["ANS OK"]
			}
			s.recordValue(report.SBAns, s.replied())
			return 0, c, nil
		}
	}
	trid := s.nextTrID()
	s.wbuf = msnp.AppendUSRSB(s.wbuf[:0], trid, handle, cookie)
	if err := s.send(c); err != nil {
		return report.SBUsr, c, err
	}
	cmd, err := s.await(trid)
	if err != nil {
		return report.SBUsr, c, err
	}
	if !cmd.Is("USR") || !bytesEq(cmd.Arg(0), "OK") {
		return report.SBUsr, c, errSBUnexpected["USR OK"]
	}
	s.recordValue(report.SBUsr, s.replied())
	// CAL: its reply (RINGING) and the JOI that follows are waited for in
	// sbLoop, where the JOI may even come first.
	b.calTrID = s.nextTrID()
	s.wbuf = msnp.AppendCAL(s.wbuf[:0], b.calTrID, u.peerHandle[:u.peerLen])
	now := time.Now()
	b.calAt = p.now()
	if b.peer >= 0 && p.chat.holdEnd[b.peer].Load() != 0 {
		b.conv = p.chat.open(b.acct, b.peer, b.calAt)
	}
	b.calDue, b.joiDue = now.Add(p.timeout), now.Add(p.timeout)
	_ = c.SetWriteDeadline(b.calDue)
	if _, err := c.Write(s.wbuf); err != nil {
		return report.SBCal, c, err
	}
	p.chat.opened.Add(1)
	return 0, c, nil
}

// startCaller opens a switchboard from owner to peer at addr with cookie
// (the XFR SB reply).
func (s *session) startCaller(peer int32, addr string, cookie []byte) *session {
	d := newSBSession(s, true)
	b := d.sb
	b.peer = peer
	u := &sbSetup{addr: addr}
	u.peerLen = copy(u.peerHandle[:], s.p.accts.handles[peer])
	u.cookieLen = copy(u.cookie[:], cookie)
	b.setup = u
	d.start()
	return d
}

// startCallee answers an RNG: "RNG <session> <addr> CKI <cookie> <caller>
// <name>". It returns nil for an RNG it cannot use (counted as a failure of
// sb.ring).
func (s *session) startCallee(cmd *msnp.Command) *session {
	p := s.p
	if cmd.NArgs < 5 || !bytesEq(cmd.Arg(2), "CKI") || len(cmd.Arg(3)) > 128 || len(cmd.Arg(0)) > 24 ||
		len(cmd.Arg(0)) == 0 {
		p.chat.fail(report.SBRing, errSBUnexpected["a switchboard"])
		return nil
	}
	addr, err := s.sbAddr(cmd.Arg(1))
	if err != nil {
		p.chat.fail(report.SBRing, err)
		return nil
	}
	d := newSBSession(s, false)
	b := d.sb
	b.peer = p.chat.lookup(cmd.Arg(4))
	u := &sbSetup{addr: addr}
	u.peerLen = copy(u.peerHandle[:], cmd.Arg(4))
	u.cookieLen = copy(u.cookie[:], cmd.Arg(3))
	u.sessionLen = copy(u.session[:], cmd.Arg(0))
	b.setup = u
	if cv := p.chat.join(b.peer, s.acct); cv != nil {
		b.conv = cv
		s.recordValue(report.SBRing, s.replyAt(cv.calAt)-cv.calAt)
	}
	d.start()
	return d
}

// sbAddr turns a switchboard address from XFR SB or RNG into host:port.
func (s *session) sbAddr(a []byte) (string, error) {
	if len(a) == 0 || len(a)+6 > 300 {
		return "", errNoSwitchboard
	}
	var buf [300]byte
	addr := string(appendDefaultPort(buf[:0], a))
	if !validAddr(addr) {
		return "", errNoSwitchboard
	}
	return addr, nil
}

// addLive and removeLive keep the switchboard connections of Go's net
// package, for abort.
func (h *chatHub) addLive(s *session) {
	h.mu.Lock()
	if h.live == nil {
		h.live = map[*session]struct{}{}
	}
	h.live[s] = struct{}{}
	h.mu.Unlock()
}

func (h *chatHub) removeLive(s *session) {
	h.mu.Lock()
	delete(h.live, s)
	h.mu.Unlock()
}

// each runs f on every switchboard connection running on a goroutine.
func (h *chatHub) each(f func(*session)) {
	if h == nil {
		return
	}
	h.mu.Lock()
	for s := range h.live {
		f(s)
	}
	h.mu.Unlock()
}
