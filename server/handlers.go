package server

import (
	"bytes"
	"math/rand/v2"

	"github.com/msnbench/msnbench/msnp"
)

// phaseOf returns the phase a command belongs to on this connection.
func (c *conn) phaseOf(cmd *msnp.Command) Phase {
	if c.role == roleDS {
		switch string(cmd.Name) {
		case "VER":
			return PhaseDSVER
		case "INF":
			return PhaseDSINF
		case "USR":
			return PhaseDSUSR
		}
		return PhaseOther
	}
	if c.role == roleSB {
		return sbPhaseOf(cmd)
	}
	switch string(cmd.Name) {
	case "VER":
		return PhaseNSVER
	case "INF":
		return PhaseNSINF
	case "USR":
		if string(cmd.Arg(1)) == "S" {
			return PhaseNSUSRS
		}
		return PhaseNSUSRI
	case "SYN":
		return PhaseSYN
	case "CHG":
		return PhaseCHG
	case "PNG":
		return PhasePNG
	case "QRY":
		return PhaseQRY
	case "XFR":
		if string(cmd.Arg(0)) == "SB" {
			return PhaseSBXFR
		}
	}
	return PhaseOther
}

// handle answers one command. It returns false when the connection must end.
func (c *conn) handle(cmd *msnp.Command) bool {
	s := c.s
	p := c.phaseOf(cmd)
	if s.cfg.CloseRate > 0 && s.cfg.ClosePhases.Has(p) && rand.Float64() < s.cfg.CloseRate {
		s.stats.closesInjected.Add(1)
		return false
	}
	if s.cfg.ErrorRate > 0 && s.cfg.ErrorPhases.Has(p) && rand.Float64() < s.cfg.ErrorRate {
		s.stats.errorsInjected.Add(1)
		c.appendError(s.cfg.ErrorCode, cmd)
		return c.send(p) && s.cfg.ErrorKeepOpen
	}
	if c.role == roleSB {
		return c.handleSB(cmd, p)
	}
	switch string(cmd.Name) {
	case "VER":
		return c.onVER(cmd, p)
	case "INF":
		if c.state != stVer || c.gotINF {
			return c.outOfOrder(cmd, p)
		}
		c.gotINF = true
		c.out = msnp.AppendINFReply(c.out, cmd.TrID)
		return c.send(p)
	case "USR":
		return c.onUSR(cmd, p)
	case "CVR":
		return c.onCVR(cmd, p)
	case "OUT":
		s.stats.logouts.Add(1)
		return false
	case "MSG":
		// Clients must never send MSG to a notification or dispatch
		// server; the official one closed at once (MSNP.md §1.4).
		return c.violation()
	}
	if c.state != stOnline {
		// Meaningless before login: a silent close (MSNP.md §6.1).
		return c.violation()
	}
	switch string(cmd.Name) {
	case "SYN":
		return c.onSYN(cmd, p)
	case "CHG":
		return c.onCHG(cmd, p)
	case "PNG":
		s.stats.pings.Add(1)
		c.out = msnp.AppendQNG(c.out)
		return c.send(p)
	case "QRY":
		return c.onQRY(cmd, p)
	case "GTC":
		return c.onGTC(cmd, p)
	case "BLP":
		return c.onBLP(cmd, p)
	case "XFR":
		if p == PhaseSBXFR && s.sb != nil {
			return c.onXFRSB(cmd, p)
		}
		c.out = msnp.AppendError(c.out, 502, cmd.TrID)
		return c.send(p)
	case "ADD", "REM", "REA", "ADG", "RMG", "REG", "URL", "FND", "SND", "SDC", "PAG":
		// Known commands this test server does not implement: "command
		// disabled" rather than a close, so a client can carry on.
		c.out = msnp.AppendError(c.out, 502, cmd.TrID)
		return c.send(p)
	}
	if s.cfg.IgnoreUnknown {
		return true
	}
	return c.violation()
}

// violation counts a protocol violation and ends the connection silently.
func (c *conn) violation() bool {
	c.s.stats.protocolViolations.Add(1)
	return false
}

// outOfOrder answers a known command in the wrong state with 715; during
// login the connection is then closed (MSNP.md §6.1, §6.4).
func (c *conn) outOfOrder(cmd *msnp.Command, p Phase) bool {
	c.s.stats.protocolViolations.Add(1)
	c.appendError(715, cmd)
	return c.send(p) && c.state == stOnline
}

// appendError appends "<code> <TrID>", or "<code>" for a command without a
// TrID.
func (c *conn) appendError(code int, cmd *msnp.Command) {
	if cmd.HasTrID {
		c.out = msnp.AppendError(c.out, code, cmd.TrID)
		return
	}
	c.out = msnp.AppendErrorCode(c.out, code)
}

func (c *conn) onVER(cmd *msnp.Command, p Phase) bool {
	if c.state != stNew {
		return c.outOfOrder(cmd, p)
	}
	offered, _ := msnp.ParseDialects(cmd.Args)
	d := msnp.Negotiate(offered, c.s.cfg.Dialects)
	c.out = msnp.AppendVERReply(c.out, cmd.TrID, d)
	if d == 0 {
		c.send(p)
		return false
	}
	c.dialect = d
	c.state = stVer
	return c.send(p)
}

func (c *conn) onUSR(cmd *msnp.Command, p Phase) bool {
	s := c.s
	if c.state == stOnline {
		c.out = msnp.AppendError(c.out, 207, cmd.TrID) // already logged in
		return c.send(p)
	}
	if string(cmd.Arg(0)) != "MD5" {
		// An unsupported security package: a disconnect (MSNP.md §3.4).
		return c.violation()
	}
	switch string(cmd.Arg(1)) {
	case "I":
		handle := cmd.Arg(2)
		if c.state != stVer {
			return c.outOfOrder(cmd, p)
		}
		if len(handle) == 0 || len(handle) > maxHandle {
			return c.violation()
		}
		if c.role == roleDS {
			s.stats.referrals.Add(1)
			c.out = msnp.AppendXFRNS(c.out, cmd.TrID, c.dialect, s.xfrNS, s.xfrDS)
			c.send(p)
			return false // the dispatch server closes after the referral
		}
		// Unknown accounts get a challenge too, so USR I does not tell
		// which accounts exist; USR S then fails with 911.
		if i, ok := s.dir.lookup(handle); ok {
			c.acct = i
		}
		c.chal = s.cfg.Challenge(c.chalBuf[:0])
		c.out = msnp.AppendUSRChallenge(c.out, cmd.TrID, c.chal)
		c.state = stChallenged
		return c.send(p)
	case "S":
		if c.state != stChallenged {
			return c.outOfOrder(cmd, p)
		}
		var want [32]byte
		ok := c.acct >= 0
		if ok {
			msnp.LoginHash(&want, c.chal, s.dir.accounts[c.acct].password)
			ok = bytes.Equal(cmd.Arg(2), want[:])
		}
		if !ok {
			s.stats.authFailures.Add(1)
			c.out = msnp.AppendError(c.out, 911, cmd.TrID)
			c.send(p)
			return false
		}
		return c.login(cmd, p)
	}
	return c.violation()
}

// loggedIn completes a login: it takes the account over from an older
// session (OUT OTH), replies USR OK and sends the profile message.
func (c *conn) login(cmd *msnp.Command, p Phase) bool {
	s := c.s
	acct := &s.dir.accounts[c.acct]
	c.state = stOnline
	c.loggedIn.Store(true)
	s.stats.online.Add(1)
	s.stats.loginsOK.Add(1)
	if old := s.online[c.acct].Swap(c); old != nil && old != c {
		s.stats.kicked.Add(1)
		old.kick("OTH")
	}
	c.out = msnp.AppendUSROK(c.out, cmd.TrID, c.dialect, acct.email, acct.friendly)
	c.out = c.appendProfile(c.out)
	return c.send(p)
}

func (c *conn) onCVR(cmd *msnp.Command, p Phase) bool {
	switch c.state {
	case stNew, stVer:
		// CVR before the initial USR: 731 and a close (MSNP.md §2.4).
		c.s.stats.protocolViolations.Add(1)
		c.appendError(731, cmd)
		c.send(p)
		return false
	case stChallenged:
		return c.outOfOrder(cmd, p)
	}
	// CVR t <rec> <rec> <min> <download-url> <info-url>, echoing the
	// client's version as Escargot does.
	ver := cmd.Arg(5)
	if len(ver) == 0 {
		ver = []byte("1.0.0000")
	}
	c.out = msnp.AppendCmd(c.out, "CVR", cmd.TrID)
	c.out = msnp.AppendArgBytes(msnp.AppendArgBytes(msnp.AppendArgBytes(c.out, ver), ver), ver)
	c.out = msnp.AppendEnd(append(c.out, " http://msnbench.invalid/download http://msnbench.invalid/"...))
	return c.send(p)
}

func (c *conn) onSYN(cmd *msnp.Command, p Phase) bool {
	c.s.stats.syncs.Add(1)
	v, ok := msnp.ParseUint32(cmd.Arg(0))
	if !ok {
		c.out = msnp.AppendError(c.out, 201, cmd.TrID)
		return c.send(p)
	}
	if v == c.listVer {
		// The client's cached lists are current: only the SYN line.
		c.out = msnp.AppendSYN(c.out, cmd.TrID, c.listVer)
		return c.send(p)
	}
	if len(c.s.dir.offsets) > 0 {
		c.useBigBuffer()
	}
	c.out = c.appendLists(c.out, cmd.TrID)
	return c.send(p)
}

func (c *conn) onCHG(cmd *msnp.Command, p Phase) bool {
	s := c.s
	st := parseStatus(cmd.Arg(0))
	if st == 0 {
		c.out = msnp.AppendError(c.out, 201, cmd.TrID) // FLN or unknown status
		return c.send(p)
	}
	s.stats.statusChanges.Add(1)
	prev := c.status.Swap(st)
	c.out = msnp.AppendCHG(c.out, cmd.TrID, cmd.Arg(0))
	first := prev == 0
	if first {
		c.out = c.appendILN(c.out, cmd.TrID)
	}
	if first && s.cfg.CHL && c.dialect >= 6 {
		s.stats.challenges.Add(1)
		c.chl = s.cfg.CHLChallenge(c.chlBuf[:0])
		c.chlPending = true
		c.chlDue = c.lastCmd.Add(s.cfg.CHLTimeout)
		c.out = msnp.AppendCHL(c.out, c.chl)
	}
	// Presence for the contacts who watch this account, before the echo:
	// once a client has its echo, its contacts have been told, so a test
	// that logs another contact in next sees an ILN and no late NLN.
	acct := &s.dir.accounts[c.acct]
	switch {
	case visible(st) && (st != prev):
		c.scratch = msnp.AppendNLN(c.scratch[:0], statuses[st], acct.email, acct.friendly)
		s.notifyWatchers(c.acct, c.scratch)
	case !visible(st) && visible(prev):
		c.scratch = msnp.AppendFLN(c.scratch[:0], acct.email)
		s.notifyWatchers(c.acct, c.scratch)
	}
	return c.send(p)
}

func parseStatus(b []byte) uint32 {
	for i := 1; i < len(statuses); i++ {
		if string(b) == statuses[i] {
			return uint32(i)
		}
	}
	return 0
}

func (c *conn) onQRY(cmd *msnp.Command, p Phase) bool {
	s := c.s
	if !c.chlPending {
		return c.outOfOrder(cmd, p) // no challenge outstanding
	}
	ok := false
	if key, known := msnp.QRYKeys[string(cmd.Arg(0))]; known && len(cmd.Payload) == 32 {
		var want [32]byte
		msnp.QRYHash(&want, c.chl, []byte(key))
		ok = bytes.Equal(cmd.Payload, want[:])
	}
	c.chlPending = false
	if !ok {
		s.stats.challengesFailed.Add(1)
		c.out = msnp.AppendError(c.out, 540, cmd.TrID)
		c.send(p)
		return false
	}
	s.stats.challengesOK.Add(1)
	if s.cfg.CHLEvery > 0 {
		c.chlNext = c.lastCmd.Add(s.cfg.CHLEvery)
	}
	c.out = msnp.AppendEnd(msnp.AppendCmd(c.out, "QRY", cmd.TrID))
	return c.send(p)
}

func (c *conn) onGTC(cmd *msnp.Command, p Phase) bool {
	a := cmd.Arg(0)
	if len(a) != 1 || (a[0] != 'A' && a[0] != 'N') {
		c.out = msnp.AppendError(c.out, 201, cmd.TrID)
		return c.send(p)
	}
	if a[0] == c.gtc {
		c.out = msnp.AppendError(c.out, 218, cmd.TrID) // already in that mode
		return c.send(p)
	}
	c.gtc = a[0]
	c.listVer++
	c.out = msnp.AppendArgUint(msnp.AppendCmd(c.out, "GTC", cmd.TrID), uint64(c.listVer))
	c.out = msnp.AppendEnd(msnp.AppendArgBytes(c.out, a))
	return c.send(p)
}

func (c *conn) onBLP(cmd *msnp.Command, p Phase) bool {
	a := string(cmd.Arg(0))
	if a != "AL" && a != "BL" {
		c.out = msnp.AppendError(c.out, 201, cmd.TrID)
		return c.send(p)
	}
	if a == c.blp {
		c.out = msnp.AppendError(c.out, 218, cmd.TrID)
		return c.send(p)
	}
	if a == "AL" {
		c.blp = "AL"
	} else {
		c.blp = "BL"
	}
	c.listVer++
	c.out = msnp.AppendArgUint(msnp.AppendCmd(c.out, "BLP", cmd.TrID), uint64(c.listVer))
	c.out = msnp.AppendEnd(msnp.AppendArg(c.out, c.blp))
	return c.send(p)
}
