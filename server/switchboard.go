package server

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/msnbench/msnbench/msnp"
)

// The switchboard (MSNP.md §4.9): a caller asks its notification server for
// one with XFR SB and gets an address and a cookie; it logs in to the
// switchboard with USR <handle> <cookie>, which opens a session, and invites
// contacts with CAL. Each callee gets RNG on its notification connection
// with a cookie of its own, connects to the switchboard and joins with ANS.
// MSG is then relayed to the other participants; BYE tells them when one
// leaves. Cookies are single-use and expire after Config.SBCookieTTL.

// switchboard is the server's switchboard state: the cookies handed out and
// the session counter. Sessions themselves hang off their connections.
type switchboard struct {
	mu        sync.Mutex
	cookies   map[string]sbCookie
	lastSweep time.Time
	seq       atomic.Uint32 // last session ID handed out
	cookieSeq atomic.Uint64 // counter part of default cookies
}

// sbCookie is what a cookie grants: a login to a new session (XFR SB; sess
// is nil) or joining sess (RNG), for account acct, until expires.
type sbCookie struct {
	acct    int32
	sess    *sbSession
	expires time.Time
}

// sbSession is one conversation. Relayed lines are written with mu held, so
// the participants see each other's messages in one order.
type sbSession struct {
	id      uint32
	mu      sync.Mutex
	members []*conn // joined participants, in joining order
	closed  bool    // the last participant left
}

// sbPhaseOf returns the phase of a command on a switchboard connection.
func sbPhaseOf(cmd *msnp.Command) Phase {
	switch string(cmd.Name) {
	case "USR":
		return PhaseSBUSR
	case "CAL":
		return PhaseSBCAL
	case "ANS":
		return PhaseSBANS
	case "MSG":
		return PhaseSBMSG
	}
	return PhaseOther
}

// newCookie appends a fresh cookie to dst and records what it grants.
func (s *Server) newCookie(dst []byte, acct int32, sess *sbSession) []byte {
	start := len(dst)
	if s.cfg.SBCookie != nil {
		dst = s.cfg.SBCookie(dst)
	} else {
		dst = strconv.AppendUint(dst, s.sbs.cookieSeq.Add(1), 10)
		dst = strconv.AppendInt(append(dst, '.'), time.Now().Unix(), 10)
		dst = appendDigits(append(dst, '.'), rand.Uint64N(1e5), 5)
	}
	now := s.cfg.Now()
	sb := &s.sbs
	sb.mu.Lock()
	if now.Sub(sb.lastSweep) > s.cfg.SBCookieTTL {
		// Cookies nobody used: dropped once per TTL, so they cost at most
		// the cookies of one TTL.
		for k, ck := range sb.cookies {
			if now.After(ck.expires) {
				delete(sb.cookies, k)
			}
		}
		sb.lastSweep = now
	}
	sb.cookies[string(dst[start:])] = sbCookie{acct: acct, sess: sess, expires: now.Add(s.cfg.SBCookieTTL)}
	sb.mu.Unlock()
	return dst
}

// takeCookie consumes a cookie presented with handle, for session id (0: a
// login cookie from XFR SB). It fails for an unknown or expired cookie, or
// one issued to another account or for another session; a misused cookie
// stays valid for its owner.
func (s *Server) takeCookie(cookie, handle []byte, id uint32) (sbCookie, bool) {
	sb := &s.sbs
	now := s.cfg.Now()
	sb.mu.Lock()
	defer sb.mu.Unlock()
	ck, ok := sb.cookies[string(cookie)]
	if !ok {
		return ck, false
	}
	if now.After(ck.expires) {
		delete(sb.cookies, string(cookie))
		return ck, false
	}
	if s.dir.accounts[ck.acct].email != string(handle) || (ck.sess == nil) != (id == 0) ||
		(ck.sess != nil && ck.sess.id != id) {
		return ck, false
	}
	delete(sb.cookies, string(cookie))
	return ck, true
}

// onXFRSB answers "XFR t SB" on the notification server: the switchboard's
// address and a cookie, or 913 while hidden or before the first CHG, as
// Escargot does (MSNP.md §4.9).
func (c *conn) onXFRSB(cmd *msnp.Command, p Phase) bool {
	s := c.s
	if !visible(c.status.Load()) {
		c.out = msnp.AppendError(c.out, 913, cmd.TrID)
		return c.send(p)
	}
	var buf [64]byte
	cookie := s.newCookie(buf[:0], c.acct, nil)
	c.out = msnp.AppendXFRSBReply(c.out, cmd.TrID, s.xfrSB, cookie)
	return c.send(p)
}

// handleSB answers a command on a switchboard connection.
func (c *conn) handleSB(cmd *msnp.Command, p Phase) bool {
	switch string(cmd.Name) {
	case "USR":
		return c.onSBUSR(cmd, p)
	case "ANS":
		return c.onANS(cmd, p)
	case "OUT":
		return false // finish tells the others BYE
	}
	if c.sb == nil {
		// Nothing but USR or ANS before joining: a silent close, as on the
		// notification server before login.
		return c.violation()
	}
	switch string(cmd.Name) {
	case "CAL":
		return c.onCAL(cmd, p)
	case "MSG":
		return c.onSBMSG(cmd, p)
	}
	if c.s.cfg.IgnoreUnknown {
		return true
	}
	return c.violation()
}

// sbRefuse answers a bad or expired cookie: 911 and a close.
func (c *conn) sbRefuse(cmd *msnp.Command, p Phase) bool {
	c.s.stats.authFailures.Add(1)
	c.out = msnp.AppendError(c.out, 911, cmd.TrID)
	c.send(p)
	return false
}

// onSBUSR is the caller's switchboard login, "USR t <handle> <cookie>": it
// opens a session with the caller as its only participant.
func (c *conn) onSBUSR(cmd *msnp.Command, p Phase) bool {
	s := c.s
	if c.sb != nil {
		c.out = msnp.AppendError(c.out, 207, cmd.TrID) // already logged in
		return c.send(p)
	}
	if cmd.NArgs != 2 {
		return c.violation()
	}
	ck, ok := s.takeCookie(cmd.Arg(1), cmd.Arg(0), 0)
	if !ok {
		return c.sbRefuse(cmd, p)
	}
	c.acct = ck.acct
	c.sb = &sbSession{id: s.sbs.seq.Add(1), members: make([]*conn, 1, 2)}
	c.sb.members[0] = c
	s.stats.sbSessions.Add(1)
	a := &s.dir.accounts[c.acct]
	c.out = msnp.AppendSBUSROK(c.out, cmd.TrID, a.email, a.friendly)
	return c.send(p)
}

// onCAL invites a contact: "CAL t RINGING <session>" to the caller, RNG on
// the callee's notification connection. The callee must be online and
// visible (217 otherwise), a known account (208) and not in the session
// already (215).
func (c *conn) onCAL(cmd *msnp.Command, p Phase) bool {
	s := c.s
	j, ok := s.dir.lookup(cmd.Arg(0))
	if !ok {
		c.out = msnp.AppendError(c.out, 208, cmd.TrID)
		return c.send(p)
	}
	sess := c.sb
	sess.mu.Lock()
	there := false
	for _, m := range sess.members {
		there = there || m.acct == j
	}
	sess.mu.Unlock()
	if there {
		c.out = msnp.AppendError(c.out, 215, cmd.TrID)
		return c.send(p)
	}
	callee := s.online[j].Load()
	if callee == nil || !visible(callee.status.Load()) {
		c.out = msnp.AppendError(c.out, 217, cmd.TrID)
		return c.send(p)
	}
	s.stats.sbCalls.Add(1)
	var buf [64]byte
	cookie := s.newCookie(buf[:0], j, sess)
	a := &s.dir.accounts[c.acct]
	// The invitation goes out before the caller's reply, as presence does
	// before the CHG echo: once the caller reads RINGING, RNG is sent.
	c.scratch = msnp.AppendRNG(c.scratch[:0], sess.id, s.xfrSB, cookie, a.email, a.friendly)
	callee.writeFrom(c.scratch, min(pushTimeout, s.cfg.WriteTimeout))
	c.out = msnp.AppendCALRinging(c.out, cmd.TrID, sess.id)
	return c.send(p)
}

// onANS joins an invited callee: "ANS t <handle> <cookie> <session>" gets
// one IRO per participant and ANS t OK; the others get JOI. A cookie that
// is unknown, expired, someone else's or for another session gets 911 and
// a close.
func (c *conn) onANS(cmd *msnp.Command, p Phase) bool {
	s := c.s
	if c.sb != nil {
		c.out = msnp.AppendError(c.out, 207, cmd.TrID)
		return c.send(p)
	}
	if cmd.NArgs != 3 {
		return c.violation()
	}
	id, idOK := msnp.ParseUint32(cmd.Arg(2))
	if !idOK || id == 0 {
		return c.sbRefuse(cmd, p)
	}
	ck, ok := s.takeCookie(cmd.Arg(1), cmd.Arg(0), id)
	if !ok {
		return c.sbRefuse(cmd, p)
	}
	sess := ck.sess
	sess.mu.Lock()
	if sess.closed {
		sess.mu.Unlock()
		return c.sbRefuse(cmd, p) // everybody left before the callee came
	}
	c.acct = ck.acct
	n := len(sess.members)
	for i, m := range sess.members {
		a := &s.dir.accounts[m.acct]
		c.out = msnp.AppendIRO(c.out, cmd.TrID, i+1, n, a.email, a.friendly)
	}
	c.out = msnp.AppendANSOK(c.out, cmd.TrID)
	a := &s.dir.accounts[c.acct]
	c.scratch = msnp.AppendJOI(c.scratch[:0], a.email, a.friendly)
	sess.tell(c, c.scratch)
	sess.members = append(sess.members, c)
	c.sb = sess
	sess.mu.Unlock()
	return c.send(p)
}

// onSBMSG relays "MSG t U|A|N <len>" to the other participants as
// "MSG <handle> <friendly> <len>" and answers ACK (A, once every other
// participant's socket took it) or NAK (A or N, when there was nobody to
// deliver to or a write failed).
func (c *conn) onSBMSG(cmd *msnp.Command, p Phase) bool {
	s := c.s
	ack := cmd.Arg(0)
	if cmd.NArgs != 2 || len(ack) != 1 || (ack[0] != 'U' && ack[0] != 'A' && ack[0] != 'N') {
		return c.violation()
	}
	a := &s.dir.accounts[c.acct]
	c.scratch = msnp.AppendMSG(c.scratch[:0], a.email, a.friendly, cmd.Payload)
	sess := c.sb
	sess.mu.Lock()
	delivered := sess.tell(c, c.scratch)
	sess.mu.Unlock()
	s.stats.sbMessages.Add(1)
	switch {
	case delivered && ack[0] == 'A':
		c.out = msnp.AppendACK(c.out, cmd.TrID)
	case !delivered && ack[0] != 'U':
		s.stats.sbNaks.Add(1)
		c.out = msnp.AppendNAK(c.out, cmd.TrID)
	}
	return c.send(p)
}

// tell writes line to every participant but from, with sess.mu held, and
// reports whether there was at least one and every write succeeded. A
// participant whose write fails is closed by it, and leaves through its own
// goroutine.
func (sess *sbSession) tell(from *conn, line []byte) bool {
	ok, any := true, false
	for _, m := range sess.members {
		if m == from {
			continue
		}
		any = true
		if !m.writeFrom(line, min(pushTimeout, m.s.cfg.WriteTimeout)) {
			ok = false
		}
	}
	return ok && any
}

// leaveSB takes a finished connection out of its session and tells the
// others BYE; the last one out closes the session.
func (c *conn) leaveSB() {
	sess := c.sb
	c.sb = nil
	sess.mu.Lock()
	defer sess.mu.Unlock()
	for i, m := range sess.members {
		if m == c {
			sess.members = slices.Delete(sess.members, i, i+1)
			break
		}
	}
	if len(sess.members) == 0 {
		sess.closed = true
		return
	}
	c.scratch = msnp.AppendBYE(c.scratch[:0], c.s.dir.accounts[c.acct].email)
	sess.tell(c, c.scratch)
}
