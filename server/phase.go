package server

import (
	"errors"
	"strings"
)

// Phase names the step of a session a client command belongs to, as the
// server sees it. The names match the load generator's phases (DESIGN.md §2),
// so a delay or fault injected in a phase shows up in that phase's figures.
type Phase uint8

// Phases of a session. The dispatch listener serves the ds.* phases; the
// notification listener serves the ns.* ones, everything after login and
// sb.xfr; the switchboard listener serves the other sb.* phases.
const (
	PhaseDSVER  Phase = iota // VER on the dispatch server
	PhaseDSINF               // INF on the dispatch server
	PhaseDSUSR               // USR MD5 I on the dispatch server (reply: XFR NS)
	PhaseNSVER               // VER on the notification server
	PhaseNSINF               // INF on the notification server
	PhaseNSUSRI              // USR MD5 I on the notification server (reply: the challenge)
	PhaseNSUSRS              // USR MD5 S (reply: USR OK or 911)
	PhaseSYN                 // SYN
	PhaseCHG                 // CHG
	PhasePNG                 // PNG
	PhaseQRY                 // QRY
	PhaseOther               // any other command after login (GTC, BLP, CVR, ...)
	PhaseSBXFR               // XFR SB on the notification server (reply: the switchboard's address and cookie)
	PhaseSBUSR               // USR on the switchboard (the caller's login with its cookie)
	PhaseSBCAL               // CAL on the switchboard (reply: CAL RINGING; RNG goes to the callee)
	PhaseSBANS               // ANS on the switchboard (the callee joins: IRO, ANS OK)
	PhaseSBMSG               // MSG on the switchboard (relayed; reply: ACK or NAK as asked)
	NumPhases
)

var phaseNames = [NumPhases]string{
	"ds.ver", "ds.inf", "ds.usr", "ns.ver", "ns.inf", "ns.usr.i", "ns.usr.s", "ns.syn", "ns.chg", "ping", "qry",
	"other", "sb.xfr", "sb.usr", "sb.cal", "sb.ans", "sb.msg",
}

// String returns the phase's name, e.g. "ns.usr.s".
func (p Phase) String() string {
	if p < NumPhases {
		return phaseNames[p]
	}
	return "unknown"
}

// ParsePhase is the inverse of String.
func ParsePhase(s string) (Phase, error) {
	for i, n := range phaseNames {
		if n == s {
			return Phase(i), nil
		}
	}
	return 0, errors.New("server: unknown phase " + `"` + s + `" (want one of ` + strings.Join(phaseNames[:], ", ") + ")")
}

// PhaseSet is a set of phases, bit p for Phase p.
type PhaseSet uint32

// PhaseSetOf returns the set of the given phases.
func PhaseSetOf(phases ...Phase) PhaseSet {
	var s PhaseSet
	for _, p := range phases {
		s |= 1 << p
	}
	return s
}

// AllPhases is the set of every phase.
const AllPhases PhaseSet = 1<<NumPhases - 1

// Has reports whether p is in the set.
func (s PhaseSet) Has(p Phase) bool { return s&(1<<p) != 0 }

// ParsePhaseSet parses a comma-separated list of phase names; "all" means
// every phase and "" the empty set.
func ParsePhaseSet(s string) (PhaseSet, error) {
	var set PhaseSet
	if s == "" {
		return 0, nil
	}
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "all" {
			set |= AllPhases
			continue
		}
		p, err := ParsePhase(name)
		if err != nil {
			return 0, err
		}
		set |= 1 << p
	}
	return set, nil
}

// String returns the set as a comma-separated list of names.
func (s PhaseSet) String() string {
	if s&AllPhases == AllPhases {
		return "all"
	}
	var b strings.Builder
	for p := Phase(0); p < NumPhases; p++ {
		if s.Has(p) {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(p.String())
		}
	}
	return b.String()
}
