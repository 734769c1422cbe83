package report

// Phase identifies one timed phase of a session (DESIGN.md §2). The order is
// the order phases happen in, and the order reports list them.
type Phase uint8

// Phases. Login and Session are measured from the session's actual start;
// LoginIntended and SessionIntended from its intended start (open model:
// corrected for coordinated omission; equal to the former in closed model).
// SchedLag and ReadLag are the generator's own: how late a session started
// (open model), and, per session, how long its timed replies waited in the
// kernel before the generator read them (with kernel timestamps), which
// the reply phases leave out. Presence (a contact's CHG written → the
// matching NLN at this process's other session), the sb.* phases (opening a
// switchboard conversation) and msg.ack / msg.deliver (one message: write →
// ACK at the sender, write → arrival at the receiver) happen while a
// session is held and repeat, like Ping and Qry (MSNP.md §4.3, §4.4, §4.9).
const (
	DSConnect Phase = iota
	DSVer
	DSInf
	DSUsr
	NSConnect
	NSVer
	NSInf
	NSUsrI
	NSUsrS
	NSSyn
	NSChg
	Login
	Session
	LoginIntended
	SessionIntended
	Ping
	Qry
	Presence
	SBXfr
	SBConnect
	SBUsr
	SBCal
	SBRing
	SBAns
	SBJoi
	MsgAck
	MsgDeliver
	SchedLag
	ReadLag
	NumPhases
)

var phaseNames = [NumPhases]string{
	"ds.connect", "ds.ver", "ds.inf", "ds.usr", "ns.connect", "ns.ver", "ns.inf", "ns.usr.i", "ns.usr.s",
	"ns.syn", "ns.chg", "login", "session", "login.intended", "session.intended", "ping", "qry", "presence",
	"sb.xfr", "sb.connect", "sb.usr", "sb.cal", "sb.ring", "sb.ans", "sb.joi", "msg.ack", "msg.deliver", "sched.lag",
	"read.lag",
}

// String returns the phase's stable name as used in reports and flags.
func (p Phase) String() string {
	if p < NumPhases {
		return phaseNames[p]
	}
	return "unknown"
}

// ParsePhase returns the phase named s.
func ParsePhase(s string) (Phase, bool) {
	for i, n := range phaseNames {
		if n == s {
			return Phase(i), true
		}
	}
	return 0, false
}
