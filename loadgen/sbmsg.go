package loadgen

import (
	"bytes"
	"errors"
	"net"
	"os"
	"time"

	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

// A switchboard conversation once open (sb.go opens and ends it): the
// messages, their format, the caller's timers and the callee's drain.

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
		if b.peerLeft {
			p.chat.nakedLeft.Add(1) // the receiver left before the NAK: a race, not a refusal
		}
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
