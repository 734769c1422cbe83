package loadgen

import (
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

// The login (DESIGN.md §2): VER, INF and USR I on the first server,
// following XFR NS referrals, then USR S on the notification server; the
// roles that name its phases, and the server addresses it dials.

// role is what the first server is, for naming its phases.
type role uint8

// Roles. roleAuto names them per session: dispatch, unless the first
// server answers this session's USR I with a challenge.
const (
	roleAuto role = iota
	roleDS
	roleNS
)

// String returns the role's flag name.
func (r role) String() string {
	switch r {
	case roleDS:
		return RoleDS
	case roleNS:
		return RoleNS
	}
	return RoleAuto
}

// parseRole maps a validated Config.TargetRole to a role.
func parseRole(s string) role {
	switch s {
	case RoleDS:
		return roleDS
	case RoleNS:
		return roleNS
	}
	return roleAuto
}

// phase tables for a connection that turns out to be a dispatch server or
// a notification server.
var (
	dsPhases = [4]report.Phase{report.DSConnect, report.DSVer, report.DSInf, report.DSUsr}
	nsPhases = [4]report.Phase{report.NSConnect, report.NSVer, report.NSInf, report.NSUsrI}
)

// login walks VER, INF, USR I over up to MaxReferrals referrals, then USR S,
// and returns the notification server connection on success, or the phase
// a failure happened in.
func (s *session) login(handle, password []byte) (net.Conn, report.Phase, error) {
	p := s.p
	sm := &s.sm
	addr := p.target
	dial := s.dial
	if dial == nil {
		dial = p.dial
	}
	s.firstReply = roleAuto
	for hop := 0; ; hop++ {
		ph := &dsPhases
		if hop > 0 || p.role == roleNS {
			ph = &nsPhases
		}
		var dur [4]int64
		t0 := p.now()
		c, err := dial(addr)
		t1 := p.now()
		if err != nil {
			return nil, ph[0], err
		}
		s.setConn(c)
		s.src.set(c)
		s.rd.Reset(&s.src)
		dur[0] = t1 - t0

		// VER
		trid := s.nextTrID()
		s.wbuf = msnp.AppendVER(s.wbuf[:0], trid, p.verList)
		if err := s.send(c); err != nil {
			return c, ph[1], err
		}
		cmd, err := s.await(trid)
		if err != nil {
			return c, ph[1], err
		}
		if !cmd.Is("VER") {
			return c, ph[1], unexpected("VER")
		}
		set, refused := msnp.ParseDialects(cmd.Args)
		if refused {
			return c, ph[1], errVerZero
		}
		if s.d = msnp.Negotiate(set, p.offered); s.d == 0 {
			return c, ph[1], errNoDialect
		}
		dur[1] = s.replied()

		// INF
		trid = s.nextTrID()
		s.wbuf = msnp.AppendINF(s.wbuf[:0], trid)
		if err := s.send(c); err != nil {
			return c, ph[2], err
		}
		if cmd, err = s.await(trid); err != nil {
			return c, ph[2], err
		}
		if !cmd.Is("INF") {
			return c, ph[2], unexpected("INF")
		}
		dur[2] = s.replied()

		// USR MD5 I: a challenge (we are on the NS) or a referral.
		trid = s.nextTrID()
		s.wbuf = msnp.AppendUSRI(s.wbuf[:0], trid, handle)
		if err := s.send(c); err != nil {
			return c, ph[3], err
		}
		if cmd, err = s.await(trid); err != nil {
			return c, ph[3], err
		}
		dur[3] = s.replied()
		switch {
		case cmd.Is("XFR"):
			if !bytesEq(cmd.Arg(0), "NS") || len(cmd.Arg(1)) == 0 {
				return c, ph[3], unexpected("XFR NS")
			}
			if hop == 0 {
				s.firstReply = roleDS
			}
			if hop >= MaxReferrals {
				return c, ph[3], errTooManyReferrals
			}
			if addr, err = s.referral(cmd.Arg(1), addr); err != nil {
				return c, ph[3], err
			}
			for i, d := range dur {
				sm.Dur[ph[i]] += d
				sm.Have |= 1 << ph[i]
			}
			// Send nothing more: the DS closes after XFR. Our close waits
			// until the login is over (or, on an event loop, until the DS's
			// close arrives), so the DS's close comes first and the
			// TIME_WAIT is the server's, not one of our local ports.
			s.setConn(nil)
			s.closeDS()
			if pc, ok := c.(peerCloser); ok {
				pc.CloseAfterPeer(p.timeout)
			} else {
				s.ds = c
			}
			continue
		case cmd.Is("USR") && bytesEq(cmd.Arg(0), "MD5") && bytesEq(cmd.Arg(1), "S") && len(cmd.Arg(2)) > 0:
			if hop == 0 {
				s.firstReply = roleNS
				if p.role == roleAuto {
					// Not fixed for the run: this session's first server
					// showed itself a notification server.
					ph = &nsPhases
				}
			}
			for i, d := range dur {
				sm.Dur[ph[i]] += d // after referrals, the NS phases of every hop
				sm.Have |= 1 << ph[i]
			}
			msnp.LoginHash(&s.hash, cmd.Arg(2), password)
		default:
			return c, ph[3], unexpected("XFR NS or USR MD5 S")
		}

		// USR MD5 S <hash> -> USR OK
		trid = s.nextTrID()
		s.wbuf = msnp.AppendUSRS(s.wbuf[:0], trid, &s.hash)
		if err := s.send(c); err != nil {
			return c, report.NSUsrS, err
		}
		if cmd, err = s.await(trid); err != nil {
			return c, report.NSUsrS, err
		}
		if !cmd.Is("USR") || !bytesEq(cmd.Arg(0), "OK") {
			return c, report.NSUsrS, unexpected("USR OK")
		}
		sm.Set(report.NSUsrS, s.replied())
		sm.Set(report.Login, s.done-sm.Start)
		sm.Set(report.LoginIntended, s.done-sm.Intended)
		return c, 0, nil
	}
}

// referral turns the XFR address into host:port: a missing port means
// 1863, "0" means the server we are on (MSNP.md §2.5). An address that
// cannot be dialled (bad port, malformed host, too long) is the server's
// protocol error, not a connect failure. The result is cached, so
// following the same referral again allocates nothing.
func (s *session) referral(a []byte, cur string) (string, error) {
	if len(a) == 1 && a[0] == '0' {
		return cur, nil
	}
	if len(a)+5 > len(s.refBuf) {
		return "", errBadReferral
	}
	b := appendDefaultPort(s.refBuf[:0], a)
	if string(b) == s.lastRef {
		return s.lastRef, nil
	}
	addr := string(b)
	if !validAddr(addr) {
		return "", errBadReferral
	}
	s.lastRef = addr
	return addr, nil
}

// validAddr reports whether addr is host:port with a port of 1..65535 and
// a literal IP or a well-formed DNS name as host.
func validAddr(addr string) bool {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || len(port) == 0 || len(port) > 5 {
		return false
	}
	p := 0
	for _, c := range []byte(port) {
		if c < '0' || c > '9' {
			return false
		}
		p = p*10 + int(c-'0')
	}
	if p < 1 || p > 65535 {
		return false
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	// A DNS name: labels of 1..63 letters, digits and hyphens, at most 253
	// bytes, not all digits (that would be a mangled IP address).
	if len(host) == 0 || len(host) > 253 {
		return false
	}
	letter := false
	for _, label := range strings.Split(strings.TrimSuffix(host, "."), ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range []byte(label) {
			switch {
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
				letter = true
			case c >= '0' && c <= '9', c == '-':
			default:
				return false
			}
		}
	}
	return letter
}

// DefaultPort is the protocol's port: the one a server address without a
// port means (MSNP.md §2.5).
const DefaultPort = 1863

// appendDefaultPort appends the server address a to dst, with
// ":1863" when a names no port. It is the one rule for XFR referrals and
// for Config.Target.
func appendDefaultPort(dst, a []byte) []byte {
	dst = append(dst, a...)
	if !hasPort(a) {
		dst = append(dst, ':')
		dst = strconv.AppendInt(dst, DefaultPort, 10)
	}
	return dst
}

// hasPort reports whether a referral address ends in :port (an empty one
// too, so that "host:" stays the malformed address it is). A bracketed
// IPv6 address has one only after the closing bracket.
func hasPort(a []byte) bool {
	for i := len(a) - 1; i >= 0; i-- {
		switch a[i] {
		case ':':
			return true
		case ']':
			return false
		}
		if a[i] < '0' || a[i] > '9' {
			return false
		}
	}
	return false
}

var (
	errVerZero   = msnp.NewProtocolErrorDetail("no common dialect (server answered 0)", msnp.DetailVerZero)
	errNoDialect = msnp.NewProtocolErrorDetail("no common MSNP dialect in the VER reply",
		msnp.DetailVerNoCommon)
	errTooManyReferrals = msnp.NewProtocolErrorDetail("more than 3 XFR NS referrals", msnp.DetailTooManyReferrals)
	errBadReferral      = msnp.NewProtocolErrorDetail("XFR NS to an address that cannot be dialled",
		msnp.DetailBadReferral)
)
