package loadgen

import (
	"bytes"
	"errors"
	"net"
	"os"
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
// goroutine, or as a task of the owner's event loop, until the owner's
// hold ends or the other side leaves.
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

// The message a caller sends: a plain-text MIME message whose X-MB header
// carries the conversation, the message's number and when it was written
// (ns since the run start), each as 20 digits, so every message has the
// same length and is built in place.
const (
	msgHead       = "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nX-MB: "
	msgField      = 20
	msgTail       = "\r\n\r\nmsnbench"
	msgPayloadLen = len(msgHead) + 3*msgField + 2 + len(msgTail)
)

var msgTag, msgTailBytes = []byte("\r\nX-MB: "), []byte(msgTail)

// msgTemplate is the message with its fields blank, copied into the write
// buffer and filled in there (sendMsg).
var msgTemplate = func() (b [msgPayloadLen]byte) {
	copy(b[:], msgHead)
	b[len(msgHead)+msgField] = ' '
	b[len(msgHead)+2*msgField+1] = ' '
	copy(b[len(msgHead)+3*msgField+2:], msgTail)
	return b
}()

func putDigits(b []byte, v uint64) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
}

func parseDigits(b []byte) (uint64, bool) {
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}

// parseMsgTag reads the X-MB header of a payload: conversation key,
// number, write time. ok is false for a message without one (another
// client's) or a malformed one.
func parseMsgTag(p []byte) (key, seq uint64, at int64, ok bool) {
	i := bytes.Index(p, msgTag)
	if i < 0 {
		return 0, 0, 0, false
	}
	f := p[i+len(msgTag):]
	if len(f) < 3*msgField+2 || f[msgField] != ' ' || f[2*msgField+1] != ' ' {
		return 0, 0, 0, false
	}
	k, ok1 := parseDigits(f[:msgField])
	s, ok2 := parseDigits(f[msgField+1 : 2*msgField+1])
	t, ok3 := parseDigits(f[2*msgField+2 : 3*msgField+2])
	if !ok1 || !ok2 || !ok3 || t > 1<<62 {
		return 0, 0, 0, false
	}
	return k, s, int64(t), true
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

// sbLoop reads the switchboard until the hold ends or the other side
// leaves; sbTick (through connReader on a read timeout) sends what is due.
// With a parker, whenever nothing is buffered and nothing has arrived, it
// parks the connection instead of waiting, gives its reader and write
// buffer back to their pools, and returns parked.
func (s *session) sbLoop() (ph report.Phase, err error, parked bool) {
	b := s.sb
	c := s.src.c
	err = s.sbTick()
	for err == nil {
		if s.parker != nil && s.rd.Buffered() == 0 && s.parker.park(c) {
			s.putReader()
			putWriteBuf(s.wbuf)
			s.wbuf = nil
			return 0, nil, true
		}
		var cmd *msnp.Command
		cmd, err = s.rd.Next()
		if err != nil {
			var se *msnp.ServerError
			if errors.As(err, &se) {
				switch {
				case b.calTrID != 0 && se.TrID == b.calTrID:
					b.failedPh = report.SBCal // 217: the callee went offline, 208, ...
				case b.msgTrID != 0 && se.TrID == b.msgTrID:
					b.failedPh = report.MsgAck
				}
			}
			break
		}
		if err = s.sbCommand(cmd); err != nil {
			break
		}
		err = s.sbTick()
	}
	if b.failedPh == 0 {
		// A read error: blame what was outstanding.
		switch {
		case b.calTrID != 0:
			b.failedPh = report.SBCal
		case b.caller && !b.joined:
			b.failedPh = report.SBJoi
		case b.msgTrID != 0:
			b.failedPh = report.MsgAck
		case b.caller:
			b.failedPh = report.MsgAck
		default:
			b.failedPh = report.MsgDeliver
		}
	}
	return b.failedPh, err, false
}

// sbCommand handles one command from the switchboard.
func (s *session) sbCommand(cmd *msnp.Command) error {
	b := s.sb
	p := s.p
	switch {
	case cmd.Is("MSG"):
		return s.sbMessage(cmd)
	case cmd.Is("ACK") && b.msgTrID != 0 && cmd.TrID == b.msgTrID:
		b.msgTrID = 0
		s.recordValue(report.MsgAck, s.replyAt(b.msgAt)-b.msgAt)
		p.chat.acked.Add(1)
		if b.conv != nil {
			b.conv.acked++
		}
	case cmd.Is("NAK") && b.msgTrID != 0 && cmd.TrID == b.msgTrID:
		b.msgTrID = 0
		p.chat.naked.Add(1)
	case cmd.Is("CAL") && b.calTrID != 0 && cmd.TrID == b.calTrID:
		if !bytesEq(cmd.Arg(0), "RINGING") {
			b.failedPh = report.SBCal
			return errSBUnexpected["CAL RINGING"]
		}
		b.calTrID = 0
		s.recordValue(report.SBCal, s.replyAt(b.calAt)-b.calAt)
	case cmd.Is("JOI") && b.caller && !b.joined:
		b.joined = true
		s.recordValue(report.SBJoi, s.replyAt(b.calAt)-b.calAt)
		b.nextMsg = time.Now() // the message that opened the switchboard
	case cmd.Is("BYE"):
		if b.msgTrID == 0 {
			return errPeerLeft
		}
		// The NAK (or ACK) of the message in flight is still to come.
		b.peerLeft, b.ending = true, true
	case cmd.Is("OUT"):
		return kicked(cmd.Arg(0))
	}
	return nil
}

// sbMessage times a message that arrived: from its write, which it
// carries, to its arrival here (msg.deliver), when the sender is held by
// this process (same clock); and counts it new, duplicated or reordered.
func (s *session) sbMessage(cmd *msnp.Command) error {
	b := s.sb
	p := s.p
	key, seq, at, ok := parseMsgTag(cmd.Payload)
	if !ok {
		return nil // another client's message: not timed
	}
	if len(cmd.Payload) != msgPayloadLen || !bytes.HasSuffix(cmd.Payload, msgTailBytes) {
		// Ours, but not as sent: the framing cannot be trusted any more.
		b.failedPh = report.MsgDeliver
		return errBadMessage
	}
	if int32(uint32(key)) != b.acct {
		p.chat.fail(report.MsgDeliver, errMisrouted)
		return nil
	}
	if b.caller {
		return nil // an answer to the caller: not timed
	}
	if b.conv == nil || key != b.conv.key {
		return nil // not from a sender held here: its clock is not ours
	}
	d := s.replyAt(at) - at
	if p.chat.arrived(b.conv, seq, d <= int64(p.timeout)) {
		s.recordValue(report.MsgDeliver, d)
	}
	return nil
}

// sbTick sends what is due and arms the read deadline for what comes
// next; it returns errHoldDone when the conversation is over.
func (s *session) sbTick() error {
	b := s.sb
	p := s.p
	c := s.conn
	if c == nil {
		return errHoldDone
	}
	if b.peerLeft && b.msgTrID == 0 {
		return errPeerLeft
	}
	now := time.Now()
	if p.stopHold.Load() || s.canceled.Load() || b.stop.Load() || !now.Before(b.end) {
		// A message waiting for its ACK is waited for (up to its
		// timeout), like a PNG at the end of a hold.
		b.ending = true
		if b.msgTrID == 0 || s.canceled.Load() {
			return errHoldDone
		}
	}
	switch {
	case b.calTrID != 0 && !now.Before(b.calDue):
		b.failedPh = report.SBCal
		return os.ErrDeadlineExceeded
	case b.caller && !b.joined && !now.Before(b.joiDue):
		b.failedPh = report.SBJoi
		return os.ErrDeadlineExceeded
	case b.msgTrID != 0 && !now.Before(b.msgDue):
		b.failedPh = report.MsgAck
		return os.ErrDeadlineExceeded
	}
	if b.caller && b.joined && !b.ending && b.msgTrID == 0 && !now.Before(b.nextMsg) {
		if err := s.sendMsg(c, now); err != nil {
			b.failedPh = report.MsgAck
			return err
		}
	}
	wake := b.end
	if b.ending {
		wake = now.Add(p.timeout)
	}
	if b.calTrID != 0 {
		wake = minTime(wake, b.calDue)
	}
	if b.caller && !b.joined {
		wake = minTime(wake, b.joiDue)
	}
	if b.msgTrID != 0 {
		wake = minTime(wake, b.msgDue)
	} else if b.caller && b.joined && !b.ending {
		wake = minTime(wake, b.nextMsg)
	}
	_ = c.SetReadDeadline(wake)
	if !b.ending && (p.stopHold.Load() || s.canceled.Load() || b.stop.Load()) {
		// Seen after arming: end now (or wait for the ACK). Once ending,
		// the check above has seen it: calling again would only spin.
		return s.sbTick()
	}
	return nil
}

// sendMsg writes the next MSG A.
func (s *session) sendMsg(c net.Conn, now time.Time) error {
	b := s.sb
	p := s.p
	b.seq++
	var key uint64
	if b.conv != nil {
		key = b.conv.key
	} else {
		key = convKey(b.acct, b.peer)
	}
	trid := s.nextTrID()
	s.wbuf = msnp.AppendSBMSG(s.wbuf[:0], trid, 'A', msgTemplate[:])
	pl := s.wbuf[len(s.wbuf)-msgPayloadLen:]
	putDigits(pl[len(msgHead):len(msgHead)+msgField], key)
	putDigits(pl[len(msgHead)+msgField+1:len(msgHead)+2*msgField+1], b.seq)
	at := p.now()
	putDigits(pl[len(msgHead)+2*msgField+2:len(msgHead)+3*msgField+2], uint64(at))
	_ = c.SetWriteDeadline(now.Add(p.timeout))
	if _, err := c.Write(s.wbuf); err != nil {
		return err
	}
	p.chat.sent.Add(1)
	b.msgTrID, b.msgAt, b.msgDue = trid, at, now.Add(p.timeout)
	b.nextMsg = now.Add(jitter(p.chat.every, &b.rnd))
	return nil
}

// drainSB ends the callee's side: OUT, then the messages the server
// relayed before it saw the OUT are still read (and timed), up to the
// timeout, so a message acknowledged to its sender is not counted lost
// because its receiver left.
func (s *session) drainSB(c net.Conn) {
	p := s.p
	now := time.Now()
	_ = c.SetDeadline(now.Add(p.timeout))
	s.wbuf = msnp.AppendOUT(s.wbuf[:0], "")
	// The hold's end came to the reader as an error of its source: what
	// the socket still holds is read on.
	s.rd.Resume()
	if _, err := c.Write(s.wbuf); err == nil && !s.canceled.Load() {
		for {
			cmd, err := s.rd.Next()
			if err != nil {
				break
			}
			if cmd.Is("MSG") {
				if s.sbMessage(cmd) != nil {
					break
				}
			}
		}
	}
	s.closeConn(c)
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
